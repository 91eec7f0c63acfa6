"""The embedded sample set: real photographs shipped inside installed packages.

No rain dataset can be downloaded offline, so everything that must run out of
the box (training the default checkpoints, the downstream benchmark, the tests)
uses these photographs with synthetic rain. Every image is a real photograph
under a license that allows redistribution (public domain, CC0, CC BY); the
manifest records its package, file and license. Splits never share a source
image; the test split holds the scenes with people and COCO objects for the
downstream detector and person segmenter.

`rdmc data prepare` writes them as PNG files into the user cache:

    <cache>/samples/<split>/<name>.png  and  <cache>/samples/manifest.json
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rdmc.imageio import read_image, write_bytes_atomic, write_image

SPLITS = ("train", "val", "test")
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class SamplePhoto:
    name: str
    split: str
    package: str  # the PyPI distribution that ships the file
    file: str  # the file inside that package
    license: str
    credit: str
    contents: str  # what a detector or segmenter should find

    def load(self) -> np.ndarray:
        """The photo as an HxWx3 uint8 RGB array (grayscale photos are repeated to 3 channels)."""
        img = _LOADERS[self.package](self.file)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        return np.ascontiguousarray(img[..., :3])


def _from_skimage(file: str) -> np.ndarray:
    import skimage.data

    return read_image(Path(skimage.data.__file__).parent / file)


def _from_matplotlib(file: str) -> np.ndarray:
    import matplotlib

    return read_image(Path(matplotlib.get_data_path()) / "sample_data" / file)


def _from_sklearn(file: str) -> np.ndarray:
    import sklearn.datasets

    return read_image(Path(sklearn.datasets.__file__).parent / "images" / file)


_LOADERS: dict[str, Callable[[str], np.ndarray]] = {
    "scikit-image": _from_skimage,
    "matplotlib": _from_matplotlib,
    "scikit-learn": _from_sklearn,
}

_PD = "public domain"
_CC0 = "CC0 1.0"
_CCBY = "CC BY 2.0"

PHOTOS: tuple[SamplePhoto, ...] = (
    # test: people and COCO objects, for the downstream detector and person segmenter
    SamplePhoto("astronaut", "test", "scikit-image", "astronaut.png", _PD,
                "NASA (Eileen Collins)", "person, flag"),
    SamplePhoto("grace_hopper", "test", "matplotlib", "grace_hopper.jpg", _PD,
                "U.S. Navy (Grace Hopper)", "person, tie"),
    SamplePhoto("cameraman", "test", "scikit-image", "camera.png", _CC0,
                "Lav Varshney", "person, camera on a tripod (grayscale)"),
    SamplePhoto("chelsea", "test", "scikit-image", "chelsea.png", _CC0,
                "Stefan van der Walt", "cat"),
    SamplePhoto("coffee", "test", "scikit-image", "coffee.png", _CC0,
                "Rachel Michetti", "cup, spoon, dining table"),
    # val
    SamplePhoto("rocket", "val", "scikit-image", "rocket.jpg", _PD,
                "SpaceX", "rocket launch, sky"),
    SamplePhoto("china", "val", "scikit-learn", "china.jpg", _CCBY,
                "danielbuechele (Flickr)", "temple, trees"),
    # train
    SamplePhoto("flower", "train", "scikit-learn", "flower.jpg", _CCBY,
                "vultilion (Flickr)", "flower"),
    SamplePhoto("clock", "train", "scikit-image", "clock_motion.png", _PD,
                "Stefan van der Walt", "wall clock (grayscale, motion blur)"),
    SamplePhoto("coins", "train", "scikit-image", "coins.png", _PD,
                "Brooklyn Museum", "coins (grayscale)"),
    SamplePhoto("brick", "train", "scikit-image", "brick.png", _CC0,
                "CC0Textures", "brick wall (grayscale)"),
    SamplePhoto("grass", "train", "scikit-image", "grass.png", _CC0,
                "linolafett (DeviantArt)", "grass (grayscale)"),
    SamplePhoto("gravel", "train", "scikit-image", "gravel.png", _CC0,
                "CC0Textures", "gravel (grayscale)"),
    SamplePhoto("hubble", "train", "scikit-image", "hubble_deep_field.jpg", _PD,
                "NASA", "galaxies"),
)  # fmt: skip


def default_cache_dir() -> Path:
    """``$RDMC_CACHE_DIR`` or ``${XDG_CACHE_HOME:-~/.cache}/rdmc``."""
    if os.environ.get("RDMC_CACHE_DIR"):
        return Path(os.environ["RDMC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rdmc"


def samples_dir(cache_dir: Path | None = None) -> Path:
    return (cache_dir or default_cache_dir()) / "samples"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_json_atomic(path: Path, data: object) -> None:
    write_bytes_atomic(path, json.dumps(data, indent=2).encode())


def _manifest_is_current(root: Path) -> bool:
    manifest = root / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        data = json.loads(manifest.read_text())
        return _files_match(root, data)
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
        return False


def _files_match(root: Path, data: dict) -> bool:
    """The manifest names every photo, and every file has the SHA-256 it records."""
    if data.get("version") != MANIFEST_VERSION:
        return False
    if sorted(e["name"] for e in data["images"]) != sorted(p.name for p in PHOTOS):
        return False
    for entry in data["images"]:
        path = root / entry["path"]
        if not path.is_file() or _sha256(path) != entry.get("sha256"):
            return False
    return True


def prepare_samples(cache_dir: Path | None = None, force: bool = False) -> Path:
    """Writes the sample set into the cache (idempotent) and returns its folder."""
    root = samples_dir(cache_dir)
    if not force and _manifest_is_current(root):
        return root
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for photo in PHOTOS:
        rel = Path(photo.split) / f"{photo.name}.png"
        write_image(root / rel, photo.load())
        entry = asdict(photo)
        entry.update(path=str(rel), bytes=(root / rel).stat().st_size, sha256=_sha256(root / rel))
        entries.append(entry)
    _write_json_atomic(root / "manifest.json", {"version": MANIFEST_VERSION, "images": entries})
    return root


def sample_split(split: str, cache_dir: Path | None = None) -> Path:
    """The folder of one split's clean images, prepared on first use."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    return prepare_samples(cache_dir) / split


def load_manifest(cache_dir: Path | None = None) -> list[dict]:
    return json.loads((prepare_samples(cache_dir) / "manifest.json").read_text())["images"]
