"""The embedded sample set: the catalogue's photographs prepared into the user cache.

No rain dataset can be downloaded offline, so everything that must run out of
the box (training the default checkpoints, the downstream benchmark, the tests)
uses real photographs with synthetic rain (rdmc.data.catalogue lists them).
`rdmc data prepare` fetches the Debian packages among the sources, verifies every
file's SHA-256, crops and downsizes, and writes

    <cache>/samples/<split>/<name>.png  and  <cache>/samples/manifest.json

Where a package cannot be fetched it says which and how to fix it, goes on with
the rest, and the manifest records what the splits hold and what is missing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np

from rdmc.cache_dir import default_cache_dir
from rdmc.data.catalogue import PHOTOS, SamplePhoto
from rdmc.data.debian import PackageUnavailable, fetch_package, package_version, read_members
from rdmc.digests import sha256_bytes, sha256_of
from rdmc.imageio import read_image, write_bytes_atomic, write_image

SPLITS = ("train", "val", "test")
MANIFEST_VERSION = 2
# The test split feeds the benchmark, whose detector and segmenter see 416 and 256 px
# inputs: 512 px keeps a cold `rdmc bench default` under 8 minutes on 2 cores.
MAX_SIDE = {"train": 1024, "val": 1024, "test": 512}


def _from_skimage(file: str) -> np.ndarray:
    import skimage.data

    return read_image(Path(skimage.data.__file__).parent / file)


def _from_matplotlib(file: str) -> np.ndarray:
    import matplotlib

    return read_image(Path(matplotlib.get_data_path()) / "sample_data" / file)


def _from_sklearn(file: str) -> np.ndarray:
    import sklearn.datasets

    return read_image(Path(sklearn.datasets.__file__).parent / "images" / file)


_PYPI_LOADERS: dict[str, Callable[[str], np.ndarray]] = {
    "scikit-image": _from_skimage,
    "matplotlib": _from_matplotlib,
    "scikit-learn": _from_sklearn,
}


def _rgb(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3])


def _decode(data: bytes) -> np.ndarray | None:
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return None if bgr is None else np.ascontiguousarray(bgr[..., ::-1])


def fit_split(photo: SamplePhoto, img: np.ndarray) -> np.ndarray:
    """The photo's crop, downsized (area filter) to its split's longest side."""
    if photo.crop is not None:
        h, w = img.shape[:2]
        x0, y0, x1, y1 = photo.crop
        img = img[round(y0 * h) : round(y1 * h), round(x0 * w) : round(x1 * w)]
    h, w = img.shape[:2]
    scale = MAX_SIDE[photo.split] / max(h, w)
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img)


def samples_dir(cache_dir: Path | None = None) -> Path:
    return (cache_dir or default_cache_dir()) / "samples"


def _write_json_atomic(path: Path, data: object) -> None:
    write_bytes_atomic(path, json.dumps(data, indent=2).encode())


def _manifest_is_current(root: Path, retry_missing: bool) -> bool:
    manifest = root / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        data = json.loads(manifest.read_text())
        return _files_match(root, data) and not (retry_missing and data["missing"])
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
        return False


def _files_match(root: Path, data: dict) -> bool:
    """The manifest accounts for every photo (prepared or missing), and every prepared file
    has the SHA-256 it records."""
    if data.get("version") != MANIFEST_VERSION:
        return False
    missing = [name for m in data["missing"] for name in m["photos"]]
    if sorted([e["name"] for e in data["images"]] + missing) != sorted(p.name for p in PHOTOS):
        return False
    return len(_still_valid(root, data)) == len(data["images"])


def _entry(photo: SamplePhoto) -> dict:
    """A manifest entry's part that decides the file: the catalogue entry (``source_sha256``
    pins a Debian file) and the longest side it is cut to."""
    entry = asdict(photo)
    entry["source_sha256"] = entry.pop("sha256")
    entry["crop"] = list(photo.crop) if photo.crop else None
    entry["max_side"] = MAX_SIDE[photo.split]
    return entry


def _still_valid(root: Path, data: dict) -> dict[str, dict]:
    """The manifest's entries whose catalogue entry is unchanged and whose file is intact."""
    catalogue = {p.name: _entry(p) for p in PHOTOS}
    valid = {}
    for entry in data.get("images", []):
        path = root / entry["path"]
        listed = catalogue.get(entry["name"])
        if listed is None or any(entry.get(k) != v for k, v in listed.items()):
            continue
        if path.is_file() and sha256_of(path) == entry.get("sha256"):
            valid[entry["name"]] = entry
    return valid


def _previous(root: Path) -> dict[str, dict]:
    try:
        data = json.loads((root / "manifest.json").read_text())
        return _still_valid(root, data) if data.get("version") == MANIFEST_VERSION else {}
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, TypeError, AttributeError):
        return {}


def _warn(message: str) -> None:
    print(f"rdmc data prepare: {message}", file=sys.stderr)


