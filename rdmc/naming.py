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
