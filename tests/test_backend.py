"""`--backend openvino` and `auto`, checked in a pytest process of their own
(tests/backend_checks.py): once OpenVINO's CPU plugin has run in a process, a fork there
(DataLoader workers) crashes it with SIGSEGV, and so does OpenVINO after such a fork
(reproduced both ways with the data-loader worker test), so the main test process never
loads OpenVINO."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rdmc.inference import cpu_has_bf16


def test_openvino_backend_checks_pass_in_their_own_process():
    checks = Path(__file__).with_name("backend_checks.py")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(checks), "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in summary, summary
    # the bf16 check skips only on a CPU without bf16 units, which would run f32 there
    assert cpu_has_bf16() is ("skipped" not in summary), summary
