"""The MATLAB image functions that the LIVE quality releases call, in numpy.

Each mirrors what MATLAB computes, not what it is named after elsewhere:
``rgb2gray`` rounds back to uint8 for uint8 input; ``imresize`` is bicubic
(a = -0.5) with the kernel widened when shrinking (antialiasing) and mirrored
indices at the borders; ``fspecial('gaussian')`` zeroes taps below eps * max.
"""

from __future__ import annotations

import math

import numpy as np

# MATLAB rgb2gray: the first row of the inverse of the NTSC (YIQ) matrix.
RGB2GRAY_WEIGHTS = np.array([0.298936021293775, 0.587043074451121, 0.114020904255103])


def rgb2gray(img: np.ndarray) -> np.ndarray:
    """A gray image as MATLAB's ``rgb2gray`` gives it, as float64 on the input's scale.

    Integer input is rounded back to its type, as MATLAB does; alpha is dropped.
    Gray input is returned as float64 unchanged."""
    if img.ndim == 2:
        return img.astype(np.float64)
    gray = img[..., :3].astype(np.float64) @ RGB2GRAY_WEIGHTS
    if np.issubdtype(img.dtype, np.integer):
        gray = np.floor(gray + 0.5)  # MATLAB rounds half away from zero (gray is >= 0)
    return gray


def fspecial_gaussian(size: int, sigma: float) -> np.ndarray:
    """``fspecial('gaussian', size, sigma)``: normalised, taps below eps * max set to 0."""
    half = (size - 1) / 2
    x = np.arange(size) - half
    window = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2))
    window[window < np.finfo(np.float64).eps * window.max()] = 0
    return window / window.sum()


def _cubic(x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    ax2, ax3 = ax**2, ax**3
    near = (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1)
    far = (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))
    return near + far


def _contributions(in_length: int, out_length: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Per output index: the input indices (0-based, mirrored) and their weights."""
    kernel_width = 4.0
    if scale < 1:  # antialiasing: widen the kernel by 1/scale
        kernel_width /= scale
    x = np.arange(1, out_length + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kernel_width / 2)
    taps = math.ceil(kernel_width) + 2
    indices = left[:, None] + np.arange(taps)[None, :]
    distance = u[:, None] - indices
    weights = scale * _cubic(distance * scale) if scale < 1 else _cubic(distance)
    weights /= weights.sum(axis=1, keepdims=True)
    keep = np.any(weights != 0, axis=0)  # MATLAB drops all-zero columns
    indices, weights = indices[:, keep], weights[:, keep]
    mirrored = np.concatenate([np.arange(in_length), np.arange(in_length - 1, -1, -1)])
    indices = mirrored[np.mod(indices.astype(np.int64) - 1, 2 * in_length)]
    return indices, weights


def _resize_axis(img: np.ndarray, axis: int, out_length: int, scale: float) -> np.ndarray:
    indices, weights = _contributions(img.shape[axis], out_length, scale)
    moved = np.moveaxis(img, axis, 0)
    out = np.einsum("ok,ok...->o...", weights, moved[indices])
    return np.moveaxis(out, 0, axis)


def imresize(img: np.ndarray, scale: float) -> np.ndarray:
    """``imresize(img, scale)`` for a float image: bicubic, antialiased when shrinking.

    The output is ``ceil(size * scale)`` on each side; rows are resized first (MATLAB
    orders the dimensions by scale, and equal scales keep their order)."""
    img = np.asarray(img, dtype=np.float64)
    for axis in (0, 1):
        out_length = math.ceil(img.shape[axis] * scale)
        img = _resize_axis(img, axis, out_length, scale)
    return img
