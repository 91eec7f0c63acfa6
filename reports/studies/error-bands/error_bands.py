"""Where a derainer's remaining error lies: the error of its output against the clean photo
(Y channel, [0, 255]) split into a low band (a Gaussian blur with sigma 8 px: the veil of
rain accumulation, tone and colour casts) and the high band left over (streaks, edges and
texture). Each band's share is given as its own PSNR (255^2 over the band's mean square);
the lower, the more error there. Also the PSNR after the best gain and offset per image:
the rain model's veil is one transmission and one light per image, so the error a global
correction explains includes whatever veil a derainer misjudged. On the embedded val split
at severity 3, the same rain as ``rdmc scoreboard --split val``. README's *Why* under the
light-rain recipe reads it.

    python reports/studies/error-bands/error_bands.py OUT.json [DERAINER ...]  # default: the zoo's
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

from downstream.results.provenance import machine
from downstream.scoreboard.cases import embedded_cases
from rdmc import load_derainer
from rdmc.imageio import write_bytes_atomic
from rdmc.metrics import rgb_to_y
from rdmc.zoo import CHECKPOINTS, ZooError

LOW_BAND_SIGMA = 8.0
RAIN = [("heavy", 3), ("light", 3)]


def band_errors(output: np.ndarray, clean: np.ndarray) -> dict[str, float]:
    """Mean square error of the whole, the low band and the high band, on the Y channel, and
    of the whole after the best gain and offset for this image (fitted to the clean photo:
    what a perfect global correction, such as removing a uniform veil, would leave)."""
    out_y, clean_y = rgb_to_y(output.astype(np.float64)), rgb_to_y(clean.astype(np.float64))
    error = out_y - clean_y
    low = cv2.GaussianBlur(error, (0, 0), LOW_BAND_SIGMA, borderType=cv2.BORDER_REFLECT)
    high = error - low
    design = np.stack([out_y.ravel(), np.ones(out_y.size)], axis=1)
    (gain, offset), *_ = np.linalg.lstsq(design, clean_y.ravel(), rcond=None)
    refit = gain * out_y + offset - clean_y
    return {
        "all": float(np.mean(error**2)),
        "low": float(np.mean(low**2)),
        "high": float(np.mean(high**2)),
        "global_fit": float(np.mean(refit**2)),
    }


def as_db(mse: float) -> float:
    return float(10 * np.log10(255.0**2 / mse))


def main() -> int:
    out = Path(sys.argv[1])
    try:  # every derainer before any work: a bad name costs nothing already measured
        derainers = {name: load_derainer(name) for name in sys.argv[2:] or CHECKPOINTS}
    except ZooError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    _, cases = embedded_cases("val", RAIN, seed=0)
    rows: dict[str, dict] = {}
    for name, derain in {"rainy": lambda img: img, **derainers}.items():
        rows[name] = {}
        for setting, setting_cases in cases.items():
            per_image = [band_errors(derain(c.rainy), c.clean) for c in setting_cases]
            mean = {band: float(np.mean([e[band] for e in per_image])) for band in per_image[0]}
            db = {f"{band}_db": as_db(mse) for band, mse in mean.items()}
            rows[name][setting] = {
                **db,
                "per_image_mse": dict(zip([c.name for c in setting_cases], per_image, strict=True)),
            }
            print(
                f"{name} {setting}: all {db['all_db']:.2f} dB, low band {db['low_db']:.2f}, "
                f"high band {db['high_db']:.2f}, after a global fit {db['global_fit_db']:.2f}",
                flush=True,
            )
    meta = {
        "split": "val",
        "rain": [f"{p}/s{s}" for p, s in RAIN],
        "seed": 0,
        "low_band_sigma": LOW_BAND_SIGMA,
        "machine": machine("cpu"),
    }
    write_bytes_atomic(out, json.dumps({"meta": meta, "derainers": rows}, indent=1).encode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
