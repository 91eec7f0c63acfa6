"""Rain synthesis: determinism, severity ordering, calibration against published input PSNRs."""

from __future__ import annotations

import numpy as np
import pytest

from rdmc.cli import main
from rdmc.data.samples import sample_image
from rdmc.imageio import read_image, write_image
from rdmc.metrics import psnr
from rdmc.rain import PUBLISHED_INPUT_PSNR, RAIN1400_TYPES, add_rain, seed_for


@pytest.fixture(scope="module")
def test_split():
    # the five photos the presets were calibrated on (the test split before it grew)
    names = ("astronaut", "grace_hopper", "cameraman", "chelsea", "coffee")
    return {name: sample_image(name) for name in names}


def mean_input_psnr(images: dict, preset: str, severity: int | None = None) -> float:
    return float(
        np.mean(
            [
                psnr(add_rain(img, preset, severity, seed_for(f"{n}.png", 0)).rainy, img)
                for n, img in images.items()
            ]
        )
    )


def test_same_input_preset_seed_gives_identical_bytes(photos):
    img = photos["coffee"]
    a = add_rain(img, "heavy", 4, seed=7)
    b = add_rain(img, "heavy", 4, seed=7)
    assert a.rainy.tobytes() == b.rainy.tobytes()
    assert a.rain_layer.tobytes() == b.rain_layer.tobytes()
    assert add_rain(img, "heavy", 4, seed=8).rainy.tobytes() != a.rainy.tobytes()


def test_result_keeps_shape_dtype_and_returns_the_rain_layer(photos):
    img = photos["chelsea"][:101, :77]
    out = add_rain(img, "light", seed=1)
    assert out.rainy.shape == img.shape and out.rainy.dtype == np.uint8
    assert out.rain_layer.shape == img.shape[:2] and out.rain_layer.dtype == np.float32
    assert 0.0 <= out.rain_layer.min() and out.rain_layer.max() <= 1.0
    assert out.rain_layer.max() > 0.2  # streaks exist
    # Rain only brightens under screen blending: where there is no streak, nothing changes.
    assert (out.rainy.astype(int) >= img.astype(int) - 1).all()


def test_gray_rgba_and_16_bit_inputs(photos):
    gray = photos["coffee"][..., 1]
    assert add_rain(gray, "light", seed=0).rainy.shape == gray.shape
    rgba = np.dstack([photos["coffee"], np.full(gray.shape, 123, np.uint8)])
    out = add_rain(rgba, "heavy", seed=0).rainy
    assert out.shape == rgba.shape and (out[..., 3] == 123).all()
    deep = photos["coffee"].astype(np.uint16) * 257
    out16 = add_rain(deep, "light", seed=0).rainy
    assert out16.dtype == np.uint16
    out8 = add_rain(photos["coffee"], "light", seed=0).rainy
    assert np.abs(out16 / 257.0 - out8).max() < 1.0


@pytest.mark.parametrize("preset", ["light", "heavy", "rain1400"])
def test_psnr_falls_strictly_with_severity(test_split, preset):
    for name, img in test_split.items():
        scores = [psnr(add_rain(img, preset, s, seed=3).rainy, img) for s in (1, 2, 3, 4, 5)]
        assert all(a > b for a, b in zip(scores[:-1], scores[1:], strict=True)), (name, scores)


def test_light_and_heavy_land_near_rain100_input_psnr(test_split):
    # Measured on the embedded test split: light 27.1 dB (Rain100L input: 26.90 dB),
    # heavy 12.9 dB (Rain100H input: 13.56 dB).
    light, heavy = mean_input_psnr(test_split, "light"), mean_input_psnr(test_split, "heavy")
    assert abs(light - PUBLISHED_INPUT_PSNR["Rain100L"]) < 2.0, light
    assert abs(heavy - PUBLISHED_INPUT_PSNR["Rain100H"]) < 2.0, heavy


def test_rain1400_has_14_distinct_types(test_split):
    img = test_split["coffee"]
    layers = [add_rain(img, "rain1400", seed=0, rain_type=t).rain_layer for t in range(1, 15)]
    assert len(RAIN1400_TYPES) == 14
    assert len({layer.tobytes() for layer in layers}) == 14


def test_bad_arguments(photos):
    with pytest.raises(ValueError, match="unknown rain preset"):
        add_rain(photos["coffee"], "drizzle")
    with pytest.raises(ValueError, match="severity"):
        add_rain(photos["coffee"], "light", severity=6)
    with pytest.raises(ValueError, match="rain types 1..14"):
        add_rain(photos["coffee"], "rain1400", rain_type=15)
    with pytest.raises(ValueError, match="uint8 or uint16"):
        add_rain(photos["coffee"].astype(np.float32), "light")


def test_cli_rain_writes_same_names_and_is_reproducible(tmp_path, photos, capsys):
    src = tmp_path / "clean"
    write_image(src / "a.png", photos["coffee"][:64, :80])
    write_image(src / "b.jpg", photos["chelsea"][:50, :70])
    (src / "broken.png").write_bytes(b"\x89PNG garbage")
    assert (
        main(["rain", str(src), "-o", str(tmp_path / "r1"), "--preset", "heavy", "--seed", "5"])
        == 1
    )
    captured = capsys.readouterr()
    assert "broken.png" in captured.err and "wrote 2 rainy image(s)" in captured.out
    assert sorted(p.name for p in (tmp_path / "r1").iterdir()) == ["a.png", "b.jpg"]
    assert read_image(tmp_path / "r1" / "b.jpg").shape == (50, 70, 3)
    assert (
        main(
            [
                "rain",
                str(src / "a.png"),
                "-o",
                str(tmp_path / "r2"),
                "--preset",
                "heavy",
                "--seed",
                "5",
            ]
        )
        == 0
    )
    assert (tmp_path / "r1" / "a.png").read_bytes() == (tmp_path / "r2" / "a.png").read_bytes()


def test_cli_rain1400_writes_ddn_names(tmp_path, photos):
    write_image(tmp_path / "in" / "7.png", photos["coffee"][:40, :40])
    assert (
        main(["rain", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--preset", "rain1400"])
        == 0
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"7_{j}.png" for j in range(1, 15)
    )


def test_a_rain_setting_reads_and_prints_as_preset_slash_severity():
    from rdmc.choices import RainSetting

    setting = RainSetting.parse("heavy/s3")
    assert setting == ("heavy", 3) and str(setting) == "heavy/s3"
    assert RainSetting.parse(str(RainSetting("rain1400", 5))) == ("rain1400", 5)
    for label in ("none", "Rain100H", "light/s1-5", "/s3", "light/s"):
        assert RainSetting.from_label(label) is None, label
    with pytest.raises(ValueError, match=r"'light/3': expected PRESET/sN"):
        RainSetting.parse("light/3")
    with pytest.raises(ValueError, match=r"drizzle/s3: unknown rain setting"):
        RainSetting("drizzle", 3).check()
    with pytest.raises(ValueError, match=r"light/s6: unknown rain setting"):
        RainSetting("light", 6).check()
    RainSetting("light", 5).check()
