"""How file names pair: the one home of the rules that match a rainy image to its clean one
and a method's output to its input (``rdmc eval``, the dataset layouts, the scoreboard's
``outputs:`` folders). A leaf module."""

from __future__ import annotations

import re
from pathlib import Path

_PREFIX = re.compile(r"^(no[-_]?rain|rainy|rain|clean|gt|derained)[-_]", re.IGNORECASE)
_SUFFIX = re.compile(
    r"([-_](no[-_]?rain|rainy|rain|clean|gt|target|input|in|derained|out)|gt|x2)$", re.IGNORECASE
)


def pairing_key(path: Path) -> str:
    """The part of a file name that identifies the scene, without rain/clean markers."""
    stem = path.stem.lower()
    stem = _PREFIX.sub("", stem)
    return _SUFFIX.sub("", stem)


def match_by_name(names: list[Path], files: list[Path]) -> list[Path | None]:
    """For each of ``names``, the file of ``files`` it pairs with, or None: the file with the
    same stem, else the one file with the same :func:`pairing_key`; each file pairs once.
    The one rule of ``rdmc eval`` (outputs to ground truth) and of the scoreboard's and the
    bench's ``outputs:`` folders (inputs to outputs)."""
    by_stem = {f.stem: f for f in files}
    by_key: dict[str, list[Path]] = {}
    for f in files:
        by_key.setdefault(pairing_key(f), []).append(f)
    used: set[Path] = set()
    matched: list[Path | None] = []
    for name in names:
        match = by_stem.get(name.stem)
        if match is None:
            candidates = [f for f in by_key.get(pairing_key(name), []) if f not in used]
            match = candidates[0] if len(candidates) == 1 else None
        if match is None or match in used:
            matched.append(None)
        else:
            used.add(match)
            matched.append(match)
    return matched


_RAINY_NAME = re.compile(r"^(rain|rainy)[-_]|[-_](rain|rainy|in)$", re.IGNORECASE)
_CLEAN_NAME = re.compile(r"^(norain|no_rain|clean)[-_]|([-_](norain|clean|gt)|gt)$", re.IGNORECASE)


def split_by_name(images: list[Path]) -> tuple[list[Path], list[Path], list[Path]]:
    """(rainy, clean, neither) by the markers in the file names of one mixed folder."""
    rainy, clean, other = [], [], []
    for p in images:
        if _CLEAN_NAME.search(p.stem):
            clean.append(p)
        elif _RAINY_NAME.search(p.stem):
            rainy.append(p)
        else:
            other.append(p)
    return rainy, clean, other
