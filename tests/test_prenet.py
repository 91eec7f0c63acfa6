"""PReNet baseline: size, recurrence, stage outputs."""

from __future__ import annotations

import pytest
import torch

from rdmc.models.prenet import PReNet


def test_parameter_count_matches_the_paper():
    n = sum(p.numel() for p in PReNet().parameters())
    assert 160_000 < n < 180_000  # the paper: 0.17 M


def test_returns_every_stage_and_keeps_size():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 37, 41)
    with torch.no_grad():
        outs = PReNet(stages=4)(x)
    assert len(outs) == 4 and all(o.shape == x.shape for o in outs)
    assert not torch.allclose(outs[0], outs[-1])


def test_the_recurrent_state_carries_across_stages():
    torch.manual_seed(0)
    net = PReNet(stages=2)
    seen = []
    net.f_recurrent.register_forward_hook(
        lambda m, args, out: seen.append(args[1][0].abs().sum().item())
    )
    with torch.no_grad():
        net(torch.rand(1, 3, 16, 16))
    assert seen[0] == 0.0 and seen[1] > 0.0  # stage 2 receives stage 1's hidden state


def test_bad_stages():
    with pytest.raises(ValueError, match="stages"):
        PReNet(stages=0)
