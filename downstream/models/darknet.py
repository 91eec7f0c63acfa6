"""Darknet .weights files into PyTorch state dicts, for the embedded YOLO detectors.

A .weights file is a small header and then, layer after layer in the cfg's order,
float32 values: for a convolution with batch norm beta, gamma, running mean,
running variance, then the kernel; without, the bias then the kernel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn


def read_darknet_weights(path: str | Path) -> np.ndarray:
    """The float32 payload of a Darknet .weights file (after its header)."""
    data = Path(path).read_bytes()
    major, minor, _ = np.frombuffer(data[:12], dtype=np.int32)
    header = 12 + (8 if major * 10 + minor >= 2 else 4)  # "seen" is 64 bit from version 0.2
    return np.frombuffer(data[header:], dtype=np.float32)


def convert_darknet(
    weights_path: str | Path, model: nn.Module, order: list[tuple[str, bool]], network: str
) -> dict[str, torch.Tensor]:
    """A state dict for ``model`` from the Darknet weights file; ``order`` lists (module
    prefix, has batch norm) of every convolution in the file's order."""
    values = read_darknet_weights(weights_path)
    state = model.state_dict()
    out: dict[str, torch.Tensor] = {}
    pos = 0

    def take(key: str) -> None:
        nonlocal pos
        shape = state[key].shape
        n = int(np.prod(shape))
        if pos + n > values.size:
            raise ValueError(f"{weights_path}: too short for {network} (at {key})")
        out[key] = torch.from_numpy(values[pos : pos + n].copy()).view(shape)
        pos += n

    for prefix, has_bn in order:
        if has_bn:
            for name in ("bias", "weight", "running_mean", "running_var"):
                take(f"{prefix}.bn.{name}")
            take(f"{prefix}.conv.weight")
        else:
            take(f"{prefix}.bias")
            take(f"{prefix}.weight")
    if pos != values.size:
        raise ValueError(f"{weights_path}: {values.size - pos} values left over; not {network}")
    for key, value in state.items():
        if key.endswith("num_batches_tracked"):
            out[key] = value
    return out
