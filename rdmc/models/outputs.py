"""The stage outputs of any deraining architecture: one tensor, or the list of its stages'."""

from __future__ import annotations

import torch


def stage_outputs(arch: torch.nn.Module, rainy: torch.Tensor) -> list[torch.Tensor]:
    """Every stage's output (the last is the result), as a list."""
    out = arch(rainy)
    return list(out) if isinstance(out, list | tuple) else [out]
