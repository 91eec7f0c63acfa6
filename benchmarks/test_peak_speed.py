"""What this CPU can do: a compute-bound 3x3 convolution (64 -> 64 channels, 256x256,
channels-last) in fp32 and in bf16. Its GFLOP/s (one multiply-add = one FLOP, as mmengine
counts) is the peak the derainers' achieved GFLOP/s are read against; `extra_info` of each
result holds the value.

These and a small numpy/OpenCV kernel are also the gate's calibrators
(``extra_info["calibration"]``, reports.speed): every other benchmark is judged by its time
over its calibrator's in the same run, so a uniformly slower machine is no regression.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from reports.speed import NUMPY_OPENCV, TORCH_BF16, TORCH_FP32

CHANNELS, SIZE = 64, 256
MACS = CHANNELS * CHANNELS * 9 * SIZE * SIZE  # multiply-adds of one forward


@pytest.mark.calibration
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

    benchmark.pedantic(forward, rounds=30, iterations=3, warmup_rounds=2)
    benchmark.extra_info["gflops_per_s"] = MACS / benchmark.stats.stats.median / 1e9
    benchmark.extra_info["calibration"] = True
    benchmark.extra_info["calibrates"] = TORCH_FP32 if dtype == torch.float32 else TORCH_BF16


@pytest.mark.calibration
def test_numpy_opencv_calibration(benchmark):
    """The calibrator of the numpy/OpenCV work (metrics, rain): element-wise numpy and an
    OpenCV blur on a 512x512 float image, about 2.5 ms. Every buffer is allocated once and
    fits in cache: a 1024x1024 version that allocated per call ran at 5, 8.5 or 17 ms from
    one round to the next, which no calibrator may do."""
    benchmark.group = "calibration"
    image = np.random.default_rng(0).random((512, 512), dtype=np.float32)
    out = np.empty_like(image)

    def kernel():
        for _ in range(4):
            np.multiply(image, image, out=out)
            np.sqrt(out, out=out)
            cv2.GaussianBlur(out, (0, 0), 2.0, dst=out)
        return float(out.sum())

    benchmark.pedantic(kernel, rounds=30, iterations=1, warmup_rounds=2)
    benchmark.extra_info["calibration"] = True
    benchmark.extra_info["calibrates"] = NUMPY_OPENCV
