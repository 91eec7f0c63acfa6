"""No-reference image quality as the deraining literature reports it on real rain:
NIQE, BRISQUE and PIQE, computed as LIVE's MATLAB releases (and MATLAB's ``piqe``) do,
with LIVE's own model files. Lower is better for all three.

``score(img, metrics)`` takes an RGB or gray uint8/uint16 image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rdmc.iqa.nss import IqaError

METRICS = ("niqe", "brisque", "piqe")

# What every table says of the variant it shows.
VARIANTS = {
    "niqe": "NIQE, LIVE release (computequality.m, 96x96 blocks, LIVE pristine model)",
    "brisque": "BRISQUE, LIVE release (brisquescore.m, LIVE allmodel SVR)",
    "piqe": "PIQE, MATLAB piqe (16x16 blocks)",
}


def _to_uint8_scale(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return np.floor(img.astype(np.float64) / 257 + 0.5).astype(np.uint8)
    raise IqaError(f"expected a uint8 or uint16 image, got {img.dtype}")


def _scorer(name: str) -> Callable[[np.ndarray], float]:
    if name == "niqe":
        from rdmc.iqa.niqe import niqe
        from rdmc.iqa.parameters import niqe_model

        model = niqe_model()
        return lambda img: niqe(img, model)
    if name == "brisque":
        from rdmc.iqa.brisque import brisque
        from rdmc.iqa.parameters import brisque_model

        model = brisque_model()
        return lambda img: brisque(img, model)
    if name == "piqe":
        from rdmc.iqa.piqe import piqe

        return piqe
    raise IqaError(f"unknown metric {name!r}; known: {', '.join(METRICS)}")


def parse_metrics(text: str | Sequence[str]) -> list[str]:
    """'niqe,piqe' or a list -> checked, de-duplicated names in the given order."""
    names = [n.strip().lower() for n in (text.split(",") if isinstance(text, str) else text)]
    names = [n for n in dict.fromkeys(names) if n]
    unknown = [n for n in names if n not in METRICS]
    if unknown or not names:
        raise IqaError(
            f"unknown quality metric(s) {', '.join(unknown) or '(none given)'}; "
            f"known: {', '.join(METRICS)}"
        )
    return names


def score(img: np.ndarray, metrics: Sequence[str] = METRICS) -> dict[str, float]:
    """The named metrics of one image (RGB/RGBA or gray, uint8 or uint16)."""
    img = _to_uint8_scale(img)
    return {name: _scorer(name)(img) for name in metrics}


# The registry files (rdmc.weights) each metric reads.
MODEL_FILES = {"niqe": ("niqe-pristine",), "brisque": ("brisque-model", "brisque-ranges")}
# The metric names results files and tables use.
RECORD_NAMES = {"niqe": "NIQE", "brisque": "BRISQUE", "piqe": "PIQE"}
QUALITY_UNIT = "1"
QUALITY_MODEL = "no reference"  # the record's model field: nothing is compared against


def per_image_quality(
    images: Sequence[tuple[str, np.ndarray]], metrics: Sequence[str]
) -> tuple[dict[str, list[float]], list[str]]:
    """Each metric's values over the (name, image) pairs that it can score, by record name,
    and one line per image that cannot be scored (too small for NIQE's 96x96 blocks), which
    is then left out of every metric so that all conditions keep the same images."""
    values: dict[str, list[float]] = {RECORD_NAMES[m]: [] for m in metrics}
    skipped = []
    for name, img in images:
        try:
            scores = score(img, metrics)
        except IqaError as e:
            skipped.append(f"{name}: {e}")
            continue
        for metric, value in scores.items():
            values[RECORD_NAMES[metric]].append(value)
    return values, skipped


def quality_meta(metrics: Sequence[str]) -> dict:
    """What a results file says of its quality records: the metrics, the variant of each
    (every table names it), lower is better, and the SHA-256 of each model file read."""
    from rdmc.digests import file_digest
    from rdmc.weights import resolve_weights

    files = [name for m in metrics for name in MODEL_FILES.get(m, ())]
    return {
        "metrics": [RECORD_NAMES[m] for m in metrics],
        "variants": {RECORD_NAMES[m]: VARIANTS[m] for m in metrics},
        "lower_is_better": True,
        "model_files": {name: file_digest(resolve_weights(name)) for name in files},
    }
