"""PSNR and SSIM as deraining papers compute them.

Convention (the one BasicSR's ``calculate_psnr`` / ``calculate_ssim`` use with
``test_y_channel=True``, and so most deraining papers):

- images are RGB, brought to the [0, 255] scale in float64;
- Y channel of YCbCr by MATLAB's ``rgb2ycbcr``:
  ``Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255`` for R, G, B in [0, 255],
  not rounded;
- PSNR = 10 log10(255^2 / MSE); identical images give ``inf``;
- SSIM (Wang et al. 2004) with an 11x11 Gaussian window, sigma 1.5,
  C1 = (0.01 * 255)^2, C2 = (0.03 * 255)^2, averaged over the *valid* region
  (no padding: 5 pixels are lost on every side), then over channels.

``crop_border`` pixels are cut from every side before anything else. With
``test_y_channel=False`` the metrics run on the RGB channels directly.

The numpy functions take one HxW or HxWxC image pair; the ``*_torch`` twins take
Bx C x H x W tensors (on any device) and return one value per image.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from scipy.ndimage import correlate1d

from rdmc.registry import METRICS

CONVENTION_Y = (
    "Y channel (MATLAB rgb2ycbcr), [0,255] scale, Gaussian SSIM 11x11 sigma 1.5, valid region"
)
CONVENTION_RGB = "RGB channels, [0,255] scale, Gaussian SSIM 11x11 sigma 1.5, valid region"

_Y_WEIGHTS = np.array([65.481, 128.553, 24.966]) / 255.0
_Y_OFFSET = 16.0
_C1 = (0.01 * 255.0) ** 2
_C2 = (0.03 * 255.0) ** 2
SSIM_WINDOW = 11
_WINDOW_SIGMA = 1.5
_DEFAULT_RANGE = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}


def convention(test_y_channel: bool = True) -> str:
    """A one-line description of the convention, for tables and JSON output."""
    return CONVENTION_Y if test_y_channel else CONVENTION_RGB


# ---------------------------------------------------------------- validation


def _to_255_scale(img: Any, name: str, data_range: float | None) -> np.ndarray:
    """Validates one image and returns it as float64 HxWxC on the [0, 255] scale."""
    if not isinstance(img, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(img).__name__}")
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[2] not in (1, 3):
        raise ValueError(f"{name} must be HxW or HxWxC with C in (1, 3), got shape {img.shape}")
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {img.shape})")
    if img.dtype in _DEFAULT_RANGE:
        data_range = _DEFAULT_RANGE[img.dtype] if data_range is None else data_range
    elif np.issubdtype(img.dtype, np.floating):
        if data_range is None:
            raise ValueError(f"{name} is {img.dtype}: pass data_range=1.0 or data_range=255.0")
    else:
        raise ValueError(f"{name} has unsupported dtype {img.dtype} (use uint8, uint16 or float)")
    if data_range not in (1.0, 255.0, 65535.0):
        raise ValueError(f"data_range must be 1.0, 255.0 or 65535.0, got {data_range}")
    img = img.astype(np.float64)
    if not np.isfinite(img).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    # A little slack for float rounding; anything further out is a range mistake.
    slack = 1e-3 * data_range
    if img.min() < -slack or img.max() > data_range + slack:
        raise ValueError(
            f"{name} has values in [{img.min():.4g}, {img.max():.4g}], outside [0, {data_range:g}]"
        )
    return img * (255.0 / data_range)


def _prepare_pair(
    img: Any,
    img2: Any,
    crop_border: int,
    test_y_channel: bool,
    data_range: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(img, np.ndarray) and isinstance(img2, np.ndarray) and img.dtype != img2.dtype:
        raise ValueError(f"dtype mismatch: img is {img.dtype}, img2 is {img2.dtype}")
    a = _to_255_scale(img, "img", data_range)
    b = _to_255_scale(img2, "img2", data_range)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: img is {np.shape(img)}, img2 is {np.shape(img2)}")
    if not isinstance(crop_border, int | np.integer) or crop_border < 0:
        raise ValueError(f"crop_border must be a non-negative int, got {crop_border!r}")
    if crop_border:
        if 2 * crop_border >= min(a.shape[:2]):
            raise ValueError(f"crop_border={crop_border} leaves nothing of a {a.shape[:2]} image")
        a = a[crop_border:-crop_border, crop_border:-crop_border]
        b = b[crop_border:-crop_border, crop_border:-crop_border]
    if test_y_channel and a.shape[2] == 3:
        a = rgb_to_y(a)[..., None]
        b = rgb_to_y(b)[..., None]
    return a, b


def rgb_to_y(img: np.ndarray) -> np.ndarray:
    """MATLAB rgb2ycbcr luma of an HxWx3 RGB image on the [0, 255] scale (not rounded)."""
    return img @ _Y_WEIGHTS + _Y_OFFSET


# ---------------------------------------------------------------- numpy metrics


def psnr(
    img: np.ndarray,
    img2: np.ndarray,
    crop_border: int = 0,
    test_y_channel: bool = True,
    data_range: float | None = None,
) -> float:
    """PSNR in dB between two RGB (or grayscale) images.

    ``data_range`` is the value of white: implied for uint8 (255) and uint16
    (65535), required for float images (1.0 or 255.0).
    """
    a, b = _prepare_pair(img, img2, crop_border, test_y_channel, data_range)
    mse = np.mean((a - b) ** 2)
    if mse == 0:
        return float("inf")
    return float(10.0 * np.log10(255.0**2 / mse))


def _gaussian_1d() -> np.ndarray:
    coords = np.arange(SSIM_WINDOW, dtype=np.float64) - (SSIM_WINDOW - 1) / 2
    g = np.exp(-(coords**2) / (2 * _WINDOW_SIGMA**2))
    return g / g.sum()


def _filter_valid(x: np.ndarray) -> np.ndarray:
    """Gaussian-weighted local mean over the valid region (the window is separable)."""
    g = _gaussian_1d()
    r = SSIM_WINDOW // 2
    y = correlate1d(correlate1d(x, g, axis=0), g, axis=1)
    return y[r:-r, r:-r]


def _ssim_single_channel(a: np.ndarray, b: np.ndarray) -> float:
    mu_a = _filter_valid(a)
    mu_b = _filter_valid(b)
    var_a = _filter_valid(a * a) - mu_a**2
    var_b = _filter_valid(b * b) - mu_b**2
    cov = _filter_valid(a * b) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + _C1) * (2 * cov + _C2)) / (
        (mu_a**2 + mu_b**2 + _C1) * (var_a + var_b + _C2)
    )
    return float(ssim_map.mean())


def ssim(
    img: np.ndarray,
    img2: np.ndarray,
    crop_border: int = 0,
    test_y_channel: bool = True,
    data_range: float | None = None,
) -> float:
    """SSIM between two RGB (or grayscale) images; arguments as :func:`psnr`."""
    a, b = _prepare_pair(img, img2, crop_border, test_y_channel, data_range)
    if min(a.shape[:2]) < SSIM_WINDOW:
        raise ValueError(
            f"SSIM needs images of at least {SSIM_WINDOW}x{SSIM_WINDOW}, got {a.shape[:2]}"
        )
    return float(np.mean([_ssim_single_channel(a[..., c], b[..., c]) for c in range(a.shape[2])]))


RESTORATION_UNITS = {"PSNR": "dB", "SSIM": "1"}


def per_image_scores(pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> dict[str, list[float]]:
    """PSNR and SSIM (Y channel) of every (restored, clean) pair, as the bench and the
    scoreboard report them."""
    return {"PSNR": [psnr(a, b) for a, b in pairs], "SSIM": [ssim(a, b) for a, b in pairs]}


# ---------------------------------------------------------------- torch twins


def _prepare_pair_torch(
    img: torch.Tensor,
    img2: torch.Tensor,
    crop_border: int,
    test_y_channel: bool,
    data_range: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    for name, t in (("img", img), ("img2", img2)):
        if not isinstance(t, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.ndim != 4 or t.shape[1] not in (1, 3):
            raise ValueError(
                f"{name} must be Bx C x H x W with C in (1, 3), got shape {tuple(t.shape)}"
            )
    if img.shape != img2.shape:
        raise ValueError(f"shape mismatch: img is {tuple(img.shape)}, img2 is {tuple(img2.shape)}")
    if crop_border < 0 or 2 * crop_border >= min(img.shape[2:]):
        raise ValueError(f"crop_border={crop_border} does not fit a {tuple(img.shape[2:])} image")
    a = img.to(torch.float64) * (255.0 / data_range)
    b = img2.to(torch.float64) * (255.0 / data_range)
    if crop_border:
        a = a[..., crop_border:-crop_border, crop_border:-crop_border]
        b = b[..., crop_border:-crop_border, crop_border:-crop_border]
    if test_y_channel and a.shape[1] == 3:
        w = torch.as_tensor(_Y_WEIGHTS, dtype=torch.float64, device=a.device).view(1, 3, 1, 1)
        a = (a * w).sum(1, keepdim=True) + _Y_OFFSET
        b = (b * w).sum(1, keepdim=True) + _Y_OFFSET
    return a, b


def psnr_torch(
    img: torch.Tensor,
    img2: torch.Tensor,
    crop_border: int = 0,
    test_y_channel: bool = True,
    data_range: float = 1.0,
) -> torch.Tensor:
    """Per-image PSNR (shape B) of two Bx C x H x W RGB batches in [0, data_range]."""
    a, b = _prepare_pair_torch(img, img2, crop_border, test_y_channel, data_range)
    mse = ((a - b) ** 2).mean(dim=(1, 2, 3))
    return 10.0 * torch.log10(255.0**2 / mse)


def ssim_torch(
    img: torch.Tensor,
    img2: torch.Tensor,
    crop_border: int = 0,
    test_y_channel: bool = True,
    data_range: float = 1.0,
) -> torch.Tensor:
    """Per-image SSIM (shape B) of two Bx C x H x W RGB batches in [0, data_range]."""
    a, b = _prepare_pair_torch(img, img2, crop_border, test_y_channel, data_range)
    return ssim_per_image(a, b, data_range=255.0)


def ssim_per_image(a: torch.Tensor, b: torch.Tensor, data_range: float) -> torch.Tensor:
    """Mean SSIM per image of two B x C x H x W tensors (differentiable, any dtype)."""
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    channels = a.shape[1]
    g = torch.as_tensor(_gaussian_1d(), dtype=a.dtype, device=a.device)
    g_rows = g.view(1, 1, SSIM_WINDOW, 1).expand(channels, 1, SSIM_WINDOW, 1)
    g_cols = g.view(1, 1, 1, SSIM_WINDOW).expand(channels, 1, 1, SSIM_WINDOW)

    def filt(x: torch.Tensor) -> torch.Tensor:
        # The Gaussian window is separable: two 1-D passes, valid region only.
        return F.conv2d(F.conv2d(x, g_rows, groups=channels), g_cols, groups=channels)

    mu_a, mu_b = filt(a), filt(b)
    var_a = filt(a * a) - mu_a**2
    var_b = filt(b * b) - mu_b**2
    cov = filt(a * b) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )
    return ssim_map.mean(dim=(1, 2, 3))


# ---------------------------------------------------------------- mmengine metric


@METRICS.register_module()
class DerainMetric(BaseMetric):
    """PSNR / SSIM for mmengine evaluation loops.

    Each data sample is a dict with ``pred_img`` and ``gt_img``: C x H x W
    tensors in [0, 1], and ``rain`` where the dataset names its rain. Results are per-image
    means, gathered across ranks, overall and per rain (``psnr_heavy``, ``ssim_light``, ...).
    """

    default_prefix = "derain"

    def __init__(
        self,
        crop_border: int = 0,
        test_y_channel: bool = True,
        collect_device: str = "cpu",
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.crop_border = crop_border
        self.test_y_channel = test_y_channel

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = sample["pred_img"].detach().clamp(0, 1)[None]
            gt = sample["gt_img"].detach().to(pred.device)[None]
            args = (pred, gt, self.crop_border, self.test_y_channel, 1.0)
            self.results.append(
                {
                    "psnr": float(psnr_torch(*args)[0]),
                    "ssim": float(ssim_torch(*args)[0]),
                    "rain": sample.get("rain"),
                }
            )

    def compute_metrics(self, results: list) -> dict[str, float]:
        metrics = {
            "psnr": float(np.mean([r["psnr"] for r in results])),
            "ssim": float(np.mean([r["ssim"] for r in results])),
        }
        for rain in sorted({r["rain"] for r in results if r.get("rain") is not None}):
            own = [r for r in results if r.get("rain") == rain]
            metrics[f"psnr_{rain}"] = float(np.mean([r["psnr"] for r in own]))
            metrics[f"ssim_{rain}"] = float(np.mean([r["ssim"] for r in own]))
        return metrics
