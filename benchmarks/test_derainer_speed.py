"""Forward latency on CPU of every derainer (both RDMC presets, the baselines) at 256, rdmc-s
at 512 on each precision path and its convolutions alone, and rdmc-s tiled (auto) vs whole
just over a megapixel. The paper-size rdmc takes seconds per image on a CPU, so it runs fewer
pedantic rounds; so do the megapixel runs, which take about 10 s each and need no warm-up
round.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from rdmc.analysis import complexity, conv_macs
from rdmc.inference import Derainer
from rdmc.registry import build_model
from rdmc.zoo import ARCHITECTURES, NON_LEARNED, build_architecture
from reports.speed import TORCH_BF16

DERAINERS = [*NON_LEARNED, *ARCHITECTURES]


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    weight_free = {name: build_model(dict(cfg)) for name, cfg in NON_LEARNED.items()}
    return {**weight_free, **{name: build_architecture(name).eval() for name in ARCHITECTURES}}


@pytest.mark.parametrize("preset", DERAINERS)
def test_forward_latency(benchmark, nets, preset):
    benchmark.group = "rdmc-forward-256"
    x = torch.rand(1, 3, 256, 256)

    def forward():
        with torch.inference_mode():
            return nets[preset](x)

    rounds = 3 if preset == "rdmc" else 5
    benchmark.pedantic(forward, rounds=rounds, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("tile", [None, "auto"], ids=["whole", "tiled-auto"])
def test_tiled_vs_whole_1025(benchmark, nets, tile):
    """Just over one megapixel, so that auto tiles (2 x 2 tiles of 624, rdmc-s's overlap of
    192); the whole image is the baseline."""
    benchmark.group = "rdmc-s-1025-tiling"
    derainer = Derainer(nets["rdmc-s"], tile=tile)
    x = torch.rand(1, 3, 1025, 1025)
    benchmark.pedantic(derainer.derain_tensor, args=(x,), rounds=3, iterations=1)


@pytest.mark.parametrize("precision", ["fp32", "fp32+channels-last", "bf16"])
def test_precision_512(benchmark, nets, monkeypatch, precision):
    """rdmc-s at 512 on each inference path; fp32 is the baseline (``--precision``)."""
    benchmark.group = "rdmc-s-512-precision"
    if precision == "fp32+channels-last":  # what auto runs on a CPU without bf16
        monkeypatch.setattr("rdmc.inference.cpu_has_bf16", lambda: False)
        precision = "auto"
    derainer = Derainer(nets["rdmc-s"], tile=None, precision=precision)
    x = torch.rand(1, 3, 512, 512)
    benchmark.pedantic(derainer.derain_tensor, args=(x,), rounds=5, iterations=1, warmup_rounds=1)
    gflops = complexity(nets["rdmc-s"], 512)["gflops"]
    benchmark.extra_info["gflops_per_s"] = gflops / benchmark.stats.stats.median


def test_convolutions_alone_512(benchmark, nets):
    """rdmc-s's convolutions at 512, each run alone on the input it gets in a bf16
    channels-last forward: the bf16 path's time if every other operator (upsampling,
    normalisation, padding, concatenation, gating) cost nothing. Its share of the bf16 peak
    is the most the network could reach on this CPU; ``extra_info`` holds it."""
    benchmark.group = "rdmc-s-512-precision"
    net = nets["rdmc-s"]
    calls, macs = [], 0

    def record(conv, inputs, output):
        nonlocal macs
        calls.append((conv, inputs[0].clone()))
        macs += conv_macs(conv, output)

    hooks = [m.register_forward_hook(record) for m in net.modules() if isinstance(m, nn.Conv2d)]
    try:
        Derainer(net, tile=None, precision="bf16").derain_tensor(torch.rand(1, 3, 512, 512))
    finally:
        for hook in hooks:
            hook.remove()
    convs = [(copy.deepcopy(conv).to(torch.bfloat16, memory_format=torch.channels_last),
              x.to(torch.bfloat16).contiguous(memory_format=torch.channels_last))
             for conv, x in calls]  # fmt: skip

    def convolutions():
        with torch.inference_mode():
            for conv, x in convs:
                conv(x)

    benchmark.pedantic(convolutions, rounds=5, iterations=1, warmup_rounds=1)
    benchmark.extra_info["gflops_per_s"] = macs / 1e9 / benchmark.stats.stats.median
    benchmark.extra_info["calibrator"] = TORCH_BF16  # bf16 work without bf16 in its name
