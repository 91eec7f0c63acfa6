"""Where RDMC keeps what it downloads or builds: a leaf module, cheap to import."""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """``$RDMC_CACHE_DIR`` or ``${XDG_CACHE_HOME:-~/.cache}/rdmc``."""
    if os.environ.get("RDMC_CACHE_DIR"):
        return Path(os.environ["RDMC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rdmc"
