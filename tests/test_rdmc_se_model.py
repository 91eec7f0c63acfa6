"""RDMC-SE (the former rdmc): shapes, stages, size, ablation switches, per-image gates."""

from __future__ import annotations

import pytest
import torch

from rdmc.models.rdmc_se import RDMCSE as RDMC
from rdmc.models.rdmc_se import SMALL, CrossLevelRecruitment


def small(**kwargs) -> RDMC:
    torch.manual_seed(0)
    return RDMC(**{"widths": (4, 4, 8, 8, 8), "dilations": (1, 2, 3), "stages": 3, **kwargs}).eval()


@pytest.mark.parametrize("size", [(37, 53), (16, 16), (5, 7), (64, 33)])
def test_output_keeps_any_input_size(size):
    x = torch.rand(2, 3, *size)
    with torch.no_grad():
        outputs = small()(x)
    assert all(o.shape == x.shape for o in outputs)


def test_every_stage_output_is_returned_and_they_differ():
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        outputs = small(stages=3)(x)
    assert len(outputs) == 3
    assert not torch.allclose(outputs[0], outputs[1]) and not torch.allclose(outputs[1], outputs[2])


def test_stage_input_is_rainy_and_previous_estimate():
    net = small(stages=2)
    seen = []
    net.net.register_forward_pre_hook(lambda module, args: seen.append(args[0].clone()))
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        outputs = net(x)
    assert seen[0].shape[1] == 6
    assert torch.equal(seen[0][:, :3], x) and torch.equal(seen[0][:, 3:], x)  # estimate_0 = rainy
    assert torch.allclose(seen[1][:, 3:], outputs[0])


def test_small_size_is_the_shipped_one():
    assert sum(p.numel() for p in RDMC(**SMALL).parameters()) == 1_036_849


def _module_types(net: torch.nn.Module) -> set[str]:
    return {f"{name}:{type(m).__name__}" for name, m in net.named_modules()}


def test_each_ablation_switch_changes_the_graph():
    base = small()
    x = torch.rand(1, 3, 32, 32)
    variants = {
        "static": small(recruitment="static"),
        "none": small(recruitment="none"),
        "single_scale": small(dilations=(1,)),
        "T1": small(stages=1),
    }
    with torch.no_grad():
        y_base = base(x)[-1]
        for name, net in variants.items():
            y = net(x)
            assert not torch.allclose(y[-1], y_base), name
    assert len(variants["T1"](x)) == 1
    assert len(variants["single_scale"].net.encoder.branches) == 1
    assert (
        _module_types(base) != _module_types(variants["static"]) != _module_types(variants["none"])
    )
    assert any("gate_mlp" in n for n in _module_types(base))
    assert any("gate_logits" in n for n, _ in variants["static"].named_parameters())
    assert all(
        r.from_finer is None and r.from_coarser is None for r in variants["none"].net.recruit
    )


def test_norm_none_drops_every_batchnorm_and_gives_convs_a_bias():
    net = small(norm="none")
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert all(c.bias is not None for c in convs)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in small().modules())
    assert net(torch.rand(1, 3, 24, 40))[-1].shape == (1, 3, 24, 40)


def test_dynamic_gates_depend_on_the_image():
    torch.manual_seed(0)
    block = CrossLevelRecruitment(channels=8, finer=4, coarser=16, mode="dynamic")
    own = torch.rand(2, 8, 8, 8)
    own[1] *= 5
    finer, coarser = torch.rand(2, 4, 16, 16), torch.rand(2, 16, 4, 4)
    gates = block.gates(own, block.paths(finer, coarser, (8, 8)))
    assert gates.shape == (2, 2, 8, 1, 1)
    assert not torch.allclose(gates[0], gates[1])


def test_static_gates_are_the_same_for_every_image():
    block = CrossLevelRecruitment(channels=8, finer=4, coarser=16, mode="static")
    own = torch.rand(2, 8, 8, 8)
    gates = block.gates(own, block.paths(torch.rand(2, 4, 16, 16), torch.rand(2, 16, 4, 4), (8, 8)))
    assert torch.equal(gates[0], gates[1])


def test_upsampling_mixes_bilinear_and_bicubic():
    up = small().net.decoder[0].upsample
    assert up.logits.shape == (2,) and up.logits.requires_grad


def test_bad_arguments():
    with pytest.raises(ValueError, match="recruitment"):
        small(recruitment="searched")
    with pytest.raises(ValueError, match="stages"):
        small(stages=0)
    with pytest.raises(ValueError, match="norm"):
        small(norm="layer")


def test_decoder_reduces_before_upsampling_with_the_same_output():
    """Checkpoint-compatible reorder: same parameters, the output of upsample-then-reduce."""
    from rdmc.models.rdmc_se import DecoderLevel

    torch.manual_seed(0)
    level = DecoderLevel(c_coarse=24, c_skip=8, c_out=8, norm="bn").eval()
    with torch.no_grad():
        level.upsample.logits.copy_(torch.tensor([0.3, -0.7]))
    coarse, skip = torch.rand(2, 24, 9, 13), torch.rand(2, 8, 18, 26)
    with torch.no_grad():
        upsampled_first = level.reduce(level.upsample(coarse, skip.shape[-2:]))
        expected = level.fuse(torch.cat([upsampled_first, skip], dim=1))
        assert torch.allclose(level(coarse, skip), expected, atol=1e-5)
    assert level.reduce.weight.shape == (8, 24, 1, 1)  # the same parameters as before
