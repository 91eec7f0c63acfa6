"""An exclusive lock on an output folder, so two runs never write one results file."""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".rdmc.lock"


class FolderLocked(RuntimeError):
    """Another process holds the folder; the message names it."""


@contextlib.contextmanager
def exclusive(folder: Path) -> Iterator[None]:
    """Holds ``folder``'s lock (an flock on ``folder/.rdmc.lock``, released by the kernel
    when the holder dies, so a killed run never leaves it locked) for the block; the file
    says who holds it. FolderLocked naming the holder if another process has it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 512).decode(errors="replace").strip() or "another process"
            raise FolderLocked(
                f"{folder}: in use by {holder}; wait for it to finish or pick another output folder"
            ) from None
        since = datetime.datetime.now().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {since}".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock
