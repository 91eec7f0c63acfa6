"""Inputs for the speed suites: real photographs shipped with scikit-image."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def photo_pair() -> tuple[np.ndarray, np.ndarray]:
    """A 512x512 RGB photo and a noisy copy of it (uint8)."""
    import skimage.data

    clean = skimage.data.astronaut()[:512, :512]
    rng = np.random.default_rng(0)
    noisy = np.clip(clean + rng.normal(0, 10, clean.shape), 0, 255).astype(np.uint8)
    return noisy, clean
