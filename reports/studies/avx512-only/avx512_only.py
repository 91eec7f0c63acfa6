"""rdmc-s at 512x512 as on a CPU with AVX-512 but no bf16 units, emulated on this one.

Run with oneDNN capped below bf16 and AMX (torch and OpenVINO both honour it):

    ONEDNN_MAX_CPU_ISA=AVX512_CORE python reports/studies/avx512-only/avx512_only.py

rdmc's bf16 detection reads /proc/cpuinfo, which still lists the real CPU's units, so this
script tells it there are none, as a real AVX-512-only CPU would. It then times torch fp32,
today's `--precision auto` path there (fp32 channels-last), the same with `--compile` (frozen
weights), OpenVINO f32 and `--backend auto` (medians of 5 after one warm-up call, one
process; the compiled path before OpenVINO, whose process must not fork compile workers).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

import rdmc.inference

rdmc.inference.cpu_has_bf16 = lambda: False  # as on a CPU without bf16 units

from rdmc.zoo import load_derainer  # noqa: E402

PATHS = [  # (backend, precision, compile)
    ("torch", "fp32", False),
    ("torch", "auto", False),
    ("torch", "auto", True),
    ("openvino", "auto", False),
    ("auto", "auto", False),
]


def median_ms(call, repeats: int = 5) -> float:
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> int:
    if os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper() != "AVX512_CORE":
        print("set ONEDNN_MAX_CPU_ISA=AVX512_CORE first (see the docstring)", file=sys.stderr)
        return 2
    image = (np.random.default_rng(0).random((512, 512, 3)) * 255).astype(np.uint8)
    for backend, precision, compile in PATHS:
        derainer = load_derainer(
            "rdmc-s", tile=None, backend=backend, precision=precision, compile=compile
        )
        ms = median_ms(lambda d=derainer: d(image))
        options = f"--backend {backend} --precision {precision}"
        if compile:
            options += " --compile"
        print(f"{options}: {derainer.precision} {ms:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
