"""Forward latency of the baseline derainers on CPU at 256 and 512 (compare with
test_rdmc_speed.py in the same run: the JSON holds both)."""

from __future__ import annotations

import pytest
import torch

from rdmc.registry import build_model
from rdmc.zoo import NON_LEARNED, build_architecture


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    nets = {name: build_model(dict(cfg)) for name, cfg in NON_LEARNED.items()}
    learned = {name: build_architecture(name).eval() for name in ("prenet", "restormer-lite")}
    return {**nets, **learned}


@pytest.mark.parametrize("size", [256, 512])
@pytest.mark.parametrize("name", ["identity", "guided-filter", "prenet", "restormer-lite"])
def test_forward_latency(benchmark, nets, name, size):
    benchmark.group = f"rdmc-forward-{size}"
    x = torch.rand(1, 3, size, size)

    def forward():
        with torch.inference_mode():
            return nets[name](x)

    benchmark.pedantic(forward, rounds=5, iterations=1, warmup_rounds=1)
