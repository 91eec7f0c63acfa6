"""One training step of rdmc-s as `rdmc train rdmc-s` runs it (batch 8 of 128x128 patches,
0.1 MSE + (1 - SSIM) + 0.1 CR on every stage, Adam): float32 (the baseline) against the
network in bfloat16 (``optim_wrapper.type=BF16OptimWrapper``)."""

from __future__ import annotations

import pytest
import torch
from mmengine.config import Config

from rdmc.registry import build_model, build_optim_wrapper
from rdmc.train import CONFIG_DIR


@pytest.mark.parametrize("wrapper", ["OptimWrapper", "BF16OptimWrapper"])
def test_train_step_rdmc_s(benchmark, wrapper):
    benchmark.group = "rdmc-s-train-step"
    torch.manual_seed(0)
    model = build_model(Config.fromfile(CONFIG_DIR / "rdmc_s.py").model.to_dict()).train()
    optim = build_optim_wrapper(
        dict(type=wrapper, optimizer=torch.optim.Adam(model.parameters(), 1e-3))
    )
    clean = torch.rand(8, 3, 128, 128)
    batch = {"rainy": (clean + 0.3 * torch.rand_like(clean)).clamp(0, 1), "clean": clean,
             "name": [str(i) for i in range(8)]}  # fmt: skip
    benchmark.pedantic(model.train_step, args=(batch, optim), rounds=3, iterations=1,
                       warmup_rounds=1)  # fmt: skip
