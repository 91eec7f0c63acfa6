"""Regenerates rain_presets.jpg: clean | light | heavy | rain1400 (type 5) on two test photos.

python reports/figures/make_rain_presets.py
"""

from pathlib import Path

import cv2
import numpy as np

from rdmc.data.samples import sample_image
from rdmc.imageio import write_image
from rdmc.rain import add_rain, seed_for

SIZE = 300


def square(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    s = min(h, w)
    y, x = (h - s) // 2, (w - s) // 2
    return cv2.resize(img[y : y + s, x : x + s], (SIZE, SIZE), interpolation=cv2.INTER_AREA)


def main() -> None:
    rows = []
    for name in ("astronaut", "chelsea"):
        clean = square(sample_image(name))
        seed = seed_for(f"{name}.png", 0)
        rainy = [
            add_rain(clean, p, None, seed, rain_type=5).rainy
            for p in ("light", "heavy", "rain1400")
        ]
        rows.append(np.concatenate([clean, *rainy], axis=1))
    write_image(Path(__file__).with_name("rain_presets.jpg"), np.concatenate(rows, axis=0))


if __name__ == "__main__":
    main()
