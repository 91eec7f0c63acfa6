"""95% bootstrap confidence intervals over images, and paired verdicts against rainy.

Every scored figure draws the same ``RESAMPLES`` resamples of its images (seeded by
the image count, so deterministic and shared by all conditions of a run): the
figure recomputed on each resample gives its replicates, the 2.5 and 97.5
percentiles give ``ci95``. A derainer against rainy is a paired comparison: the
difference of their replicates on the same resamples gives the interval of the
difference, and the verdict is "better" or "worse" when it excludes zero (for a
lower-is-better metric such as NIQE, a negative difference is "better"). Means
over images (PSNR, SSIM) are re-averaged here; downstream.bootstrap recomputes
COCO mAP and mIoU on the resamples.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RESAMPLES = 1000
SEED = 20261126
LEVEL = 0.95


def resample_counts(n: int, resamples: int = RESAMPLES) -> np.ndarray:
    """How often each of ``n`` images is drawn in each resample: (resamples, n) integers."""
    rng = np.random.default_rng([SEED, n])
    draws = rng.integers(0, n, size=(resamples, n))
    counts = np.zeros((resamples, n), np.int64)
    np.add.at(counts, (np.arange(resamples)[:, None], draws), 1)
    return counts


def interval(replicates: np.ndarray) -> list[float] | None:
    """The percentile interval at ``LEVEL`` of the finite replicates (None if there are none:
    e.g. recovery where rain cost nothing)."""
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return None
    tail = (1 - LEVEL) / 2 * 100
    lo, hi = np.percentile(finite, [tail, 100 - tail])
    return [float(lo), float(hi)]


def paired_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a - b`` per resample, 0 where the two are equal (two infinite PSNRs of identical
    images differ by nothing, not by NaN)."""
    with np.errstate(invalid="ignore"):
        return np.where(a == b, 0.0, a - b)


def _extended_interval(values: np.ndarray) -> list[float] | None:
    """The percentile interval of values that may be infinite (an image restored exactly has
    an infinite PSNR): no interpolation, which would make inf - inf of them."""
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    tail = (1 - LEVEL) / 2
    lo, hi = np.quantile(values, [tail, 1 - tail], method="inverted_cdf")
    return [float(lo), float(hi)]


def verdict(
    difference: np.ndarray, lower_is_better: bool = False
) -> tuple[list[float] | None, str]:
    """Interval of a paired difference (derainer - rainy) and what it says at ``LEVEL``:
    "better" when it excludes zero on the side that is better for the metric."""
    finite = bool(np.isfinite(difference).all())
    ci = interval(difference) if finite else _extended_interval(difference)
    up, down = ("worse", "better") if lower_is_better else ("better", "worse")
    if ci is not None and ci[0] > 0:
        return ci, up
    if ci is not None and ci[1] < 0:
        return ci, down
    return ci, "no difference"


def mean_replicates(per_image: Sequence[float], counts: np.ndarray) -> np.ndarray:
    values = np.asarray(per_image, np.float64)
    return counts @ values / counts.sum(axis=1)
