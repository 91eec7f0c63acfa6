"""Deraining images of any size, bit depth and channel layout.

:class:`Derainer` wraps a network for use on numpy images: uint8 or uint16,
gray, RGB or RGBA (alpha is passed through untouched). Large images are cut
into overlapping tiles whose outputs are blended with weights that ramp down
towards each tile's edge, so memory stays bounded and seams do not show; the
image is padded once as the network pads a whole image, and tiles are multiples of
the network's size step. The overlap is the network's own (``tile_overlap``: how much
context its tiles need) unless given. Networks whose gates pool over the whole input
(dynamic recruitment) cut into small tiles first run the whole image (shrunk beyond one
megapixel), and every tile reuses those gates.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rdmc.choices import PRECISIONS
from rdmc.models.outputs import stage_outputs
from rdmc.models.rdmc import pad_to_multiple
from rdmc.models.shared_gates import has_global_gates, recording, replaying

# Images with more pixels than this are tiled when the tile size is "auto".
AUTO_TILE_PIXELS = 1024 * 1024
AUTO_TILE = 512
# The overlap of a network that does not say what it needs (its ``tile_overlap``).
DEFAULT_OVERLAP = 32
# Tiles smaller than this replay the whole image's gates. Measured with the shipped
# rdmc-s (heavy rain on the astronaut): in 256-pixel tiles the shared gates halve the
# distance to the whole image (1.30 against 2.32 grey levels at overlap 96); in tiles of
# 432-704 pixels they change it by 0.01-0.16 levels and cost a pass over up to 1 MP.
SHARED_GATES_BELOW = 512


def tile_grid(length: int, tile: int, overlap: int, multiple: int = 1) -> tuple[int, list[int]]:
    """The fewest equal tiles of at most about ``tile`` pixels that cover ``length`` with at
    least ``overlap`` pixels shared by neighbours, spread evenly: (tile size, starts). The
    size is rounded up to ``multiple`` (the network's, so that no tile needs padding the
    whole image does not get) where the image allows.

    Fixed steps of ``tile - overlap`` leave a last tile that mostly repeats its neighbour
    (1024 in 512-pixel tiles: starts 0, 480, 512); equal tiles do no redundant work."""
    if length <= tile:
        return length, [0]
    count = math.ceil((length - overlap) / (tile - overlap))
    size = math.ceil((length + (count - 1) * overlap) / count)
    size = min(length, -(-size // multiple) * multiple)
    while True:
        starts = [round(i * (length - size) / (count - 1)) for i in range(count)]
        if all(size - (b - a) >= overlap for a, b in zip(starts, starts[1:], strict=False)):
            return size, starts
        size += 1


def _ramp(length: int, overlap: int, at_start: bool, at_end: bool) -> torch.Tensor:
    """1 in the middle, falling linearly to 1/(overlap+1) over ``overlap`` pixels at inner edges."""
    w = torch.ones(length)
    if overlap > 0:
        ramp = torch.arange(1, overlap + 1, dtype=torch.float32) / (overlap + 1)
        n = min(overlap, length)
        if not at_start:
            w[:n] = ramp[:n]
        if not at_end:
            w[length - n :] = torch.minimum(w[length - n :], ramp[:n].flip(0))
    return w


def frozen_weights() -> contextlib.AbstractContextManager:
    """Inductor's freezing while a compiled network is called (it compiles on its first call
    per size): the weights become constants, BatchNorm folds into the convolutions and oneDNN
    gets its weights prepacked. rdmc-s at 512x512 in bf16 (Xeon with AMX, 2 cores): 247
    against 685 ms eager in one process; compiled without freezing, 454 against 760 ms in
    another. Passed as ``torch.compile(options=...)`` it did not take effect (torch 2.13)."""
    import torch._inductor.config

    return torch._inductor.config.patch(freezing=True)


class NonFiniteOutput(ValueError):
    """A network gave NaN or infinity: an error for that image, never an image."""


def _backend_runner(
    backend: str, net: nn.Module, device: torch.device, precision: str, compile: bool
):
    from rdmc.backend import BACKENDS, OnnxRuntimeRunner, OpenVinoRunner

    if backend not in BACKENDS or backend == "auto":  # auto is resolved by rdmc.zoo
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if device.type != "cpu":
        raise ValueError(f"--backend {backend} runs on the CPU; use --device cpu")
    if compile:
        raise ValueError(f"--compile is torch's; it does not apply to --backend {backend}")
    net = net.to(device).eval()
    if backend == "onnxruntime":
        if precision in ("bf16", "fp16"):  # auto means the best this backend has: fp32
            raise ValueError(f"--backend onnxruntime runs fp32 only, not {precision}")
        return OnnxRuntimeRunner(net)
    return OpenVinoRunner(net, bf16=resolve_precision(precision, "cpu")[0] == torch.bfloat16)


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX), from /proc/cpuinfo."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return False
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def resolve_precision(precision: str, device_type: str) -> tuple[torch.dtype, bool]:
    """(compute dtype, channels-last) of a ``--precision`` on a device type."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "auto":
        if device_type == "cuda":
            precision = "fp16"
        else:
            return (torch.bfloat16 if cpu_has_bf16() else torch.float32), True
    if precision == "fp16" and device_type != "cuda":
        raise ValueError("precision fp16 needs a CUDA device; on a CPU use bf16 (or auto)")
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    return dtype, precision != "fp32"


