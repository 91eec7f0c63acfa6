"""PIQE (Venkatanath et al. 2015), as MATLAB's ``piqe`` computes it.

The gray image (``rgb2gray``) is stretched to its maximum, ``round(255 * x / max)``,
padded to whole 16x16 blocks (symmetric, after the image), and turned into MSCN
coefficients (7x7 Gaussian, sigma 7/6, replicated borders). A block is active when
its coefficients' variance exceeds 0.1. An active block is distorted by blocking
(some 6-pixel segment of an edge has a standard deviation below 0.1) or by noise
(its standard deviation against the centre/surround ratio), and the score is
``100 * (sum of the distortion weights + 1) / (active blocks + 1)``. Lower is better;
an image without an active block scores 100.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rdmc.iqa.matlab import rgb2gray
from rdmc.iqa.nss import mscn

BLOCK = 16
ACTIVITY_THRESHOLD = 0.1
IMPAIRED_THRESHOLD = 0.1
SEGMENT = 6


def _blocks(img: np.ndarray) -> np.ndarray:
    rows, cols = img.shape[0] // BLOCK, img.shape[1] // BLOCK
    return img.reshape(rows, BLOCK, cols, BLOCK).transpose(0, 2, 1, 3).reshape(-1, BLOCK, BLOCK)


def _edge_impaired(blocks: np.ndarray) -> np.ndarray:
    """True where a 6-pixel segment of one of the four edges is (almost) constant."""
    edges = np.stack([blocks[:, 0, :], blocks[:, :, -1], blocks[:, -1, :], blocks[:, :, 0]], axis=1)
    segments = sliding_window_view(edges, SEGMENT, axis=2)
    return (segments.std(axis=-1, ddof=1) < IMPAIRED_THRESHOLD).any(axis=(1, 2))


def _centre_surround_ratio(blocks: np.ndarray) -> np.ndarray:
    """The centre columns' std over the rest's. MATLAB deletes column 8 and then column 9
    of what is left (original column 10), so column 9 counts as surround too."""
    centre = blocks[:, :, [7, 8]].reshape(len(blocks), -1)
    surround = np.delete(blocks, [7, 9], axis=2).reshape(len(blocks), -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = centre.std(axis=1, ddof=1) / surround.std(axis=1, ddof=1)
    return np.nan_to_num(ratio)


def piqe(img: np.ndarray) -> float:
    """PIQE of an RGB or gray image (uint8 scale)."""
    gray = rgb2gray(img)
    peak = gray.max()
    if peak <= 0:
        return 100.0
    gray = np.floor(255 * gray / peak + 0.5)
    pad_rows, pad_cols = -gray.shape[0] % BLOCK, -gray.shape[1] % BLOCK
    gray = np.pad(gray, ((0, pad_rows), (0, pad_cols)), mode="symmetric")
    blocks = _blocks(mscn(gray, "replicate")[0])
    variance = blocks.reshape(len(blocks), -1).var(axis=1, ddof=1)
    active = variance > ACTIVITY_THRESHOLD
    sigma = np.sqrt(variance)
    ratio = _centre_surround_ratio(blocks)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.abs(sigma - ratio) / np.maximum(sigma, ratio)
    noisy = sigma > 2 * beta
    impaired = _edge_impaired(blocks)
    distortion = active * (impaired * (1 - variance) + noisy * variance)
    return float(100 * (distortion.sum() + 1) / (active.sum() + 1))
