"""Reading and writing images: RGB order, any bit depth, atomic writes.

Every failure raises :class:`ImageError` with a one-line message naming the file,
so batch commands can report it and go on with the rest.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


class ImageError(Exception):
    """An image that cannot be read or written; the message names the file."""


def is_image_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES


def list_images(folder: Path) -> list[Path]:
    """Image files directly inside ``folder``, sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if is_image_file(p))


def read_image(path: str | Path) -> np.ndarray:
    """Reads an image as HxW (gray), HxWx3 (RGB) or HxWx4 (RGBA), uint8 or uint16."""
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path}: no such file")
    data = np.fromfile(str(path), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise ImageError(f"{path}: not a readable image (corrupt or unsupported format)")
    if img.dtype not in (np.uint8, np.uint16):
        raise ImageError(f"{path}: unsupported pixel type {img.dtype} (expected 8 or 16 bit)")
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
    elif img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    elif img.ndim != 2:
        raise ImageError(f"{path}: unsupported channel layout {img.shape}")
    return img


def write_image(path: str | Path, img: np.ndarray) -> None:
    """Writes an RGB / RGBA / gray image atomically (temp file, then rename)."""
    path = Path(path)
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_RGBA2BGRA)
    ok, encoded = cv2.imencode(path.suffix or ".png", img)
    if not ok:
        raise ImageError(f"{path}: could not encode image of shape {img.shape}, dtype {img.dtype}")
    try:
        write_bytes_atomic(path, encoded.tobytes())
    except OSError as e:
        raise ImageError(f"{path}: could not write ({e.strerror or type(e).__name__})") from e


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Writes a file so that readers see the old or the new content, never a partial one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def collect_images(inputs: list[str]) -> tuple[list[Path], list[str]]:
    """Expands files, folders and glob patterns into image paths.

    Returns the images (in order, without duplicates) and one message per input
    that matched nothing.
    """
    import glob

    found: list[Path] = []
    problems: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            matches = list_images(path)
        elif path.is_file():
            matches = [path]
        else:
            matches = [Path(p) for p in sorted(glob.glob(item)) if Path(p).is_file()]
        if not matches:
            why = "no images in this folder" if path.is_dir() else "no such file or matching image"
            problems.append(f"{item}: {why}")
        found.extend(m for m in matches if m not in found)
    return found, problems
