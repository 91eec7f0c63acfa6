"""Debian packages as a source of photographs: fetch with `apt-get download`, read members.

`apt-get download` needs no root and keeps the package in the current folder. A
.deb is an `ar` archive whose `data.tar.xz` holds the files; members are read in
pure Python, so no `dpkg-deb` is needed and nothing is installed. Where apt is
missing or its package lists are stale, a folder of .deb files fetched elsewhere
can stand in: ``RDMC_DEB_DIR`` (also where `apt-get download` then puts them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.parse
from pathlib import Path

AR_MAGIC = b"!<arch>\n"
AR_HEADER = 60


class PackageUnavailable(RuntimeError):
    """A package could not be fetched; the message says why and how to fix it."""


def package_version(deb: Path) -> str:
    """The version in a .deb's file name ``name_version_arch.deb`` (epoch colon decoded)."""
    parts = deb.stem.split("_")
    return urllib.parse.unquote(parts[1]) if len(parts) == 3 else "unknown"


def _found(package: str, folder: Path) -> Path | None:
    matches = sorted(folder.glob(f"{package}_*.deb")) if folder.is_dir() else []
    return matches[-1] if matches else None


def fetch_package(package: str, debs_dir: Path) -> Path:
    """The package's .deb from ``RDMC_DEB_DIR`` (or else ``debs_dir``), fetched with
    `apt-get download` into that folder when it is not there yet."""
    debs_dir = Path(os.environ.get("RDMC_DEB_DIR") or debs_dir)
    if deb := _found(package, debs_dir):
        return deb
    if shutil.which("apt-get") is None:
        raise PackageUnavailable(
            f"{package}: apt-get not found (not Debian/Ubuntu); fetch {package}_*.deb on a Debian "
            "machine with 'apt-get download' and set RDMC_DEB_DIR to its folder"
        )
    debs_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=debs_dir, prefix=".apt-") as tmp:
        command = ["apt-get", "download", package]
        run = subprocess.run(command, cwd=tmp, capture_output=True, text=True)
        fetched = _found(package, Path(tmp))
        if run.returncode != 0 or fetched is None:
            reason = (run.stderr.strip().splitlines() or ["no .deb written"])[-1]
            raise PackageUnavailable(
                f"{package}: apt-get download failed ({reason}); refresh the package lists "
                "('apt-get update' as root, or bash setup.sh as root) or set RDMC_DEB_DIR"
            )
        target = debs_dir / fetched.name
        os.replace(fetched, target)
    return target


def _data_tar_offset(deb: Path) -> tuple[int, int, str]:
    """(offset, size, member name) of the data archive inside the `ar` file."""
    with deb.open("rb") as f:
        if f.read(len(AR_MAGIC)) != AR_MAGIC:
            raise PackageUnavailable(f"{deb}: not a Debian package (no ar header)")
        while header := f.read(AR_HEADER):
            if len(header) < AR_HEADER:
                break
            name = header[:16].decode().strip().rstrip("/")
            size = int(header[48:58].decode().strip())
            if name.startswith("data.tar"):
                return f.tell(), size, name
            f.seek(size + size % 2, os.SEEK_CUR)
    raise PackageUnavailable(f"{deb}: no data.tar member")


def read_members(deb: Path, paths: set[str]) -> dict[str, bytes]:
    """The bytes of the named files (paths without a leading ``./``) found in the package."""
    offset, size, name = _data_tar_offset(deb)
    if not name.endswith((".tar.xz", ".tar.gz", ".tar.bz2", ".tar")):
        raise PackageUnavailable(f"{deb}: {name} is not readable here (needs xz, gz or bz2)")
    found: dict[str, bytes] = {}
    with deb.open("rb") as f:
        f.seek(offset)
        with tarfile.open(fileobj=_Limited(f, size), mode="r|*") as tar:
            for member in tar:
                path = member.name.removeprefix("./")
                if path in paths and member.isfile():
                    found[path] = tar.extractfile(member).read()  # type: ignore[union-attr]
                    if len(found) == len(paths):
                        break
    return found


class _Limited:
    """A read-only view of ``size`` bytes from a file's current position."""

    def __init__(self, f, size: int) -> None:
        self.f, self.left = f, size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.f.read(n)
        self.left -= len(data)
        return data
