"""Physically motivated rain synthesis.

A rain streak layer is made as in Photoshop-style rain rendering used to build
the synthetic deraining sets (Rain100L/H, Rain1400): sparse random drops, a
slight Gaussian blur for drop thickness, a motion blur along the fall direction,
then a contrast stretch. Heavy rain stacks several layers at different angles,
lengths and depths (far layers: shorter, thinner, dimmer). Layers are blended
onto the background (screen or additive) and rain accumulation (the veil of
distant drops) is added by the atmospheric model of Yang et al. (JORDER, CVPR
2017), which also built Rain100L/H:

    O = alpha * (B + sum_i S_i) + (1 - alpha) * A

with transmission ``alpha`` and atmospheric light ``A``.

Calibration targets: the input PSNR (rainy vs clean, Y channel) of the test sets,
as tabulated in RCDNet (Wang et al., CVPR 2020, Table 2) and reused by most later
papers: Rain100L 26.90 dB / SSIM 0.8384, Rain100H 13.56 dB / SSIM 0.3709,
Rain1400 25.24 dB / SSIM 0.8097. ``light`` and ``heavy`` are tuned to land near
the first two on the embedded test split (see tests/test_rain.py for the check).

Everything is seeded: the same image, preset, severity and seed give identical
bytes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

import cv2
import numpy as np

from rdmc.choices import PRESETS

# Published input PSNR / SSIM (Y channel) of the standard test sets; see module docstring.
PUBLISHED_INPUT_PSNR = {"Rain100L": 26.90, "Rain100H": 13.56, "Rain1400": 25.24}
PUBLISHED_INPUT_SSIM = {"Rain100L": 0.8384, "Rain100H": 0.3709, "Rain1400": 0.8097}

# Streak lengths and thicknesses are given for a 320-pixel short side (the BSD200
# images behind Rain100L/H are 321 x 481) and scaled to the actual image.
_REFERENCE_SHORT_SIDE = 320.0


@dataclass(frozen=True)
class StreakLayer:
    """One depth layer of parallel rain streaks."""

    density: float  # fraction of pixels that seed a drop
    length: float  # motion-blur length, pixels at the reference size
    angle: float  # degrees from vertical, positive leans right
    thickness: float  # Gaussian sigma of a drop, pixels at the reference size
    intensity: float  # brightness of a streak's core, in [0, 1]


@dataclass(frozen=True)
class RainPreset:
    """A rain style: streak layers, blending, and the accumulation veil."""

    name: str
    layers: tuple[StreakLayer, ...]
    blend: str = "screen"  # "screen" or "add"
    transmission: float = 1.0  # alpha of the veil model; 1 = no accumulation
    atmospheric_light: float = 0.85  # A of the veil model


def _layers_at(angles: tuple[float, ...], **kwargs: float) -> tuple[StreakLayer, ...]:
    return tuple(StreakLayer(angle=a, **kwargs) for a in angles)


LIGHT = RainPreset(
    name="light",
    layers=(StreakLayer(density=0.002, length=18, angle=-8, thickness=0.6, intensity=0.4),),
    blend="screen",
)

# Rain100H: dense thick streaks in five directions, and rain accumulation.
HEAVY = RainPreset(
    name="heavy",
    layers=(
        StreakLayer(density=0.0012, length=34, angle=-20, thickness=1.3, intensity=0.55),
        StreakLayer(density=0.0012, length=30, angle=-8, thickness=1.2, intensity=0.5),
        StreakLayer(density=0.0012, length=32, angle=3, thickness=1.3, intensity=0.5),
        StreakLayer(density=0.0012, length=28, angle=14, thickness=1.1, intensity=0.5),
        StreakLayer(density=0.0016, length=14, angle=25, thickness=0.7, intensity=0.4),
    ),
    blend="screen",
    transmission=0.9,
    atmospheric_light=0.9,
)


def _rain1400_types() -> tuple[RainPreset, ...]:
    """DDN's Rain1400 renders each clean image with 14 rain types that differ in
    streak direction and size; here 7 directions x 2 streak scales."""
    types = []
    for density, length, thickness, intensity in ((0.0015, 16, 0.6, 0.4), (0.001, 30, 0.9, 0.45)):
        for angle in (-30, -20, -10, 0, 10, 20, 30):
            layer = StreakLayer(density, length, angle, thickness, intensity)
            types.append(RainPreset(f"rain1400-{len(types) + 1}", (layer,), "screen", 0.97, 0.85))
    return tuple(types)


RAIN1400_TYPES = _rain1400_types()

# Severity scales a preset's density, intensity and veil; 3 is the preset as calibrated.
_SEVERITY_SCALE = {1: 0.35, 2: 0.65, 3: 1.0, 4: 1.4, 5: 1.9}


@dataclass
class RainResult:
    """A rainy image (same shape and dtype as the input) and its rain streak layer.

    ``rain_layer`` is HxW float32 in [0, 1]: the streaks before blending and veiling.
    """

    rainy: np.ndarray
    rain_layer: np.ndarray


def get_preset(name: str, rain_type: int | None = None) -> RainPreset:
    """``light``, ``heavy`` or ``rain1400`` (with ``rain_type`` 1..14, default 1)."""
    if name == "light":
        return LIGHT
    if name == "heavy":
        return HEAVY
    if name == "rain1400":
        rain_type = 1 if rain_type is None else rain_type
        if not 1 <= rain_type <= len(RAIN1400_TYPES):
            raise ValueError(f"rain1400 has rain types 1..{len(RAIN1400_TYPES)}, got {rain_type}")
        return RAIN1400_TYPES[rain_type - 1]
    raise ValueError(f"unknown rain preset {name!r}; choose one of {', '.join(PRESETS)}")


def at_severity(preset: RainPreset, severity: int) -> RainPreset:
    """The preset made lighter (1, 2) or heavier (4, 5); 3 leaves it unchanged."""
    if severity not in _SEVERITY_SCALE:
        raise ValueError(f"severity must be one of 1..5, got {severity!r}")
    k = _SEVERITY_SCALE[severity]
    layers = tuple(
        replace(layer, density=layer.density * k, intensity=min(1.0, layer.intensity * k**0.5))
        for layer in preset.layers
    )
    transmission = 1.0 - (1.0 - preset.transmission) * k if preset.transmission < 1.0 else 1.0
    # Severity also veils presets that have no accumulation of their own.
    transmission = min(transmission, 1.0 - 0.04 * max(0.0, k - 1.0))
    return replace(preset, layers=layers, transmission=max(0.2, transmission))


def seed_for(name: str, seed: int) -> int:
    """A per-image seed from a file name, stable across runs and machines."""
    return (zlib.crc32(name.encode("utf-8")) ^ (seed * 0x9E3779B1)) & 0xFFFFFFFF


# ---------------------------------------------------------------- streaks


def _motion_kernel(length: float, angle_deg: float) -> np.ndarray:
    """A normalised line kernel of the given length, ``angle_deg`` from vertical."""
    size = max(3, int(np.ceil(length)) | 1)
    kernel = np.zeros((size, size), np.float32)
    c = (size - 1) / 2
    theta = np.deg2rad(angle_deg)
    dx, dy = np.sin(theta), np.cos(theta)
    for t in np.linspace(-length / 2, length / 2, max(2, int(length * 2))):
        x, y = c + t * dx, c + t * dy
        xi, yi = int(round(x)), int(round(y))
        if 0 <= xi < size and 0 <= yi < size:
            kernel[yi, xi] = 1.0
    return kernel / kernel.sum()


def streak_layer(
    shape: tuple[int, int],
    layer: StreakLayer,
    rng: np.random.Generator,
    short_side: int | None = None,
) -> np.ndarray:
    """One layer of streaks, HxW float32 in [0, 1], sized for an image whose short side is
    ``short_side`` (default: this layer's own)."""
    h, w = shape
    scale = max(0.5, (short_side or min(h, w)) / _REFERENCE_SHORT_SIDE)
    # Uniform noise thresholded by density: a denser layer contains every drop of a
    # sparser one drawn from the same generator state, so severity is monotone.
    seeds_u = rng.random((h, w), dtype=np.float32)
    brightness = rng.uniform(0.6, 1.0, (h, w)).astype(np.float32)
    drops = np.where(seeds_u < layer.density, brightness, 0.0).astype(np.float32)
    sigma = layer.thickness * scale
    if sigma > 0.3:
        drops = cv2.GaussianBlur(drops, (0, 0), sigma)
    kernel = _motion_kernel(layer.length * scale, layer.angle)
    streaks = cv2.filter2D(drops, -1, kernel, borderType=cv2.BORDER_REFLECT)
    # Contrast stretch: the expected peak of an isolated streak maps to 1.
    peak = float(kernel.max()) * (1.0 if sigma <= 0.3 else 1.0 / (2 * np.pi * sigma**2) ** 0.5)
    streaks = np.clip(streaks / max(peak, 1e-6), 0.0, 1.0)
    return (streaks**1.2 * layer.intensity).astype(np.float32)


# ---------------------------------------------------------------- composition


def _to_unit_float(img: np.ndarray) -> tuple[np.ndarray, float]:
    if img.dtype == np.uint8:
        return img.astype(np.float32) / 255.0, 255.0
    if img.dtype == np.uint16:
        return img.astype(np.float32) / 65535.0, 65535.0
    raise ValueError(f"rain synthesis takes uint8 or uint16 images, got {img.dtype}")


def add_rain(
    img: np.ndarray,
    preset: str | RainPreset = "light",
    severity: int | None = None,
    seed: int = 0,
    rain_type: int | None = None,
    photo_short_side: int | None = None,
) -> RainResult:
    """Adds synthetic rain to an HxW, HxWx3 (RGB) or HxWx4 (RGBA, alpha kept) image.

    ``photo_short_side``: the image is a crop of a photo with this short side; its streaks
    are sized for the photo (as raining on the photo, then cropping, would size them), not
    for the crop. Default: the image is the whole photo.
    """
    if not isinstance(img, np.ndarray) or img.ndim not in (2, 3):
        raise ValueError("add_rain takes an HxW or HxWxC numpy image")
    if img.ndim == 3 and img.shape[2] not in (1, 3, 4):
        raise ValueError(f"add_rain takes 1, 3 or 4 channels, got shape {img.shape}")
    spec = preset if isinstance(preset, RainPreset) else get_preset(preset, rain_type)
    if severity is not None:
        spec = at_severity(spec, severity)
    rng = np.random.default_rng(seed)
    background, white = _to_unit_float(img)
    alpha_channel = None
    if background.ndim == 3 and background.shape[2] == 4:
        background, alpha_channel = background[..., :3], img[..., 3:]
    h, w = background.shape[:2]

    # Each layer draws from its own child generator: adding a layer to a preset
    # does not change the streaks of the others.
    layer_rngs = rng.spawn(len(spec.layers))
    rain = np.zeros((h, w), np.float32)
    for layer, layer_rng in zip(spec.layers, layer_rngs, strict=True):
        s = streak_layer((h, w), layer, layer_rng, photo_short_side)
        rain = 1.0 - (1.0 - rain) * (1.0 - s)  # streaks occlude each other like light sources
    s3 = rain if background.ndim == 2 else rain[..., None]
    if spec.blend == "screen":
        out = 1.0 - (1.0 - background) * (1.0 - s3)
    elif spec.blend == "add":
        out = background + s3
    else:
        raise ValueError(f"unknown blend {spec.blend!r}")
    out = spec.transmission * out + (1.0 - spec.transmission) * spec.atmospheric_light
    out = np.clip(out, 0.0, 1.0)
    rainy = np.round(out * white).astype(img.dtype)
    if alpha_channel is not None:
        rainy = np.concatenate([rainy, alpha_channel], axis=2)
    return RainResult(rainy=rainy, rain_layer=rain)


def foreign_rain(clean: np.ndarray, seed: int) -> np.ndarray:
    """Rain by a recipe no training run sees, for checks of generalisation: anti-aliased line
    segments drawn with OpenCV (random lengths, one wind angle per image), softened and added
    with partial opacity."""
    rng = np.random.default_rng(seed)
    h, w = clean.shape[:2]
    layer = np.zeros((h, w), np.float32)
    angle = np.deg2rad(rng.uniform(-25, 25))
    for _ in range(int(h * w / 900)):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        length = rng.uniform(8, 22)
        dx, dy = np.sin(angle) * length, np.cos(angle) * length
        cv2.line(
            layer,
            (int(x), int(y)),
            (int(x + dx), int(y + dy)),
            float(rng.uniform(0.5, 1.0)),
            1,
            cv2.LINE_AA,
        )
    layer = cv2.GaussianBlur(layer, (0, 0), 0.7)
    rainy = clean.astype(np.float32) + 0.45 * 255 * layer[..., None]
    return np.clip(np.round(rainy), 0, 255).astype(np.uint8)
