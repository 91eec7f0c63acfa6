"""Shared fixtures: real photographs that ship inside installed packages."""

from __future__ import annotations

import numpy as np
import pytest


def _photo(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    return img[..., :3] if img.ndim == 3 else img


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    """Natural RGB photographs (uint8, HxWx3) from scikit-image's bundled data."""
    return {name: _photo(name) for name in ("astronaut", "coffee", "chelsea")}
