"""What a results file records about where its numbers came from: the commit, the library
versions and the machine."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path


def git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def versions() -> dict[str, str]:
    import mmcv
    import mmdet
    import mmengine
    import mmseg
    import numpy as np
    import torch

    import rdmc

    return {
        "rdmc": rdmc.__version__,
        "torch": torch.__version__,
        "mmengine": mmengine.__version__,
        "mmcv": mmcv.__version__,
        "mmdet": mmdet.__version__,
        "mmseg": mmseg.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def machine(device: str, processes: int = 1) -> dict:
    import torch

    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": device,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "processes": processes,
    }
