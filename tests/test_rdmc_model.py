"""The RDMC network: the authors' sizes, shapes, stages, presets, recruitment modes."""

from __future__ import annotations

import pytest
import torch

from rdmc.models.rdmc import RDMC, build_rdmc, path_names


def small(**kwargs) -> RDMC:
    torch.manual_seed(0)
    base = {
        "widths": (4, 4, 8, 8, 8),
        "dilations": (1, 2, 3),
        "stages": 3,
        "recruitment": "dynamic",
    }
    return RDMC(**{**base, **kwargs}).eval()


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


def _weights(net: RDMC) -> int:
    return sum(p.numel() for p in net.weight_parameters())


def _conv_macs(net: torch.nn.Module, x: torch.Tensor) -> int:
    """Multiply-adds of every convolution in one forward pass (one MAC = one FLOP)."""
    total = 0

    def count(module, inputs, output):
        nonlocal total
        k = module.kernel_size[0] * module.kernel_size[1]
        total += output.numel() * module.in_channels // module.groups * k

    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    hooks = [c.register_forward_hook(count) for c in convs]
    with torch.no_grad():
        net(x)
    for h in hooks:
        h.remove()
    return total


def test_rdmc_is_the_authors_network_by_size():
    """Jzy2017/DRNet's UNet: 19,809,990 weights with every candidate path registered,
    15,883,731 used by the released default mask (all paths off), 115.2 GFLOPs at 256x256."""
    net = build_rdmc("rdmc").eval()
    assert _weights(net) == 19_809_990
    paths = sum(p.numel() for p in net.recruitment.paths.parameters())
    assert _weights(net) - paths == 15_883_731
    assert _weights(build_rdmc("rdmc", recruitment="none")) == 15_883_731
    # Architecture parameters, which the authors keep outside the module: the upsampling
    # mix (2) and one scalar per candidate path (8).
    assert [p.numel() for p in net.architecture_parameters()] == [2, 8]
    assert not net.recruitment.mask.any()
    assert _conv_macs(net, torch.rand(1, 3, 256, 256)) == 115_199_705_088


def test_rdmc_s_is_the_same_structure_narrower():
    small_net, paper = build_rdmc("rdmc-s"), build_rdmc("rdmc")
    assert _weights(small_net) < 1_500_000
    assert [type(m).__name__ for m in small_net.net.children()] == [
        type(m).__name__ for m in paper.net.children()
    ]
    assert len(small_net.net.decoder) == len(paper.net.decoder) == 4


def test_paper_preset_matches_the_paper():
    net = build_rdmc("rdmc")
    assert net.stages == 3 and len(net.net.encoder.branches) == 3
    widths = [level[-1][0].out_channels for level in net.net.encoder.branches[0].levels]
    assert widths == [32, 64, 128, 256, 256]
    dilations = [b.levels[0][-1][3].dilation[0] for b in net.net.encoder.branches]
    assert dilations == [1, 2, 3]
    assert [d[0].out_channels for d in net.net.decoder] == [48, 96, 192, 384]
    assert net.net.head.kernel_size == (1, 1) and net.net.head.in_channels == 48


def test_candidate_paths_are_named_as_the_authors_genotypes():
    assert path_names(5) == [
        "enc3_dec4", "enc2_dec3", "enc1_dec2", "enc0_dec1",
        "enc4_dec3", "enc3_dec2", "enc2_dec1", "enc1_dec0",
    ]  # fmt: skip
    net = build_rdmc("rdmc")
    paths = net.recruitment.paths
    assert isinstance(paths["enc3_dec4"][0], torch.nn.ReflectionPad2d)
    assert paths["enc3_dec4"][1].stride == (2, 2) and paths["enc3_dec4"][1].out_channels == 384
    assert paths["enc0_dec1"][0].in_channels == 6 and paths["enc0_dec1"][0].kernel_size == (1, 1)
    assert paths["enc4_dec3"].upsample and paths["enc4_dec3"].conv[0].in_channels == 768
    assert not paths["enc1_dec0"].upsample and paths["enc1_dec0"].conv[-3].out_channels == 3


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
    assert any(n.startswith("net.recruit.gates") for n, _ in base.named_parameters())
    assert any("gate_logits" in n for n, _ in variants["static"].named_parameters())
    assert len(variants["none"].net.recruit.paths) == 0