def check_tiling(tile: int | str | None, overlap: int | None) -> None:
    """Tiling arguments, checked once before any image: ValueError saying what is wrong.
    ``overlap`` None: the network's own, which always fits."""
    if tile is not None and tile != "auto" and (isinstance(tile, str) or tile < 1):
        raise ValueError(f"tile size must be a positive number of pixels, 0 or auto, got {tile}")
    if overlap is None:
        return
    if overlap < 0:
        raise ValueError(f"tile overlap must be >= 0, got {overlap}")
    size = AUTO_TILE + overlap if tile == "auto" else tile
    if size is not None and size <= 2 * overlap:
        raise ValueError(f"tile ({size}) must be larger than twice the overlap ({overlap})")


def tiled_apply(
    fn: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    tile: int,
    overlap: int,
    multiple: int = 1,
) -> torch.Tensor:
    """Applies an image-to-image ``fn`` to a 1 x C x H x W tensor tile by tile; overlaps blend.
    Tile sizes are multiples of ``multiple`` where the image allows (see :func:`tile_grid`)."""
    if overlap < 0 or tile <= 2 * overlap:
        raise ValueError(f"tile ({tile}) must be larger than twice the overlap ({overlap})")
    _, c, h, w = x.shape
    (tile_h, ys) = tile_grid(h, tile, overlap, multiple)
    (tile_w, xs) = tile_grid(w, tile, overlap, multiple)
    out = torch.zeros((1, c, h, w), dtype=torch.float32)
    weight = torch.zeros((1, 1, h, w), dtype=torch.float32)
    for y in ys:
        for x0 in xs:
            patch = x[..., y : y + tile_h, x0 : x0 + tile_w]
            result = fn(patch).float().cpu()
            th, tw = patch.shape[-2:]
            wy = _ramp(th, overlap, y == 0, y + th >= h)
            wx = _ramp(tw, overlap, x0 == 0, x0 + tw >= w)
            wmap = (wy[:, None] * wx[None, :])[None, None]
            out[..., y : y + th, x0 : x0 + tw] += result * wmap
            weight[..., y : y + th, x0 : x0 + tw] += wmap
    return out / weight