def _debian_sources(photos: list[SamplePhoto], debs_dir: Path) -> tuple[dict, list, dict]:
    """Verified source images of the Debian photos by name, what is missing and why, and the
    version of each package used."""
    images: dict[str, np.ndarray] = {}
    missing: list[dict] = []
    versions: dict[str, str] = {}
    for package in sorted({p.package for p in photos}):
        wanted = [p for p in photos if p.package == package]
        try:
            deb = fetch_package(package, debs_dir)
            members = read_members(deb, {p.file for p in wanted})
        except PackageUnavailable as error:
            _warn(f"skipping {len(wanted)} photos: {error}")
            names = [p.name for p in wanted]
            missing.append({"package": package, "reason": str(error), "photos": names})
            continue
        versions[package] = package_version(deb)
        checked: dict[tuple[str, str | None], tuple[np.ndarray | None, str | None]] = {}
        for photo in wanted:
            key = (photo.file, photo.sha256)  # the crops of one file are decoded once
            if key not in checked:
                checked[key] = _verified(photo, members.get(photo.file))
            image, problem = checked[key]
            if image is not None:
                images[photo.name] = image
            else:
                _warn(f"refusing {deb.name}:{photo.file}: {problem}")
                reason = f"{photo.file}: {problem}"
                missing.append({"package": package, "reason": reason, "photos": [photo.name]})
    return images, missing, versions


def _verified(photo: SamplePhoto, data: bytes | None) -> tuple[np.ndarray | None, str | None]:
    """The decoded file if it is there, has the pinned SHA-256 and is an image; else why not."""
    if data is None:
        return None, "not in the package"
    digest = sha256_bytes(data)
    if digest != photo.sha256:
        return None, f"SHA-256 {digest[:16]}... differs from the pinned {photo.sha256[:16]}..."
    image = _decode(data)
    return (image, None) if image is not None else (None, "not a readable image")


def _remove_stale(root: Path, kept: set[Path]) -> None:
    """Deletes PNGs of photos no longer in the set, so a split folder holds only its photos."""
    for split in SPLITS:
        for path in (root / split).glob("*.png"):
            if path.relative_to(root) not in kept:
                path.unlink()


def prepare_samples(
    cache_dir: Path | None = None, force: bool = False, retry_missing: bool = False
) -> Path:
    """Writes the sample set into the cache (idempotent) and returns its folder. A set prepared
    without some packages is kept as it is unless ``retry_missing`` (as `rdmc data prepare`)."""
    root = samples_dir(cache_dir)
    if not force and _manifest_is_current(root, retry_missing):
        return root
    root.mkdir(parents=True, exist_ok=True)
    done = _previous(root)
    todo = [p for p in PHOTOS if p.name not in done]
    debs_dir = (cache_dir or default_cache_dir()) / "debs"
    debian, missing, versions = _debian_sources([p for p in todo if p.from_debian], debs_dir)
    entries = []
    for photo in PHOTOS:
        if photo.name in done:
            entries.append(done[photo.name])
            continue
        if photo.from_debian:
            source = debian.get(photo.name)
        else:
            source = _PYPI_LOADERS[photo.package](photo.file)
        if source is None:
            continue
        rel = Path(photo.split) / f"{photo.name}.png"
        write_image(root / rel, fit_split(photo, _rgb(source)))
        entry = _entry(photo)
        entry.update(path=str(rel), bytes=(root / rel).stat().st_size, sha256=sha256_of(root / rel))
        if photo.from_debian:
            entry["package_version"] = versions[photo.package]
        entries.append(entry)
    _remove_stale(root, {Path(e["path"]) for e in entries})
    counts = {split: sum(e["split"] == split for e in entries) for split in SPLITS}
    _write_json_atomic(
        root / "manifest.json",
        {
            "version": MANIFEST_VERSION,
            "counts": counts,
            "debian_packages": {
                e["package"]: e["package_version"] for e in entries if "package_version" in e
            },
            "missing": missing,
            "images": entries,
        },
    )
    return root


def manifest_sha256(cache_dir: Path | None = None) -> str:
    """The hash of the prepared set's manifest: results record it, compare checks it."""
    return sha256_of(prepare_samples(cache_dir) / "manifest.json")


def sample_split(split: str, cache_dir: Path | None = None) -> Path:
    """The folder of one split's clean images, prepared on first use."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    return prepare_samples(cache_dir) / split


def load_manifest(cache_dir: Path | None = None) -> dict:
    """The prepared set's manifest: counts, images, missing packages and photos."""
    return json.loads((prepare_samples(cache_dir) / "manifest.json").read_text())


def sample_image(name: str, cache_dir: Path | None = None) -> np.ndarray:
    """One prepared photo as an HxWx3 uint8 RGB array."""
    entries = {e["name"]: e for e in load_manifest(cache_dir)["images"]}
    if name not in entries:
        raise KeyError(f"no prepared sample photo {name!r} (see `rdmc data list`)")
    return _rgb(read_image(samples_dir(cache_dir) / entries[name]["path"]))


def photo_credit(name: str) -> str | None:
    """Who made an embedded photo and under which license, for a caption; None if not one."""
    photo = next((p for p in PHOTOS if p.name == name), None)
    if photo is None:
        return None
    return f"{photo.credit}, {photo.license} (from {photo.package})"
