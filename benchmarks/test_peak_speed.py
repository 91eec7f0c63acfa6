"""What this CPU can do: a compute-bound 3x3 convolution (64 -> 64 channels, 256x256,
channels-last) in fp32 and in bf16. Its GFLOP/s (one multiply-add = one FLOP, as mmengine
counts) is the peak the derainers' achieved GFLOP/s are read against; `extra_info` of each
result holds the value.
"""

from __future__ import annotations

import pytest
import torch

CHANNELS, SIZE = 64, 256
MACS = CHANNELS * CHANNELS * 9 * SIZE * SIZE  # multiply-adds of one forward


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
def test_conv3x3_peak(benchmark, dtype):
    benchmark.group = "peak-conv3x3-64ch-256"
    conv = torch.nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, bias=False).to(
        dtype=dtype, memory_format=torch.channels_last
    )
    x = torch.rand(1, CHANNELS, SIZE, SIZE, dtype=dtype).contiguous(
        memory_format=torch.channels_last
    )

    def forward():
        with torch.inference_mode():
            return conv(x)

    benchmark.pedantic(forward, rounds=20, iterations=3, warmup_rounds=2)
    benchmark.extra_info["gflops_per_s"] = MACS / benchmark.stats.stats.median / 1e9
