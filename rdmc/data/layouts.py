"""Folder layouts of the standard deraining datasets, detected automatically.

=============  =====================================================================
layout         what the folder looks like
=============  =====================================================================
``rain100``    Rain100L/H, Rain200L/H (and PReNet's RainTrain sets): ``rain-N`` and
               ``norain-N`` files, in one folder or in ``rain/`` + ``norain/``
``rain1400``   DDN's Rain1400: ``rainy_image/i_j.jpg`` (j = 1..14) with
               ``ground_truth/i.jpg``
``rain12``     Rain12: ``N_in.png`` with ``N_GT.png`` in one folder
``spa``        SPA-Data (real rain): ``rain/`` with ``gt/``, ground truth named
               ``<name>gt.png``
``rain800``    Rain800 (ID-CGAN ``test_syn``/``training``): each file is one image
               twice as wide, clean on the left, rainy on the right
``did``        Rain1200 / DID-MDN: each file is rainy on the left, clean on the right
``paired``     generic: two sub-folders such as ``input/`` + ``target/``, ``rainy/`` +
               ``clean/``, ``lq/`` + ``gt/``, files matched by name
``raincity``   RainCityscapes' test set: ``leftImg8bit_rain/val/<city>/<stem>_leftImg8bit
               _rain_alpha_A_beta_B_dropsize_D_pattern_P.png`` with ``leftImg8bit/val/
               <city>/<stem>_leftImg8bit.png`` (36 rainy versions of each clean image)
=============  =====================================================================

The concatenated layouts (``rain800``, ``did``) cannot be told apart from their
files; they are detected from the dataset folder's own name (a whole word of it:
``Rain800``, ``test_syn``, ``DID-MDN``, ``Rain1200``; never a parent folder's) and
files of even width, and can always be named explicitly. A copy whose halves are
the other way round takes ``concat_order="clean_rainy"`` or ``"rainy_clean"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdmc.imageio import list_images
from rdmc.naming import pairing_key, split_by_name

LAYOUTS = ("rain100", "rain1400", "rain12", "spa", "rain800", "did", "paired", "raincity")
# A RainCityscapes file name: (the clean image's stem, its rain setting).
RAIN_CITYSCAPES_FILE = re.compile(
    r"^(.+)_leftImg8bit_rain_(alpha_[\d.]+_beta_[\d.]+_dropsize_[\d.]+_pattern_\d+)\.png$"
)

RAINY_DIRS = ("rain", "rainy", "input", "inputs", "lq", "data", "rainy_image", "rain_image", "in")
CLEAN_DIRS = ("norain", "clean", "target", "targets", "gt", "ground_truth", "label", "groundtruth")


class LayoutError(ValueError):
    """A dataset folder that cannot be read as a paired dataset; says why."""


@dataclass(frozen=True)
class Pair:
    """One training/test pair. ``half`` is set for concatenated layouts:
    ``"left"`` or ``"right"`` tells which half of the file is the rainy image."""

    rainy: Path
    clean: Path
    rainy_half: str | None = None


@dataclass
class PairList:
    layout: str
    pairs: list[Pair]
    unmatched: list[Path] = field(default_factory=list)


def _subdir(root: Path, names: Iterable[str]) -> Path | None:
    by_lower = {p.name.lower(): p for p in root.iterdir() if p.is_dir()}
    for name in names:
        if name in by_lower and list_images(by_lower[name]):
            return by_lower[name]
    return None


def _match_by_key(rainy: list[Path], clean: list[Path], layout: str) -> PairList:
    clean_by_key: dict[str, Path] = {}
    for c in clean:
        clean_by_key.setdefault(pairing_key(c), c)
    result = PairList(layout, [])
    used = set()
    for r in rainy:
        c = clean_by_key.get(pairing_key(r))
        if c is None:
            result.unmatched.append(r)
        else:
            used.add(c)
            result.pairs.append(Pair(r, c))
    result.unmatched += [c for c in clean if c not in used]
    return result


def _rain1400(root: Path) -> PairList:
    rainy_dir, clean_dir = root / "rainy_image", root / "ground_truth"
    clean_by_stem = {p.stem: p for p in list_images(clean_dir)}
    result = PairList("rain1400", [])
    used = set()
    for r in list_images(rainy_dir):
        scene = r.stem.rsplit("_", 1)[0]
        if scene in clean_by_stem and "_" in r.stem:
            result.pairs.append(Pair(r, clean_by_stem[scene]))
            used.add(scene)
        else:
            result.unmatched.append(r)
    result.unmatched += [p for s, p in clean_by_stem.items() if s not in used]
    return result


def _rain_cityscapes(root: Path, split: str = "val") -> PairList:
    result = PairList("raincity", [])
    for rainy in sorted((root / "leftImg8bit_rain" / split).glob("*/*.png")):
        match = RAIN_CITYSCAPES_FILE.match(rainy.name)
        city = root / "leftImg8bit" / split / rainy.parent.name
        clean = city / f"{match[1]}_leftImg8bit.png" if match else None
        if clean is not None and clean.is_file():
            result.pairs.append(Pair(rainy, clean))
        else:
            result.unmatched.append(rainy)
    return result


def _concat(root: Path, layout: str, concat_order: str | None) -> PairList:
    order = concat_order or ("clean_rainy" if layout == "rain800" else "rainy_clean")
    if order not in ("clean_rainy", "rainy_clean"):
        raise LayoutError(f"concat_order must be 'clean_rainy' or 'rainy_clean', got {order!r}")
    half = "right" if order == "clean_rainy" else "left"
    return PairList(layout, [Pair(p, p, half) for p in list_images(root)])


# The dataset folder's own names for the concatenated layouts, as whole words of its name
# (``Rain800``, ``test_syn``, ``DID-MDN``, ``Rain1200_test``): never a parent folder's name,
# never a substring (``candidates`` holds "did").
_CONCATENATED_NAMES = {
    "rain800": {"rain800", "test_syn", "testsyn"},
    "did": {"did", "didmdn", "rain1200"},
}


def _concatenated_layout_named(root: Path) -> str | None:
    """The words of the folder's own name, and each two neighbours joined by ``_`` (``Test
    Syn`` and ``test-syn`` read as ``test_syn``), looked up in ``_CONCATENATED_NAMES``."""
    words = [w for w in re.split(r"[^a-z0-9]+", root.resolve().name.lower()) if w]
    words = {*words, *("_".join(pair) for pair in zip(words, words[1:], strict=False))}
    for layout, names in _CONCATENATED_NAMES.items():
        if words & names:
            return layout
    return None


def _check_concatenated(root: Path, images: list[Path], layout: str) -> None:
    """A concatenated file holds two images side by side: an odd width cannot be one."""
    from rdmc.imageio import image_size

    for path in images:
        width, height = image_size(path)
        if width % 2:
            raise LayoutError(
                f"{root}: named like {layout} (two images side by side per file), "
                f"but {path.name} is {width}x{height} pixels, an odd width; "
                "name the layout if it is one"
            )


def detect_layout(root: Path) -> str:
    """The layout name of a dataset folder (see the module docstring)."""
    root = Path(root)
    if not root.is_dir():
        raise LayoutError(f"{root}: not a folder")
    if (root / "rainy_image").is_dir() and (root / "ground_truth").is_dir():
        return "rain1400"
    if (root / "leftImg8bit_rain").is_dir() and (root / "leftImg8bit").is_dir():
        return "raincity"
    rainy_dir, clean_dir = _subdir(root, RAINY_DIRS), _subdir(root, CLEAN_DIRS)
    if rainy_dir and clean_dir:
        clean_files = list_images(clean_dir)
        if clean_dir.name.lower() == "gt" and all(
            p.stem.lower().endswith("gt") for p in clean_files
        ):
            return "spa"
        if any(p.stem.lower().startswith("norain") for p in clean_files):
            return "rain100"
        return "paired"
    images = list_images(root)
    if not images:
        raise LayoutError(
            f"{root}: no images found (expected image files, rain/ + norain/ sub-folders, "
            "or rainy_image/ + ground_truth/)"
        )
    stems = [p.stem.lower() for p in images]
    if any(s.startswith("norain") for s in stems):
        return "rain100"
    if any(s.endswith("_gt") for s in stems) and any(s.endswith("_in") for s in stems):
        return "rain12"
    concatenated = _concatenated_layout_named(root)
    if concatenated is not None:
        _check_concatenated(root, images, concatenated)
        return concatenated
    raise LayoutError(
        f"{root}: cannot tell the layout from the files; name it (one of {', '.join(LAYOUTS)})"
    )


def find_pairs(root: Path, layout: str | None = None, concat_order: str | None = None) -> PairList:
    """All rainy/clean pairs of a dataset folder; unmatched files are listed, not dropped silently.

    Raises :class:`LayoutError` when the folder is empty or nothing pairs up.
    """
    root = Path(root)
    layout = layout or detect_layout(root)
    if layout not in LAYOUTS:
        raise LayoutError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    if layout == "rain1400":
        result = _rain1400(root)
    elif layout == "raincity":
        result = _rain_cityscapes(root)
    elif layout in ("rain800", "did"):
        result = _concat(root, layout, concat_order)
    else:
        rainy_dir, clean_dir = _subdir(root, RAINY_DIRS), _subdir(root, CLEAN_DIRS)
        if rainy_dir and clean_dir:
            result = _match_by_key(list_images(rainy_dir), list_images(clean_dir), layout)
        else:
            rainy, clean, other = split_by_name(list_images(root))
            result = _match_by_key(rainy, clean, layout)
            result.unmatched += other
    if not result.pairs:
        listed = ", ".join(p.name for p in result.unmatched[:5]) or "no images"
        raise LayoutError(f"{root}: no rainy/clean pairs found as layout '{layout}' ({listed})")
    return result
