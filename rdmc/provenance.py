"""What a results file records about where its numbers came from."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from pathlib import Path


def git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, timeout=10)  # fmt: skip
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

    return {"rdmc": rdmc.__version__, "torch": torch.__version__, "mmengine": mmengine.__version__,
            "mmcv": mmcv.__version__, "mmdet": mmdet.__version__, "mmseg": mmseg.__version__,
            "python": platform.python_version(), "numpy": np.__version__}  # fmt: skip


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


def content_hash(*parts: object) -> str:
    """SHA-256 over bytes and JSON-serialisable parts, each followed by a separator."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else json.dumps(part, sort_keys=True).encode())
        h.update(b"\0")
    return h.hexdigest()


def code_digest(modules: tuple[str, ...], libraries: tuple[str, ...]) -> str:
    """What a cached value's code is: the SHA-256 of the source of ``modules`` (every ``.py``
    file of a package) and the installed versions of ``libraries``, for cache keys."""
    import importlib.util
    from importlib.metadata import PackageNotFoundError, version

    sources = []
    for module in modules:
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            raise ValueError(f"no source for module {module!r}")
        origin = Path(spec.origin)
        files = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
        sources += [(str(f.relative_to(origin.parent)), f.read_bytes()) for f in files]
    versions = {}
    for name in libraries:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    h = hashlib.sha256()
    for name, data in sources:
        h.update(name.encode() + b"\0" + data + b"\0")
    return content_hash(h.hexdigest(), versions)