def downscaled_to(x: torch.Tensor, pixels: int) -> torch.Tensor:
    """``x`` (N x C x H x W) as is when it has at most ``pixels`` pixels, else shrunk
    (antialiased) to about that many, aspect kept."""
    h, w = x.shape[-2:]
    if h * w <= pixels:
        return x
    scale = math.sqrt(pixels / (h * w))
    size = (max(1, int(h * scale)), max(1, int(w * scale)))
    return F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)


class Derainer:
    """Derains numpy images with a network.

    Args:
        net: maps B x 3 x H x W in [0, 1] to the derained image (or a list of
            stage outputs, the last being the result).
        device: "cpu" or "cuda".
        tile: the largest tile in pixels, None for whole images, or "auto" (tiles of
            about 512 new pixels plus the overlap, for images over one megapixel). The
            tiles of an image are equal and spread evenly (:func:`tile_grid`).
        tile_overlap: overlap between tiles in pixels; None: the network's
            ``tile_overlap`` (the context its tiles need; 32 if it has none), at most a
            quarter of an explicit ``tile``.
        precision: "fp32" (the reference), "bf16" (CPU or CUDA), "fp16" (CUDA only) or
            "auto" (fp16 on CUDA; bf16 on a CPU with AVX512-BF16 or AMX, else fp32).
            Every path but "fp32" also runs channels-last (:func:`resolve_precision`).
        compile: run the network through ``torch.compile`` (inductor, static shapes: one
            compilation per image size, 10 to 80 s on a 2-core CPU), which pays for itself
            only over many images of one size; where it cannot compile (no C++ compiler,
            an op it cannot lower) it warns once and runs eagerly. Passes that record or
            replay shared gates (tiling) run eagerly.
        name: for messages and reports.
        meta: what the checkpoint says about the network (architecture, training run).
        backend: "torch", or "openvino" (CPU; the network converted per input shape and
            cached, see :mod:`rdmc.backend`; ``precision`` fp32 runs it in f32, bf16 in
            bf16, auto in bf16 where the CPU has it). Tiles that replay shared gates run
            in torch.
    """

    def __init__(
        self,
        net: nn.Module,
        device: str = "cpu",
        tile: int | str | None = "auto",
        tile_overlap: int | None = None,
        precision: str = "fp32",
        name: str = "derainer",
        meta: dict | None = None,
        compile: bool = False,
        backend: str = "torch",
    ) -> None:
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError("--device cuda was asked for, but no CUDA device is available")
        check_tiling(tile, tile_overlap)
        self.device = torch.device(device)
        self.dtype, self.channels_last = resolve_precision(precision, self.device.type)
        self.runner = None
        if backend != "torch":
            self.runner = _backend_runner(backend, net, self.device, precision, compile)
            self.dtype, self.channels_last = torch.float32, False  # torch runs fp32 beside it
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        self.net = net.to(self.device, memory_format=memory_format).eval()
        if tile_overlap is None:
            tile_overlap = getattr(net, "tile_overlap", DEFAULT_OVERLAP)
            if tile not in (None, "auto"):
                tile_overlap = min(tile_overlap, int(tile) // 4)
        self.tile, self.tile_overlap, self.name = tile, tile_overlap, name
        self.meta = meta or {}
        self.compiled = torch.compile(self.net, dynamic=False) if compile else None

    @property
    def precision(self) -> str:
        """The path it runs, e.g. ``bf16+channels-last``, ``fp32+compiled`` or
        ``openvino-bf16``."""
        if self.runner is not None:
            return self.runner.precision
        name = {torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]
        return (
            name
            + ("+channels-last" if self.channels_last else "")
            + ("+compiled" if self.compiled is not None else "")
        )

    def _network(self, x: torch.Tensor, eager: bool) -> torch.Tensor:
        if self.compiled is not None and not eager:
            try:
                with frozen_weights():
                    out = stage_outputs(self.compiled, x)[-1]
                if bool(torch.isfinite(out).all()):
                    return out
                # e.g. Restormer-lite's attention compiled as one under bf16 autocast
                reason = "its output is not finite"
            except Exception as error:  # noqa: BLE001 - inductor's failures have many types
                reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
            print(
                f"warning: torch.compile failed ({reason[:200]}); running eagerly", file=sys.stderr
            )
            self.compiled = None
        return self._finite(stage_outputs(self.net, x)[-1])

    def _finite(self, out: torch.Tensor) -> torch.Tensor:
        if not bool(torch.isfinite(out).all()):
            raise NonFiniteOutput(
                f"{self.name} ({self.precision}) gave NaN or infinite pixels; no image written"
            )
        return out

    def _forward(self, x: torch.Tensor, eager: bool = False) -> torch.Tensor:
        x = x.to(self.device)
        if self.runner is not None and not eager:
            return self._finite(self.runner(x)).clamp_(0, 1).contiguous()
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        if self.dtype == torch.float32:
            autocast = contextlib.nullcontext()
        else:
            autocast = torch.autocast(self.device.type, dtype=self.dtype)
        with torch.inference_mode(), autocast:
            return self._network(x, eager).float().clamp_(0, 1).contiguous()

    def derain_tensor(self, x: torch.Tensor) -> torch.Tensor:
        """1 x 3 x H x W in [0, 1] to the same, tiled as configured."""
        tile = self.tile
        if tile == "auto":  # about AUTO_TILE pixels of new content per tile, plus the overlap
            large = x.shape[-1] * x.shape[-2] > AUTO_TILE_PIXELS
            tile = AUTO_TILE + self.tile_overlap if large else None
        if tile is None or (x.shape[-2] <= tile and x.shape[-1] <= tile):
            return self._forward(x).cpu()
        # Pad as the network pads a whole image, so that the tiles on the border see the
        # same padding; every tile is then a multiple of the network's step, padded no more.
        multiple = getattr(self.net, "multiple", 1)
        padded, (h, w) = pad_to_multiple(x, multiple)
        forward, gates = self._forward, contextlib.nullcontext()
        if has_global_gates(self.net) and int(tile) < SHARED_GATES_BELOW:
            # The gates of the whole image, for every tile: one pass over the image, shrunk
            # only beyond what an untiled pass may take (AUTO_TILE_PIXELS). Shrinking more
            # changes the rain's scale and so the gates: the retrained rdmc-s's tiles were 10
            # grey levels off the whole image with gates from an image shrunk to one tile.
            with recording(self.net) as tape:
                self._forward(downscaled_to(x, AUTO_TILE_PIXELS), eager=True)
            forward, gates = functools.partial(self._forward, eager=True), replaying(self.net, tape)
        with gates:
            out = tiled_apply(forward, padded, int(tile), self.tile_overlap, multiple)
        return out[..., :h, :w]

    def __call__(self, img: np.ndarray) -> np.ndarray:
        """Derains a uint8/uint16 gray, RGB or RGBA image; returns the same shape and dtype."""
        if not isinstance(img, np.ndarray) or img.dtype not in (np.uint8, np.uint16):
            raise ValueError("Derainer takes uint8 or uint16 numpy images")
        white = 255.0 if img.dtype == np.uint8 else 65535.0
        gray = img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 1)
        alpha = img[..., 3:] if img.ndim == 3 and img.shape[2] == 4 else None
        rgb = (
            np.repeat(img.reshape(img.shape[0], img.shape[1], 1), 3, axis=2)
            if gray
            else img[..., :3]
        )
        x = torch.from_numpy(rgb.astype(np.float32) / white).permute(2, 0, 1)[None]
        y = self.derain_tensor(x)[0].permute(1, 2, 0).numpy()
        out = np.clip(np.round(y * white), 0, white).astype(img.dtype)
        if gray:
            out = np.round(out.astype(np.float32).mean(axis=2)).astype(img.dtype).reshape(img.shape)
        elif alpha is not None:
            out = np.concatenate([out, alpha], axis=2)
        return out
