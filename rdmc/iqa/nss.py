"""Natural-scene statistics shared by NIQE and BRISQUE: generalised Gaussian fits by
moment matching over LIVE's grid of shapes (0.2:0.001:10), as their MATLAB releases do."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
from scipy.special import gamma

from rdmc.iqa.matlab import fspecial_gaussian


class IqaError(ValueError):
    """An image or model file a metric cannot use; the message says why."""


# The four neighbour directions (MATLAB circshift shifts [0 1; 1 0; 1 1; -1 1]).
SHIFTS = ((0, 1), (1, 0), (1, 1), (-1, 1))
WINDOW, WINDOW_SIGMA = 7, 7 / 6
FLAT_TOLERANCE = 1e-8  # grey levels (0-255 scale)


@lru_cache(maxsize=1)
def _shape_grid() -> tuple[np.ndarray, np.ndarray]:
    shapes = np.arange(0.2, 10 + 0.0005, 0.001)
    ratio = gamma(2.0 / shapes) ** 2 / (gamma(1.0 / shapes) * gamma(3.0 / shapes))
    return shapes, ratio


@lru_cache(maxsize=1)
def _inverse_grid() -> np.ndarray:
    return 1.0 / _shape_grid()[1]


def _nearest(increasing: np.ndarray, target: float) -> int:
    """np.argmin((increasing - target) ** 2) for a sorted grid, by bisection: the first of
    two equally near entries, and entry 0 for NaN (as MATLAB's min over NaNs)."""
    if target != target:
        return 0
    i = int(np.searchsorted(increasing, target))
    if i == 0:
        return 0
    if i == len(increasing):
        return i - 1
    return i - 1 if (increasing[i - 1] - target) ** 2 <= (increasing[i] - target) ** 2 else i


def ggd_fit(values: np.ndarray) -> tuple[float, float]:
    """(shape, sigma) of a zero-mean generalised Gaussian (BRISQUE's estimateggdparam)."""
    shapes, ratio = _shape_grid()
    sigma_sq = np.mean(values**2)
    rho = sigma_sq / np.mean(np.abs(values)) ** 2
    inverse = _inverse_grid()
    return float(shapes[len(inverse) - 1 - _nearest(inverse[::-1], rho)]), float(np.sqrt(sigma_sq))


def _side_std(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(values**2))) if values.size else float("nan")


def aggd_fit(values: np.ndarray) -> tuple[float, float, float]:
    """(shape, left std, right std) of an asymmetric generalised Gaussian
    (estimateaggdparam). A side without samples has a NaN std and, as MATLAB's ``min``
    over NaNs picks the first entry, the grid's first shape."""
    shapes, ratio = _shape_grid()
    left, right = _side_std(values[values < 0]), _side_std(values[values > 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        gamma_hat = left / right
        r_hat = np.mean(np.abs(values)) ** 2 / np.mean(values**2)
        r_hat_norm = r_hat * (gamma_hat**3 + 1) * (gamma_hat + 1) / (gamma_hat**2 + 1) ** 2
    return float(shapes[_nearest(ratio, r_hat_norm)]), left, right


def neighbour_products(mscn: np.ndarray) -> list[np.ndarray]:
    """The products of each coefficient with its neighbour in the four directions
    (circular at the borders, as circshift)."""
    return [mscn * np.roll(mscn, shift, axis=(0, 1)) for shift in SHIFTS]


def mscn(img: np.ndarray, border: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean-subtracted contrast-normalised coefficients (im - mu) / (sigma + 1), and sigma,
    with LIVE's 7x7 Gaussian (sigma 7/6). ``border`` is "replicate" (NIQE's ``imfilter``)
    or "zero" (BRISQUE's ``filter2``).

    Where the 7x7 neighbourhood is constant the coefficient is exactly 0: floating-point
    residue (about 1e-14) would otherwise decide the shape fitted to a flat block, and
    MATLAB's and numpy's residues differ."""
    edge = {"replicate": cv2.BORDER_REPLICATE, "zero": cv2.BORDER_CONSTANT}[border]
    # fspecial's window is the outer product of one normalised 1-D Gaussian: filter rows,
    # then columns (a quarter of the work of the 7x7 window)
    taps = fspecial_gaussian(WINDOW, WINDOW_SIGMA).sum(axis=0)
    img = np.ascontiguousarray(img, dtype=np.float64)

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.sepFilter2D(x, cv2.CV_64F, taps, taps, borderType=edge)

    mu = blur(img)
    sigma = np.sqrt(np.abs(blur(img * img) - mu * mu))
    square = np.ones((WINDOW, WINDOW), np.uint8)
    highest = cv2.dilate(img, square, borderType=edge, borderValue=0)
    lowest = cv2.erode(img, square, borderType=edge, borderValue=0)
    flat = highest - lowest <= FLAT_TOLERANCE
    coefficients = np.where(flat, 0.0, (img - mu) / (sigma + 1))
    return coefficients, np.where(flat, 0.0, sigma)
