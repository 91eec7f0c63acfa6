"""The content-addressed cache of `rdmc bench`: arrays (``.npz``) and JSON under one root.

Keys are SHA-256 hashes of everything a value depends on (rdmc.code_digest.content_hash), so a
hit is always the right value. Writes are atomic. An entry that cannot be read back
(truncated, corrupt, the wrong shape of content) is a miss: it is named once on
stderr, deleted, and the caller recomputes it.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rdmc.imageio import write_bytes_atomic

_UNREADABLE = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error)


class Cache:
    """Content-addressed arrays and JSON under ``<cache>/bench``; writes are atomic."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, kind: str, key: str, suffix: str) -> Path:
        return self.root / kind / key[:2] / f"{key}{suffix}"

    def _discard(self, path: Path, error: Exception) -> None:
        print(
            f"warning: {path}: unreadable cache entry ({type(error).__name__}); "
            "deleted, recomputing",
            file=sys.stderr,
        )
        path.unlink(missing_ok=True)

    def get_arrays(
        self, kind: str, key: str, required: tuple[str, ...] = ()
    ) -> dict[str, np.ndarray] | None:
        """The arrays stored under ``key``, or None (also for an unreadable entry, or one
        without every ``required`` array)."""
        path = self._path(kind, key, ".npz")
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            missing = [k for k in required if k not in arrays]
            if missing:
                raise KeyError(f"no array {missing[0]!r}")
        except _UNREADABLE as e:
            self._discard(path, e)
            return None
        return arrays

    def arrays(
        self,
        kind: str,
        key: str,
        required: tuple[str, ...],
        compute: Callable[[], dict[str, np.ndarray]],
    ) -> dict[str, np.ndarray]:
        """The arrays under ``key``; on a miss ``compute()``, stored, under the entry's lock:
        another process (a second run sharing the cache) that wants the same entry waits and
        reads it instead of computing it again."""
        cached = self.get_arrays(kind, key, required)
        if cached is not None:
            return cached
        lock = self._path(kind, key, ".lock")
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            cached = self.get_arrays(kind, key, required)
            if cached is None:
                cached = compute()
                self.put_arrays(kind, key, cached)
                lock.unlink(missing_ok=True)  # whoever waits on it finds the entry written
        finally:
            os.close(fd)
        return cached

    def put_arrays(self, kind: str, key: str, arrays: dict[str, np.ndarray]) -> None:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        write_bytes_atomic(self._path(kind, key, ".npz"), buffer.getvalue())

    def get_json(self, kind: str, key: str, valid: Callable[[object], bool] = lambda v: True):
        """The JSON value stored under ``key``, or None (also for an unreadable entry, or one
        that ``valid`` rejects)."""
        path = self._path(kind, key, ".json")
        if not path.is_file():
            return None
        try:
            value = json.loads(path.read_text())
            if not valid(value):
                raise ValueError("unexpected content")
        except _UNREADABLE as e:
            self._discard(path, e)
            return None
        return value

    def put_json(self, kind: str, key: str, value) -> None:
        write_bytes_atomic(self._path(kind, key, ".json"), json.dumps(value).encode())
