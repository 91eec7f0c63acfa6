"""Reading and writing derainer checkpoints (``{"meta", "state_dict"}``, loadable with
``weights_only=True``) and fitting weights to a network, with one-line errors. A leaf
module: the zoo and user configs (:mod:`rdmc.configured`) both load through it."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn


class ZooError(ValueError):
    """An unknown model name or a checkpoint that cannot be used; the message says why."""


def save_checkpoint(target: Path, meta: dict, state: dict) -> Path:
    """Writes ``{"meta", "state_dict"}`` atomically (loadable with weights_only=True)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    torch.save({"meta": meta, "state_dict": state}, tmp)
    os.replace(tmp, target)
    return target


def read_checkpoint(path: Path) -> object:
    """A checkpoint file's content, tensors and plain types only (``weights_only``)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds for a broken or foreign file
        raise ZooError(f"{path}: not a readable checkpoint ({type(e).__name__})") from e


def mismatched_tensors(
    expected: dict[str, torch.Tensor], state: dict
) -> tuple[list[str], list[str], list[str]]:
    """(missing, unexpected, mis-shaped) names of ``state`` against a module's state_dict."""
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [
        k
        for k in expected
        if k in state and tuple(getattr(state[k], "shape", ())) != tuple(expected[k].shape)
    ]
    return missing, unexpected, wrong


def check_state_fits(net: nn.Module, state: object, path: Path) -> None:
    """One line instead of torch's multi-line load_state_dict report."""
    if not isinstance(state, dict):
        raise ZooError(f"{path}: 'state_dict' is not a mapping of tensors")
    missing, unexpected, wrong = mismatched_tensors(net.state_dict(), state)
    if missing or unexpected or wrong:
        example = (missing or unexpected or wrong)[0]
        raise ZooError(
            f"{path}: weights do not fit its architecture {type(net).__name__} "
            f"({len(missing)} missing, {len(unexpected)} unexpected, {len(wrong)} mis-shaped "
            f"tensors, e.g. {example})"
        )


def load_weights(net: nn.Module, state: object, path: Path) -> nn.Module:
    """``net`` with ``state`` loaded, in eval mode; ZooError in one line if it does not fit."""
    check_state_fits(net, state, path)
    net.load_state_dict(state)
    return net.eval()
