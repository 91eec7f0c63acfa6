"""What a results file records about where its numbers came from."""

from __future__ import annotations

import ast
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


def code_of(source: bytes, filename: str = "<source>") -> bytes:
    """What a module computes: its syntax tree without comments, docstrings or layout, so
    that editing those does not re-key a cache (a re-derain of the bench's images takes
    minutes)."""
    tree = ast.parse(source, filename=filename)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):  # fmt: skip
                node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


def code_digest(modules: tuple[str, ...], libraries: tuple[str, ...]) -> str:
    """What a cached value's code is: the SHA-256 of the code of ``modules`` (every ``.py``
    file of a package; :func:`code_of`) and the installed versions of ``libraries``, for
    cache keys."""
    import importlib.util
    from importlib.metadata import PackageNotFoundError, version

    sources = []
    for module in modules:
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            raise ValueError(f"no source for module {module!r}")
        origin = Path(spec.origin)
        files = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
        sources += [(str(f.relative_to(origin.parent)), code_of(f.read_bytes(), str(f)))
                    for f in files]  # fmt: skip
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
