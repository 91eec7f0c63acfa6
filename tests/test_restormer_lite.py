"""The Restormer-style baseline: size comparable to rdmc-s, any input size, transposed attention."""

from __future__ import annotations

import torch

from rdmc.models.rdmc import build_rdmc
from rdmc.models.restormer_lite import RestormerLite


def test_size_is_comparable_to_rdmc_s():
    ours = sum(p.numel() for p in RestormerLite().parameters())
    rdmc_s = sum(p.numel() for p in build_rdmc("rdmc-s").parameters())
    assert 0.8 * rdmc_s < ours < 1.25 * rdmc_s


def test_any_input_size():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 37, 53)
    with torch.no_grad():
        assert RestormerLite(width=8).eval()(x).shape == x.shape
