"""Resizing as matrix products equals F.interpolate, forward and backward."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from rdmc.models.interpolation import resize, scale_size

SIZES_IN = [(5, 7), (16, 16), (33, 20), (1, 4)]
SIZES_OUT = [(10, 14), (32, 32), (66, 40), (3, 9), (33, 20), (1, 1)]


MODES = list(itertools.product(["bilinear", "bicubic"], [True, False]))


@pytest.mark.parametrize("mode, align_corners", MODES)
def test_resize_equals_interpolate(mode, align_corners):
    torch.manual_seed(0)
    for (h, w), size in itertools.product(SIZES_IN, SIZES_OUT):
        x = torch.randn(2, 3, h, w, dtype=torch.float64, requires_grad=True)
        ours = resize(x, size, mode, align_corners)
        theirs = F.interpolate(x, size=size, mode=mode, align_corners=align_corners)
        torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-12)
        grad = torch.randn_like(ours)
        (mine,) = torch.autograd.grad(ours, x, grad)
        (reference,) = torch.autograd.grad(theirs, x, grad)
        torch.testing.assert_close(mine, reference, rtol=0, atol=1e-12)


def test_resize_follows_autocast_and_scale_size():
    x = torch.rand(1, 4, 8, 6, requires_grad=True)
    assert scale_size(x, 2) == (16, 12)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert resize(x, (16, 12), "bicubic", True).dtype == torch.bfloat16
    assert resize(x, (16, 12), "bicubic", True).dtype == torch.float32
    with pytest.raises(ValueError, match="bilinear or bicubic"):
        resize(x, (16, 12), "nearest", True)
    with torch.no_grad():  # inference: F.interpolate itself, the same numbers to the bit
        plain = F.interpolate(x, size=(16, 12), mode="bicubic", align_corners=True)
        assert torch.equal(resize(x, (16, 12), "bicubic", True), plain)


def test_a_trace_records_the_plain_operator():
    """Exporters trace with gradients on; the trace must not capture cached matrices."""

    class Up(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return resize(x * self.scale, (12, 10), "bicubic", True)

    traced = torch.jit.trace(Up(), torch.rand(1, 2, 6, 5))  # check_trace compares two runs
    assert "upsample_bicubic2d" in str(traced.graph)
