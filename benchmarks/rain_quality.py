"""Input PSNR/SSIM (rainy vs clean, Y channel) of every rain preset and severity on the
embedded test split, next to the published figures of the real test sets.

    python benchmarks/rain_quality.py OUT.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from rdmc.data.samples import load_manifest, sample_image
from rdmc.metrics import convention, psnr, ssim
from rdmc.rain import PUBLISHED_INPUT_PSNR, PUBLISHED_INPUT_SSIM, add_rain, seed_for

PUBLISHED = {"light": "Rain100L", "heavy": "Rain100H", "rain1400": "Rain1400"}


def measure() -> list[dict]:
    names = [e["name"] for e in load_manifest()["images"] if e["split"] == "test"]
    images = {name: sample_image(name) for name in names}
    rows = []
    for preset in ("light", "heavy", "rain1400"):
        for severity in (1, 2, 3, 4, 5):
            pairs = [
                (add_rain(img, preset, severity, seed_for(f"{name}.png", 0)).rainy, img)
                for name, img in images.items()
            ]
            rows.append(
                {
                    "preset": preset,
                    "severity": severity,
                    "psnr": float(np.mean([psnr(r, c) for r, c in pairs])),
                    "ssim": float(np.mean([ssim(r, c) for r, c in pairs])),
                    "n": len(pairs),
                }
            )
    return rows


def main() -> None:
    out = Path(sys.argv[1])
    rows = measure()
    print(f"input PSNR / SSIM of the embedded test split ({convention()})")
    print(f"{'preset':<10}{'sev':>4}{'PSNR':>9}{'SSIM':>8}   published (severity 3)")
    for r in rows:
        ref = PUBLISHED[r["preset"]]
        note = (
            f"{ref}: {PUBLISHED_INPUT_PSNR[ref]:.2f} / {PUBLISHED_INPUT_SSIM[ref]:.4f}"
            if r["severity"] == 3
            else ""
        )
        print(f"{r['preset']:<10}{r['severity']:>4}{r['psnr']:>9.2f}{r['ssim']:>8.4f}   {note}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"convention": convention(), "rows": rows}, indent=2))
    print(f"rain quality results: {out}")


if __name__ == "__main__":
    main()
