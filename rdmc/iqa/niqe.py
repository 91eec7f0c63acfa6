"""NIQE (Mittal, Soundararajan and Bovik 2013), as LIVE's MATLAB release computes it.

``computequality.m`` with its defaults: rgb2gray, the image cropped to whole 96x96
blocks, MSCN coefficients with a 7x7 Gaussian (sigma 7/6, replicated borders), 18
features per block (an AGGD fit of the coefficients and of their four neighbour
products), at full and half size (``imresize`` 0.5, 48x48 blocks), and the
Mahalanobis-like distance between the image's multivariate Gaussian and the
pristine model (``modelparameters.mat``; here BasicSR's copy of it). Lower is better.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gamma

from rdmc.iqa.matlab import imresize, rgb2gray
from rdmc.iqa.nss import IqaError, aggd_fit, mscn, neighbour_products

BLOCK = 96


@dataclass(frozen=True)
class PristineModel:
    mean: np.ndarray  # (36,)
    cov: np.ndarray  # (36, 36)


def _aggd_scales(values: np.ndarray) -> tuple[float, float, float]:
    """NIQE's estimateaggdparam: the shape and the left/right scales (beta), not stds."""
    shape, left_std, right_std = aggd_fit(values)
    to_scale = np.sqrt(gamma(1 / shape) / gamma(3 / shape))
    return shape, left_std * to_scale, right_std * to_scale


def block_features(block: np.ndarray) -> list[float]:
    """computefeature.m: 18 numbers for one block of MSCN coefficients."""
    shape, left, right = _aggd_scales(block)
    features = [shape, (left + right) / 2]
    for pair in neighbour_products(block):
        shape, left, right = _aggd_scales(pair)
        mean = (right - left) * gamma(2 / shape) / gamma(1 / shape)
        features += [shape, mean, left, right]
    return features


def _scale_features(img: np.ndarray, block: int) -> np.ndarray:
    coefficients, _ = mscn(img, "replicate")
    rows, cols = img.shape[0] // block, img.shape[1] // block
    return np.array(
        [
            block_features(coefficients[r * block : (r + 1) * block, c * block : (c + 1) * block])
            for c in range(cols)
            for r in range(rows)
        ]
    )


def niqe(img: np.ndarray, model: PristineModel) -> float:
    """NIQE of an RGB or gray image (uint8 scale). Needs at least one 96x96 block."""
    gray = rgb2gray(img)
    rows, cols = gray.shape[0] // BLOCK, gray.shape[1] // BLOCK
    if rows == 0 or cols == 0:
        raise IqaError(
            f"NIQE needs at least {BLOCK}x{BLOCK} pixels, got {gray.shape[1]}x{gray.shape[0]}"
        )
    gray = gray[: rows * BLOCK, : cols * BLOCK]
    full = _scale_features(gray, BLOCK)
    half = _scale_features(imresize(gray, 0.5), BLOCK // 2)
    features = np.concatenate([full, half], axis=1)
    mean = np.nanmean(features, axis=0)
    complete = features[~np.isnan(features).any(axis=1)]
    cov = np.cov(complete, rowvar=False) if len(complete) > 1 else np.zeros_like(model.cov)
    difference = model.mean - mean
    distance = difference @ np.linalg.pinv((model.cov + cov) / 2) @ difference
    return float(np.sqrt(distance))
