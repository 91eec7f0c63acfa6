"""What `rdmc scoreboard` scores on, and the outputs of methods run elsewhere.

- The embedded split under synthetic rain (the same rain as ``rdmc bench``).
- Paired dataset folders (``--dataset NAME=ROOT[:LAYOUT]``): each is one rain
  setting, named as deraining papers name their test sets.
- ``outputs:DIR``: a method's derained images, matched to the rainy inputs by file
  name as ``rdmc eval`` matches (the same stem, else the same pairing key);
  ``DIR`` may hold ``{dataset}`` (the setting's name: ``Rain100H``, ``heavy/s3``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rdmc.choices import RainSetting
from rdmc.data.datasets import to_rgb_uint8
from rdmc.data.samples import sample_split
from rdmc.derainer_kinds import OUTPUTS
from rdmc.digests import sha256_of, sha256_text
from rdmc.imageio import ImageError, list_images, read_image
from rdmc.naming import match_by_name
from rdmc.rain import add_rain, seed_for


@dataclass(frozen=True)
class Case:
    name: str  # the rainy input's file name
    rainy: np.ndarray
    clean: np.ndarray


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    root: Path
    layout: str | None = None

    @classmethod
    def parse(cls, text: str) -> DatasetSpec:
        """``[NAME=]ROOT[:LAYOUT]``; the name defaults to the folder's."""
        from rdmc.data.layouts import LAYOUTS

        name, sep, rest = text.partition("=")
        root = rest if sep else text
        head, colon, tail = root.rpartition(":")
        layout = tail if colon and tail in LAYOUTS else None
        root = head if layout else root
        return cls(name if sep else Path(root).name, Path(root), layout)


def digest(lines: list[str]) -> str:
    """What a scoreboard was made on (``rdmc compare`` refuses other data)."""
    return sha256_text("\n".join(lines))


def embedded_cases(split: str, rain: list[tuple[str, int]], seed: int) -> tuple[dict, dict]:
    """The embedded split under synthetic rain: (dataset meta, {setting: cases})."""
    root = sample_split(split)
    names = [p.name for p in list_images(root)]
    clean = {n: to_rgb_uint8(read_image(root / n)) for n in names}
    cases = {
        str(RainSetting(p, s)): [
            Case(n, add_rain(clean[n], p, s, seed_for(n, seed)).rainy, clean[n]) for n in names
        ]
        for p, s in rain
    }
    content = digest([f"{n} {sha256_of(root / n)}" for n in names])
    meta = {
        "name": f"samples:{split}",
        "images": names,
        "skipped": [],
        "sha256": content,
        "settings": {setting: content for setting in cases},
    }
    return meta, cases


def folder_cases(datasets: list[DatasetSpec]) -> tuple[dict, dict]:
    """Paired dataset folders (any layout ``rdmc data check`` knows): (dataset meta,
    {name: cases}). Unreadable pairs are listed as skipped."""
    from rdmc.data.datasets import PairedRainDataset
    from rdmc.data.layouts import find_pairs

    names = [d.name for d in datasets]
    if len(set(names)) != len(names):
        raise ValueError(f"two datasets share a name: {', '.join(names)}; name them NAME=ROOT")
    cases, folders, skipped = {}, {}, []
    for spec in datasets:
        found = find_pairs(spec.root, spec.layout)
        readable = []
        for pair in found.pairs:
            try:
                readable.append(Case(pair.rainy.name, *PairedRainDataset.read_pair(pair)))
            except ImageError as e:
                skipped.append(str(e))
                print(f"skipped: {e}", file=sys.stderr)
        if not readable:
            raise ValueError(f"{spec.root}: no readable rainy/clean pair ({found.layout} layout)")
        cases[spec.name] = readable
        files = sorted({f for p in found.pairs for f in (p.rainy, p.clean)})
        # --resume keeps rows only for the same files: names alone would miss a replaced image.
        content = digest([f"{f.relative_to(spec.root)} {sha256_of(f)}" for f in files])
        folders[spec.name] = {
            "root": str(spec.root),
            "layout": found.layout,
            "sha256": content,
            "pairs": [p.rainy.name for p in found.pairs],
        }
    meta = {
        "name": ", ".join(names),
        "folders": folders,
        "skipped": skipped,
        "sha256": digest([f"{n} {folders[n]['sha256']}" for n in names]),
        "settings": {n: folders[n]["sha256"] for n in names},
    }
    return meta, cases


def match_outputs(folder: Path, names: list[str]) -> list[Path]:
    """The file in ``folder`` for every input name, matched as ``rdmc eval`` matches
    (:func:`rdmc.naming.match_by_name`); ValueError naming the first missing ones and their
    count, or two files of one stem."""
    files = list_images(folder)
    by_stem: dict[str, Path] = {}
    for f in files:
        if f.stem in by_stem:
            raise ValueError(
                f"{folder}: {by_stem[f.stem].name} and {f.name} are both an "
                f"output for {f.stem}; remove the stale one"
            )
        by_stem[f.stem] = f
    inputs = [Path(name) for name in names]
    matched = match_by_name(inputs, files)
    missing = [name for name, match in zip(names, matched, strict=True) if match is None]
    if missing:
        first = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise ValueError(f"{folder}: no output for {len(missing)} of {len(names)} inputs ({first})")
    return matched


def read_output(path: Path, input_name: str, shape: tuple[int, int]) -> np.ndarray:
    """A method's output as RGB uint8; ValueError if its size differs from its input's."""
    img = to_rgb_uint8(read_image(path))
    if img.shape[:2] != tuple(shape[:2]):
        (h, w), (hi, wi) = img.shape[:2], shape[:2]
        raise ValueError(f"{path}: {w}x{h} pixels, its input {input_name} is {wi}x{hi}")
    return img


def method_outputs(spec: str, setting: str, cases: list[Case]) -> tuple[list[np.ndarray], str]:
    """The outputs of ``outputs:DIR`` for one setting, in the order of ``cases``, and the
    digest of their files; ValueError naming the first missing ones and their count."""
    folder = Path(spec.removeprefix(OUTPUTS).replace("{dataset}", setting))
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such outputs folder (for {setting})")
    matched = match_outputs(folder, [case.name for case in cases])
    images = [
        read_output(path, case.name, case.clean.shape)
        for path, case in zip(matched, cases, strict=True)
    ]
    return images, digest([f"{p.name} {sha256_of(p)}" for p in matched])
