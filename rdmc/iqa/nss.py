"""Natural-scene statistics shared by NIQE and BRISQUE: generalised Gaussian fits by
moment matching over LIVE's grid of shapes (0.2:0.001:10), as their MATLAB releases do."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.ndimage import correlate1d, maximum_filter, minimum_filter
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


def ggd_fit(values: np.ndarray) -> tuple[float, float]:
    """(shape, sigma) of a zero-mean generalised Gaussian (BRISQUE's estimateggdparam)."""
    shapes, ratio = _shape_grid()
    sigma_sq = np.mean(values**2)
    rho = sigma_sq / np.mean(np.abs(values)) ** 2
    return float(shapes[np.argmin(np.abs(rho - 1.0 / ratio))]), float(np.sqrt(sigma_sq))


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
    shape = shapes[np.argmin((ratio - r_hat_norm) ** 2)]
    return float(shape), left, right


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
    mode = {"replicate": "nearest", "zero": "constant"}[border]
    # fspecial's window is the outer product of one normalised 1-D Gaussian: filter rows,
    # then columns (a quarter of the work of the 7x7 window)
    taps = fspecial_gaussian(WINDOW, WINDOW_SIGMA).sum(axis=0)

    def blur(x: np.ndarray) -> np.ndarray:
        return correlate1d(correlate1d(x, taps, axis=0, mode=mode), taps, axis=1, mode=mode)

    mu = blur(img)
    sigma = np.sqrt(np.abs(blur(img * img) - mu * mu))
    spread = maximum_filter(img, WINDOW, mode=mode) - minimum_filter(img, WINDOW, mode=mode)
    flat = spread <= FLAT_TOLERANCE
    coefficients = np.where(flat, 0.0, (img - mu) / (sigma + 1))
    return coefficients, np.where(flat, 0.0, sigma)
