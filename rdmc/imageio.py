"""Reading and writing images: RGB order, any bit depth, atomic writes.

Every failure raises :class:`ImageError` with a one-line message naming the file,
so batch commands can report it and go on with the rest.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from rdmc.choices import DEFAULT_MAX_PIXELS

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


class ImageError(Exception):
    """An image that cannot be read or written; the message names the file."""


def is_image_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES


def list_images(folder: Path) -> list[Path]:
    """Image files directly inside ``folder``, sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if is_image_file(p))


# Images larger than this are skipped unread (a 30000x30000 PNG of 875 KB decodes into 2.5 GB,
# its 16-bit RGBA twin into 7 GB); `--max-pixels` changes it.
_max_pixels = DEFAULT_MAX_PIXELS


@contextlib.contextmanager
def pixel_limit(limit: int) -> Iterator[None]:
    """Within the block, :func:`read_image` decodes no image of more than ``limit`` pixels
    (width x height); the limit before it holds again after."""
    global _max_pixels
    if limit < 1:
        raise ValueError(f"the pixel limit must be >= 1, got {limit}")
    before, _max_pixels = _max_pixels, limit
    try:
        yield
    finally:
        _max_pixels = before


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) from the file's header, without decoding its pixels; ImageError if
    the header cannot be read."""
    from PIL import Image, UnidentifiedImageError

    check_name(Path(path))
    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # the size is what we want
    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as e:
        raise ImageError(f"{path}: not a readable image header ({type(e).__name__})") from e
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def _check_pixels(path: Path) -> None:
    try:
        width, height = image_size(path)
    except ImageError:
        return  # a format Pillow does not read: OpenCV's own limit (1 GP) still holds
    if width * height > _max_pixels:
        raise ImageError(
            f"{path}: {width}x{height} pixels ({width * height / 1e6:.0f} MP) is over "
            f"the limit of {_max_pixels / 1e6:g} MP (--max-pixels)"
        )


def printable(path: str | Path) -> str:
    """A path as text that prints anywhere: bytes of a file name that are not UTF-8 (kept by
    Python as lone surrogates, which printing and JSON refuse) as ``\\xNN``."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def check_name(path: Path) -> None:
    """ImageError for a file name that is not valid UTF-8 (results, caches and reports name
    every image in UTF-8)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise ImageError(
            f"{printable(path)}: the file name is not valid UTF-8; rename the file"
        ) from None


def non_images(folder: Path) -> list[Path]:
    """Files directly inside ``folder`` that are not read as images (no image extension),
    hidden files aside: said, never dropped silently."""
    return sorted(
        p
        for p in Path(folder).iterdir()
        if p.is_file() and not p.name.startswith(".") and not is_image_file(p)
    )


def ignored_note(folder: Path) -> str | None:
    """One line naming what :func:`non_images` leaves out of ``folder``, or None."""
    ignored = non_images(folder)
    if not ignored:
        return None
    suffixes = ", ".join(IMAGE_SUFFIXES)
    return (
        f"{printable(folder)}: {len(ignored)} file(s) without an image extension ({suffixes}) "
        f"ignored, e.g. {printable(ignored[0].name)}"
    )


def read_image(path: str | Path) -> np.ndarray:
    """Reads an image as HxW (gray), HxWx3 (RGB) or HxWx4 (RGBA), uint8 or uint16. An image
    over the pixel limit (:func:`pixel_limit`) is refused from its header, unread, and a
    file name that is not UTF-8 is refused."""
    path = Path(path)
    check_name(path)
    if not path.is_file():
        raise ImageError(f"{path}: no such file")
    _check_pixels(path)
    data = np.fromfile(str(path), dtype=np.uint8)
    try:
        img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    except (cv2.error, MemoryError) as e:
        why = "out of memory" if isinstance(e, MemoryError) else "OpenCV cannot decode it"
        raise ImageError(f"{path}: not a readable image ({why})") from e
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