def test_norm_none_drops_every_batchnorm_and_gives_convs_a_bias():
    net = small(norm="none")
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert all(c.bias is not None for c in convs)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in small().modules())
    assert net(torch.rand(1, 3, 24, 40))[-1].shape == (1, 3, 24, 40)


def test_dynamic_gates_depend_on_the_image():
    net = small()
    gate = net.net.recruit.gates["enc2_dec1"]
    path = torch.rand(2, 6, 8, 8)
    path[1] *= 5
    gated = gate(path)
    assert gated.shape == path.shape
    assert not torch.allclose(gated[0] / path[0], gated[1] / path[1])


def test_global_context_gates_the_bottleneck_by_the_whole_image():
    net = small(global_context=True)
    assert net.net.context is not None and small().net.context is None
    seen = []
    net.net.context.register_forward_hook(lambda m, args, out: seen.append(args[0].shape))
    x = torch.rand(1, 3, 48, 64)
    assert net(x)[-1].shape == x.shape
    assert seen == [(1, 24, 3, 4)] * 3  # the deepest features of every stage
    context = net.net.context
    clear = torch.rand(1, 24, 3, 4)
    for features in (clear, 0.4 * clear + 0.6):  # heavy rain's accumulation: a global haze
        gate = torch.sigmoid(context.mlp(features.mean(dim=(2, 3))))  # one per channel
        assert torch.allclose(context(features), gate[:, :, None, None] * features)
    hazy, plain = (context(f) / f for f in (0.4 * clear + 0.6, clear))
    assert not torch.allclose(hazy, plain)  # the haze changes the gates


def test_mask_switches_paths_off():
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        all_on = small()(x)[-1]
        one_off = small(mask=[1, 1, 1, 1, 1, 1, 1, 0])(x)[-1]
        all_off = small(mask=[0] * 8)(x)[-1]
    assert not torch.allclose(all_on, one_off) and not torch.allclose(one_off, all_off)
    with pytest.raises(ValueError, match="mask needs 8 entries"):
        small(mask=[1, 0])


def test_searched_paths_are_all_on_while_searching_then_fixed():
    torch.manual_seed(0)
    net = small(recruitment="searched")
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        released = net(x)[-1]  # all off: the released default
        net.recruitment.searching = True
        with torch.no_grad():
            net.recruitment.alphas.copy_(torch.tensor([0.1, 0.5, -0.2, 0.3, 0.9, -0.1, 0.2, 0.4]))
        searching = net(x)[-1]
    assert not torch.allclose(released, searching)
    kept = net.select_paths(keep_down=2, keep_up=1)
    assert kept == ["enc2_dec3", "enc0_dec1", "enc4_dec3"]
    assert not net.recruitment.searching
    assert net.recruitment.mask.tolist() == [False, True, False, True, True, False, False, False]
    state = net.state_dict()
    assert state["net.recruit.mask"].tolist() == net.recruitment.mask.tolist()
    fresh = small(recruitment="searched")
    fresh.load_state_dict(state)  # the mask travels with the checkpoint
    assert fresh.recruitment.active() == [1, 3, 4]
    with pytest.raises(ValueError, match="only searched"):
        small().select_paths()


def test_architecture_parameters_are_separate_from_weights():
    net = small(recruitment="searched")
    arch = {id(p) for p in net.architecture_parameters()}
    weights = {id(p) for p in net.weight_parameters()}
    assert not arch & weights and arch | weights == {id(p) for p in net.parameters()}


def test_upsampling_is_one_mix_shared_by_every_level():
    net = small()
    mixes = [m for m in net.modules() if type(m).__name__ == "MixedUpsample"]
    assert len(mixes) == 1 and mixes[0].logits.shape == (2,)


def test_upsampling_aligns_corners():
    """The authors' nn.Upsample(scale_factor=2, align_corners=True): corners stay put."""
    up = small().net.upsample
    x = torch.rand(1, 2, 4, 4)
    y = up(x, (8, 8))
    assert torch.allclose(y[..., 0, 0], x[..., 0, 0]) and torch.allclose(
        y[..., -1, -1], x[..., -1, -1]
    )


def test_bad_arguments():
    with pytest.raises(ValueError, match="recruitment"):
        small(recruitment="darts")
    with pytest.raises(ValueError, match="stages"):
        small(stages=0)
    with pytest.raises(ValueError, match="norm"):
        small(norm="layer")
    with pytest.raises(ValueError, match="unknown RDMC preset"):
        build_rdmc("rdmc-xl")
