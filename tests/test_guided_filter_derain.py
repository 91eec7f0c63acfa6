"""The classical guided-filter baseline."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rdmc import load_derainer
from rdmc.metrics import psnr
from rdmc.models.guided_filter_derain import GuidedFilterDerain, box_filter, guided_filter


def test_box_filter_is_a_clipped_window_mean():
    x = torch.arange(25, dtype=torch.float32).view(1, 1, 5, 5)
    y = box_filter(x, 1)
    assert y[0, 0, 2, 2].item() == pytest.approx(x[0, 0, 1:4, 1:4].mean().item())
    assert y[0, 0, 0, 0].item() == pytest.approx(x[0, 0, :2, :2].mean().item())


def test_guided_filter_by_itself_preserves_a_flat_image():
    x = torch.full((1, 3, 20, 20), 0.4)
    assert torch.allclose(guided_filter(x, x, 2, 1e-3), x, atol=1e-5)


def test_removes_thin_bright_streaks_from_a_smooth_image():
    yy, xx = np.mgrid[0:64, 0:64]
    clean = np.stack([(60 + xx + yy) % 256] * 3, axis=-1).astype(np.uint8)
    rainy = clean.copy()
    rainy[:, ::9] = 250  # one-pixel vertical streaks
    out = load_derainer("guided-filter")(rainy)
    assert psnr(out, clean) > psnr(rainy, clean) + 5


def test_window_must_be_odd():
    with pytest.raises(ValueError, match="odd"):
        GuidedFilterDerain(window=4)
