"""Rain synthesis speed at 512x512, next to a plain Gaussian blur of the same image as baseline."""

from __future__ import annotations

import cv2
import pytest

from rdmc.rain import add_rain


@pytest.mark.parametrize("preset", ["light", "heavy"])
def test_add_rain_512(benchmark, photo_pair, preset):
    benchmark.group = "rain-512"
    benchmark(add_rain, photo_pair[1], preset, None, 0)


def test_gaussian_blur_512_baseline(benchmark, photo_pair):
    benchmark.group = "rain-512"
    benchmark(cv2.GaussianBlur, photo_pair[1], (0, 0), 1.5)
