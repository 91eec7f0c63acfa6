"""Bilinear and bicubic resizing as two matrix products, equal to ``F.interpolate``, for
training.

A resize is separable: ``y = R_h @ x @ R_w^T`` with one sparse (banded) matrix per axis,
the weights ``F.interpolate`` gives (bicubic with A = -0.75 and clamped taps, both
``align_corners`` conventions). Matrix products run on the machine's matmul units (AMX
in bf16) and their backward is two more matrix products, where the gather/scatter kernels
of ``upsample_bicubic2d`` and its backward are not vectorised: on one rdmc-s training step
they were 20 % of the time. The matrices are built once per size, dtype and device.
Where no gradient is needed (inference) ``F.interpolate`` itself runs.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

CUBIC_A = -0.75  # torch's (and OpenCV's) bicubic; MATLAB's is -0.5


def _cubic_weights(t: torch.Tensor) -> torch.Tensor:
    """The four taps (at -1, 0, 1, 2) of torch's cubic convolution for offsets ``t``."""
    a = CUBIC_A

    def near(x: torch.Tensor) -> torch.Tensor:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: torch.Tensor) -> torch.Tensor:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return torch.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], dim=-1)


def _sources(n_in: int, n_out: int, align_corners: bool, cubic: bool) -> torch.Tensor:
    out = torch.arange(n_out, dtype=torch.float64)
    if align_corners:
        scale = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        return out * scale
    src = (out + 0.5) * (n_in / n_out) - 0.5
    return src if cubic else src.clamp(min=0)


@functools.lru_cache(maxsize=64)
def _matrix(n_in: int, n_out: int, mode: str, align_corners: bool) -> torch.Tensor:
    """The (n_out, n_in) float64 resize matrix of one axis."""
    cubic = mode == "bicubic"
    src = _sources(n_in, n_out, align_corners, cubic)
    first = torch.floor(src)
    t = src - first
    if cubic:
        taps = first.long()[:, None] + torch.arange(-1, 3)[None, :]
        weights = _cubic_weights(t)
    else:
        taps = first.long()[:, None] + torch.arange(0, 2)[None, :]
        weights = torch.stack([1 - t, t], dim=-1)
    matrix = torch.zeros(n_out, n_in, dtype=torch.float64)
    matrix.scatter_add_(1, taps.clamp(0, n_in - 1), weights)
    return matrix


@functools.lru_cache(maxsize=256)
def _cached(n_in, n_out, mode, align_corners, dtype, device) -> torch.Tensor:
    return _matrix(n_in, n_out, mode, align_corners).to(dtype=dtype, device=device)


def resize(x: torch.Tensor, size: tuple[int, int], mode: str, align_corners: bool) -> torch.Tensor:
    """``F.interpolate(x, size, mode=mode, align_corners=align_corners)`` for ``mode``
    "bilinear" or "bicubic" on an N x C x H x W tensor, as two matrix products."""
    if mode not in ("bilinear", "bicubic"):
        raise ValueError(f"mode must be bilinear or bicubic, got {mode!r}")
    if not (torch.is_grad_enabled() and x.requires_grad) or torch.jit.is_tracing():
        # Without a backward pass F.interpolate's kernels are as fast or faster (one rdmc-s
        # forward at 512x512: 1245 against 1350 ms in fp32), and give the same numbers; a
        # trace (ONNX, OpenVINO export) records the plain operator, not cached matrices.
        return F.interpolate(x, size=size, mode=mode, align_corners=align_corners)
    (h, w), (out_h, out_w) = x.shape[-2:], (int(size[0]), int(size[1]))
    dtype = torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else x.dtype
    if x.device.type == "cuda" and torch.is_autocast_enabled("cuda"):
        dtype = torch.get_autocast_dtype("cuda")
    rows = _cached(h, out_h, mode, align_corners, dtype, x.device)
    cols = _cached(w, out_w, mode, align_corners, dtype, x.device)
    return torch.matmul(rows, torch.matmul(x, cols.t()))


def scale_size(x: torch.Tensor, factor: float) -> tuple[int, int]:
    """The output size of ``F.interpolate(x, scale_factor=factor)``."""
    return tuple(int(math.floor(n * factor)) for n in x.shape[-2:])
