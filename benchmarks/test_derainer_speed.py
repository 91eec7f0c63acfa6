"""Forward latency on CPU of every derainer (both RDMC presets, the baselines) at 256 and 512,
and rdmc-s tiled vs whole at 1024. The paper-size rdmc takes seconds per image on a CPU, so it
runs fewer pedantic rounds.
"""

from __future__ import annotations

import pytest
import torch

from rdmc.inference import Derainer
from rdmc.registry import build_model
from rdmc.zoo import ARCHITECTURES, NON_LEARNED, build_architecture

DERAINERS = [*NON_LEARNED, *ARCHITECTURES]


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    weight_free = {name: build_model(dict(cfg)) for name, cfg in NON_LEARNED.items()}
    return {**weight_free, **{name: build_architecture(name).eval() for name in ARCHITECTURES}}


@pytest.mark.parametrize("size", [256, 512])
@pytest.mark.parametrize("preset", DERAINERS)
def test_forward_latency(benchmark, nets, preset, size):
    benchmark.group = f"rdmc-forward-{size}"
    x = torch.rand(1, 3, size, size)

    def forward():
        with torch.inference_mode():
            return nets[preset](x)

    rounds = 3 if preset == "rdmc" else 5
    benchmark.pedantic(forward, rounds=rounds, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("tile", [None, 512], ids=["whole", "tiled-512"])
def test_tiled_vs_whole_1024(benchmark, nets, tile):
    benchmark.group = "rdmc-s-1024-tiling"
    derainer = Derainer(nets["rdmc-s"], tile=tile, tile_overlap=32)
    x = torch.rand(1, 3, 1024, 1024)
    benchmark.pedantic(derainer.derain_tensor, args=(x,), rounds=3, iterations=1, warmup_rounds=1)
