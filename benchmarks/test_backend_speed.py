"""Every shipped learned derainer at 512x512 on each CPU path: torch fp32 (the baseline),
torch bf16 channels-last (``--precision auto`` on a CPU with bf16), the same compiled
(``--compile``, inductor with frozen weights), OpenVINO f32 and bf16, ONNX Runtime fp32.
Each result's ``extra_info`` holds its speed-up over torch fp32 of the same model in this
run and its fraction of this run's conv peak (``conv3x3_peak``, bf16 for the bf16 paths)
counted over the network's convolutions alone: conv multiply-adds over the whole forward's
time.

These run last (conftest): a process that has run OpenVINO crashes when it later forks, as
DataLoader workers do, and inductor's compile workers; so the torch paths of every model run
before the other backends. The first call of a converted path (export, compile) is a warm-up
round, not timed.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from torch import nn

from rdmc.analysis import conv_macs
from rdmc.fidelity import PATHS as FIDELITY_PATHS
from rdmc.inference import cpu_has_bf16
from rdmc.zoo import CHECKPOINTS, load_derainer
from reports.speed import TORCH_BF16, TORCH_FP32

SIZE = 512
# Derainer.precision -> (backend, precision, compile): torch fp32 and the paths whose
# fidelity is measured, less compiled fp32 (a compile per model, and slower than OpenVINO f32)
PATHS = {
    "fp32": ("torch", "fp32", False),
    **{name: path for name, path in FIDELITY_PATHS.items() if name != "fp32+compiled"},
}
# torch fp32 of every model first (the speed-ups' baseline), then path by path
CASES = [(model, path) for path in PATHS for model in CHECKPOINTS]
fp32_medians: dict[str, float] = {}  # model -> torch fp32 median of this run


def conv_gmacs(net: nn.Module, size: int) -> float:
    """Multiply-adds (billions) of the network's convolutions on one size x size image."""
    macs = 0

    def count(conv, inputs, output):
        nonlocal macs
        macs += conv_macs(conv, output)

    hooks = [m.register_forward_hook(count) for m in net.modules() if isinstance(m, nn.Conv2d)]
    try:
        with torch.inference_mode():
            net(torch.rand(1, 3, size, size))
    finally:
        for hook in hooks:
            hook.remove()
    return macs / 1e9


@pytest.fixture(scope="module")
def conv_peaks() -> dict[str, float]:
    """This run's 3x3 conv peak (GFLOP/s, 64 -> 64 channels at 256, channels-last), fp32 and
    bf16, as benchmarks/test_peak_speed.py measures it (median of 20)."""
    peaks = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        conv = nn.Conv2d(64, 64, 3, padding=1, bias=False).to(
            dtype, memory_format=torch.channels_last
        )
        x = torch.rand(1, 64, 256, 256, dtype=dtype).contiguous(memory_format=torch.channels_last)
        times = []
        with torch.inference_mode():
            for _ in range(22):
                start = time.perf_counter()
                conv(x)
                times.append(time.perf_counter() - start)
        peaks[name] = 64 * 64 * 9 * 256 * 256 / float(np.median(times[2:])) / 1e9
    return peaks


@pytest.mark.parametrize(("model", "path"), CASES)
def test_backend_512(benchmark, conv_peaks, model, path):
    benchmark.group = f"{model}-512-backend"
    backend, precision, compile = PATHS[path]
    if precision == "bf16" and not cpu_has_bf16():
        pytest.skip("bf16 needs AVX512-BF16 or AMX")
    if backend != "torch":
        pytest.importorskip(backend, reason="the fast extra (pip install '.[fast]')")
    derainer = load_derainer(
        model, tile=None, precision=precision, compile=compile, backend=backend, check=False
    )
    x = torch.rand(1, 3, SIZE, SIZE)
    rounds = 3 if model in ("prenet", "restormer-lite") and path == "fp32" else 5
    benchmark.pedantic(derainer.derain_tensor, args=(x,), rounds=rounds, warmup_rounds=1)
    assert derainer.precision == path, f"{path} ran as {derainer.precision}"  # no fallback
    median = benchmark.stats.stats.median
    if path == "fp32":
        fp32_medians[model] = median
    elif model in fp32_medians:
        benchmark.extra_info["speedup_vs_torch_fp32"] = fp32_medians[model] / median
    peak = conv_peaks["bf16" if precision == "bf16" else "fp32"]
    benchmark.extra_info["conv_peak_fraction"] = conv_gmacs(derainer.net, SIZE) / median / peak
    benchmark.extra_info["calibrator"] = TORCH_BF16 if precision == "bf16" else TORCH_FP32
