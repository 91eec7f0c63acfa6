"""What derainers do to images without rain: each derainer applied to the rain-free photos of
an embedded split, PSNR (Y) of its output against the photo itself. A derainer that alters
clean content by as much as light rain does (about 28.8 dB on the test split at severity 3)
cannot gain much on light rain, so this is the diagnostic behind README's light-rain lines.
Also the PSNR change on rain made by a recipe none was trained on (rdmc.rain.foreign_rain,
OpenCV streaks) for the photos tests/test_shipped_models.py uses.

    python reports/studies/rain-free/rain_free.py OUT.json [DERAINER ...]  # default: the zoo's
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from downstream.results.provenance import machine
from rdmc import load_derainer
from rdmc.data.datasets import to_rgb_uint8
from rdmc.data.samples import sample_image, sample_split
from rdmc.imageio import list_images, read_image, write_bytes_atomic
from rdmc.inference import Derainer
from rdmc.metrics import convention, psnr
from rdmc.rain import foreign_rain
from rdmc.zoo import CHECKPOINTS, ZooError

FOREIGN_RAIN_PHOTOS = ("astronaut", "chelsea", "coffee")


def rain_free(derainer: Derainer) -> dict:
    per_image = {}
    for path in list_images(sample_split("test")):
        clean = to_rgb_uint8(read_image(path))
        per_image[path.name] = psnr(derainer(clean), clean)
    values = np.array(list(per_image.values()))
    return {
        "mean": float(values.mean()),
        "below_30dB": int((values < 30).sum()),
        "n": len(values),
        "per_image": per_image,
    }


def foreign_rain_change(derainer: Derainer) -> dict[str, float]:
    change = {}
    for name in FOREIGN_RAIN_PHOTOS:
        clean = sample_image(name)
        rainy = foreign_rain(clean, seed=1)
        change[name] = psnr(derainer(rainy), clean) - psnr(rainy, clean)
    return change


def main() -> int:
    out = Path(sys.argv[1])
    try:  # every derainer before any work: a bad name costs nothing already measured
        derainers = {name: load_derainer(name) for name in sys.argv[2:] or CHECKPOINTS}
    except ZooError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    rows = {}
    for name, derainer in derainers.items():
        free, change = rain_free(derainer), foreign_rain_change(derainer)
        rows[name] = {"rain_free": free, "foreign_rain_change": change}
        print(
            f"{name}: rain-free test photos {free['mean']:.2f} dB ({free['below_30dB']} of "
            f"{free['n']} below 30 dB); foreign rain "
            + " / ".join(f"{k} {v:+.2f}" for k, v in change.items()),
            flush=True,
        )
    meta = {"split": "test", "convention": convention(), "machine": machine("cpu")}
    write_bytes_atomic(out, json.dumps({"meta": meta, "derainers": rows}, indent=1).encode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
