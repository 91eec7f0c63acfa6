"""Paired deraining datasets, registered in mmengine so configs name them by ``type``.

Every item is a dict ``{"rainy": Tensor, "clean": Tensor, "name": str}`` with
3 x H x W float32 tensors in [0, 1] (grayscale files are repeated to 3 channels,
alpha is dropped, 16-bit is scaled).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from rdmc.choices import PRESETS, SEVERITIES
from rdmc.data.layouts import Pair, find_pairs
from rdmc.imageio import ImageError, list_images, read_image
from rdmc.rain import RAIN1400_TYPES, add_rain, seed_for
from rdmc.registry import DATASETS

logger = logging.getLogger(__name__)


def to_rgb_uint8(img: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB from a gray, RGB, RGBA, 8- or 16-bit image."""
    if img.dtype == np.uint16:
        img = np.round(img / 257.0).astype(np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3])


def to_tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img.astype(np.float32) / 255.0).permute(2, 0, 1).contiguous()


def random_crop_flip(
    rainy: np.ndarray,
    clean: np.ndarray,
    patch_size: int | None,
    flip: bool,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """The same random patch (padded by reflection if the image is smaller) and flip of both."""
    if patch_size:
        h, w = rainy.shape[:2]
        if h < patch_size or w < patch_size:
            pad = ((0, max(0, patch_size - h)), (0, max(0, patch_size - w)), (0, 0))
            rainy, clean = np.pad(rainy, pad, mode="reflect"), np.pad(clean, pad, mode="reflect")
            h, w = rainy.shape[:2]
        y, x = rng.integers(0, h - patch_size + 1), rng.integers(0, w - patch_size + 1)
        rainy = rainy[y : y + patch_size, x : x + patch_size]
        clean = clean[y : y + patch_size, x : x + patch_size]
    if flip and rng.random() < 0.5:
        rainy, clean = rainy[:, ::-1], clean[:, ::-1]
    return np.ascontiguousarray(rainy), np.ascontiguousarray(clean)


def resolve_root(root: str | Path) -> Path:
    """A folder, or ``samples:<split>`` for a split of the embedded sample set."""
    if isinstance(root, str) and root.startswith("samples:"):
        from rdmc.data.samples import sample_split

        return sample_split(root.split(":", 1)[1])
    return Path(root)


class _SkipUnreadable(Dataset):
    """Replaces an unreadable item by the next readable one, naming the file once.

    Random crops, flips and rain come from :attr:`rng`: one stream per base seed,
    data-parallel rank and dataloader worker. A worker's stream also follows
    torch's per-worker seed, which the dataloader draws anew every epoch (from
    mmengine's seeded generator), so workers never repeat one another in lockstep
    and epochs differ, reproducibly.
    """

    metainfo: dict = {}
    seed: int = 0
    _rng: np.random.Generator | None = None
    _rng_owner: tuple | None = None

    @property
    def rng(self) -> np.random.Generator:
        from mmengine.dist import get_rank

        worker = torch.utils.data.get_worker_info()
        owner = (get_rank(), worker.id, worker.seed) if worker else (get_rank(), None, None)
        if self._rng is None or owner != self._rng_owner:
            entropy = [self.seed, *owner] if worker else self.seed + 1000 * owner[0]
            self._rng, self._rng_owner = np.random.default_rng(entropy), owner
        return self._rng

    def __len__(self) -> int:
        raise NotImplementedError

    def load(self, index: int) -> dict:
        raise NotImplementedError

    def __getitem__(self, index: int) -> dict:
        for offset in range(len(self)):
            try:
                return self.load((index + offset) % len(self))
            except ImageError as e:
                logger.warning("skipped: %s", e)
        raise ImageError(f"{self}: no readable image at all")


@DATASETS.register_module()
class PairedRainDataset(_SkipUnreadable):
    """Rainy/clean pairs from a dataset folder in any standard layout (auto-detected).

    Args:
        root: dataset folder.
        layout: a layout name from :mod:`rdmc.data.layouts`, or None to detect it.
        patch_size: random square crop for training; None keeps whole images.
        patch_stride: with ``patch_size``, every patch on a grid of this stride instead
            of one random patch per pair (the authors' dense patches: 128 px with
            stride 80 on RainTrainH/L, 100 on Rain12600); an item is then one patch.
        flip: random horizontal flips for training.
        concat_order: for concatenated layouts, override which half is rainy.
        seed: seed of the crop/flip generator.
    """

    def __init__(
        self,
        root: str | Path,
        layout: str | None = None,
        patch_size: int | None = None,
        patch_stride: int | None = None,
        flip: bool = False,
        concat_order: str | None = None,
        seed: int = 0,
    ) -> None:
        self.root = Path(root)
        found = find_pairs(self.root, layout, concat_order)
        self.layout, self.pairs = found.layout, found.pairs
        for path in found.unmatched:
            logger.warning("unmatched in %s: %s", self.root, path)
        self.unmatched = found.unmatched
        self.patch_size, self.flip, self.seed = patch_size, flip, seed
        if patch_stride is not None and not patch_size:
            raise ValueError("patch_stride needs patch_size")
        self.patches = self._dense_patches(patch_stride) if patch_stride else None

    def _dense_patches(self, stride: int) -> list[tuple[int, int, int]]:
        """(pair index, top, left) of every whole patch on the grid, pair by pair."""
        patches = []
        for i, pair in enumerate(self.pairs):
            h, w = self.read_pair(pair)[0].shape[:2]
            ys = range(0, h - self.patch_size + 1, stride)
            patches += [(i, y, x) for y in ys for x in range(0, w - self.patch_size + 1, stride)]
        if not patches:
            raise ValueError(f"{self.root}: no image holds a {self.patch_size}-pixel patch")
        return patches

    def __len__(self) -> int:
        return len(self.patches) if self.patches is not None else len(self.pairs)

    def __repr__(self) -> str:
        unit = "patches" if self.patches is not None else "pairs"
        return f"PairedRainDataset({self.root}, layout={self.layout}, {len(self)} {unit})"

    @staticmethod
    def read_pair(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
        if pair.rainy_half is None:
            rainy, clean = (
                to_rgb_uint8(read_image(pair.rainy)),
                to_rgb_uint8(read_image(pair.clean)),
            )
            if rainy.shape != clean.shape:
                raise ImageError(f"{pair.rainy}: size {rainy.shape[:2]} differs from {pair.clean}")
            return rainy, clean
        both = to_rgb_uint8(read_image(pair.rainy))
        w = both.shape[1] // 2
        if both.shape[1] != 2 * w:
            raise ImageError(
                f"{pair.rainy}: odd width {both.shape[1]}, not two images side by side"
            )
        left, right = both[:, :w], both[:, w:]
        return (left, right) if pair.rainy_half == "left" else (right, left)

    def load(self, index: int) -> dict:
        if self.patches is None:
            pair = self.pairs[index]
            rainy, clean = self.read_pair(pair)
            rainy, clean = random_crop_flip(rainy, clean, self.patch_size, self.flip, self.rng)
            return {"rainy": to_tensor(rainy), "clean": to_tensor(clean), "name": pair.rainy.name}
        i, y, x = self.patches[index]
        rainy, clean = self.read_pair(self.pairs[i])
        window = (slice(y, y + self.patch_size), slice(x, x + self.patch_size))
        rainy, clean = random_crop_flip(rainy[window], clean[window], None, self.flip, self.rng)
        name = f"{self.pairs[i].rainy.stem}@{y},{x}"
        return {"rainy": to_tensor(rainy), "clean": to_tensor(clean), "name": name}


@DATASETS.register_module()
class SyntheticRainDataset(_SkipUnreadable):
    """Adds synthetic rain on the fly to a folder of clean images.

    ``mode="train"``: a random preset, severity and seed for every sample.
    ``mode="test"`` (also for validation): one fixed rain per image and preset, from
    the file name and ``seed``, so every run scores the same pairs; with several
    presets every image appears once under each (at the first severity).

    Args:
        root: folder of clean images, or ``samples:train`` / ``samples:val`` /
            ``samples:test`` for the embedded sample set.
        presets: presets to draw from (``light``, ``heavy``, ``rain1400``).
        severities: severities to draw from (train), or the one used (test: the first).
        repeat: how many times each image appears per epoch (train).
        cache_images: keep every decoded clean image in memory (per process and
            dataloader worker): reading a 1024-px PNG costs twice the rain itself, so this
            speeds up training on a small folder such as the embedded train split.
        streak_scale: ``"photo"`` sizes a training patch's streaks for the whole photo it
            is cut from, so patches hold the rain that validation and test images get;
            ``"patch"`` sizes them for the patch itself, as the shipped checkpoints trained
            (a 128-px patch then gets streaks several times thinner and shorter than its
            1024-px photo: heavy rain at severity 3 is 21.8 dB on such patches, 13.0 dB on
            the photos).
        clean_fraction: the share of training samples left rain-free (the target is the
            input), so the network also learns to leave rain-free content alone; their
            ``rain`` is ``"none"``. Presets may repeat to weight the mix (``("light",
            "light", "heavy")`` draws light rain twice as often).
    """

    def __init__(
        self,
        root: str | Path,
        mode: str = "train",
        presets: tuple[str, ...] = ("light", "heavy"),
        severities: tuple[int, ...] = (3,),
        patch_size: int | None = None,
        flip: bool = False,
        repeat: int = 1,
        seed: int = 0,
        cache_images: bool = False,
        streak_scale: str = "photo",
        clean_fraction: float = 0.0,
    ) -> None:
        if mode not in ("train", "test"):
            raise ValueError(f"mode must be 'train' or 'test', got {mode!r}")
        if streak_scale not in ("photo", "patch"):
            raise ValueError(f"streak_scale must be 'photo' or 'patch', got {streak_scale!r}")
        if not 0.0 <= clean_fraction < 1.0:
            raise ValueError(f"clean_fraction must be in [0, 1), got {clean_fraction!r}")
        for p in presets:
            if p not in PRESETS:
                raise ValueError(f"unknown rain preset {p!r}; choose from {', '.join(PRESETS)}")
        for s in severities:
            if s not in SEVERITIES:
                raise ValueError(f"severity must be in 1..5, got {s!r}")
        self.root = resolve_root(root)
        if not self.root.is_dir():
            raise ValueError(f"{self.root}: not a folder")
        self.images = list_images(self.root)
        if not self.images:
            raise ValueError(f"{self.root}: no images found")
        self.mode, self.presets, self.severities = mode, tuple(presets), tuple(severities)
        self.patch_size, self.flip, self.seed = patch_size, flip, seed
        self.repeat = repeat if mode == "train" else len(self.presets)
        self.cache_images, self.streak_scale = cache_images, streak_scale
        self.clean_fraction = clean_fraction
        self._decoded: dict[Path, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.images) * self.repeat

    def __repr__(self) -> str:
        return f"SyntheticRainDataset({self.root}, mode={self.mode}, {len(self.images)} images)"

    def load(self, index: int) -> dict:
        path = self.images[index % len(self.images)]
        clean = self._clean_image(path)
        photo_short_side = min(clean.shape[:2]) if self.streak_scale == "photo" else None
        if self.mode == "train":
            clean, _ = random_crop_flip(clean, clean, self.patch_size, self.flip, self.rng)
            if self.clean_fraction and self.rng.random() < self.clean_fraction:
                return {
                    "rainy": to_tensor(clean),
                    "clean": to_tensor(clean),
                    "name": path.name,
                    "rain": "none",
                }
            preset = self.presets[self.rng.integers(len(self.presets))]
            severity = int(self.rng.choice(self.severities))
            rain_type = int(self.rng.integers(1, len(RAIN1400_TYPES) + 1))
            seed = int(self.rng.integers(2**31))
        else:
            preset, severity = self.presets[index // len(self.images)], self.severities[0]
            seed = seed_for(path.name, self.seed)
            rain_type = seed % len(RAIN1400_TYPES) + 1
        rainy = add_rain(clean, preset, severity, seed, rain_type, photo_short_side).rainy
        return {
            "rainy": to_tensor(rainy),
            "clean": to_tensor(clean),
            "name": path.name,
            "rain": preset,
        }

    def _clean_image(self, path: Path) -> np.ndarray:
        if not self.cache_images:
            return to_rgb_uint8(read_image(path))
        if path not in self._decoded:
            image = to_rgb_uint8(read_image(path))
            image.setflags(write=False)  # shared by every sample drawn from it
            self._decoded[path] = image
        return self._decoded[path]
