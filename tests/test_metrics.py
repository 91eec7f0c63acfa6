"""PSNR/SSIM against references written from the published formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from numpy.lib.stride_tricks import sliding_window_view

from rdmc.metrics import psnr, psnr_torch, ssim, ssim_torch

# ------------------------------------------------ references from the formulas


def ref_y(img: np.ndarray) -> np.ndarray:
    """MATLAB rgb2ycbcr luma: 16 + 65.481 R' + 128.553 G' + 24.966 B', R' = R/255."""
    rgb = img.astype(np.float64) / 255.0
    return 16.0 + 65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]


def ref_psnr(a: np.ndarray, b: np.ndarray) -> float:
    return 10 * math.log10(255.0**2 / np.mean((a - b) ** 2))


def ref_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Wang et al. 2004, Gaussian 11x11 sigma 1.5, statistics at every valid window position."""
    x = np.arange(11) - 5.0
    g = np.exp(-(x**2) / (2 * 1.5**2))
    w = np.outer(g, g) / np.outer(g, g).sum()
    wa, wb = sliding_window_view(a, (11, 11)), sliding_window_view(b, (11, 11))
    mu_a = np.einsum("ijkl,kl->ij", wa, w)
    mu_b = np.einsum("ijkl,kl->ij", wb, w)
    var_a = np.einsum("ijkl,ijkl,kl->ij", wa, wa, w) - mu_a**2
    var_b = np.einsum("ijkl,ijkl,kl->ij", wb, wb, w) - mu_b**2
    cov = np.einsum("ijkl,ijkl,kl->ij", wa, wb, w) - mu_a * mu_b
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    m = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )
    return float(m.mean())


def degrade(img: np.ndarray, seed: int) -> np.ndarray:
    """A realistic restoration error: noise plus bright streak-like lines, clipped to uint8."""
    rng = np.random.default_rng(seed)
    out = img.astype(np.float64) + rng.normal(0, 8, img.shape)
    out[::9, :, :] += 60
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def pairs(photos):
    return [(img[:200, :240], degrade(img[:200, :240], i)) for i, img in enumerate(photos.values())]


# ------------------------------------------------ agreement with the convention


def test_psnr_y_matches_formula(pairs):
    for clean, noisy in pairs:
        assert psnr(noisy, clean) == pytest.approx(ref_psnr(ref_y(noisy), ref_y(clean)), abs=1e-4)


def test_ssim_y_matches_formula(pairs):
    for clean, noisy in pairs:
        assert ssim(noisy, clean) == pytest.approx(ref_ssim(ref_y(noisy), ref_y(clean)), abs=1e-5)


def test_rgb_mode_averages_channels(pairs):
    clean, noisy = pairs[0]
    a, b = noisy.astype(np.float64), clean.astype(np.float64)
    assert psnr(noisy, clean, test_y_channel=False) == pytest.approx(ref_psnr(a, b), abs=1e-4)
    expected = np.mean([ref_ssim(a[..., c], b[..., c]) for c in range(3)])
    assert ssim(noisy, clean, test_y_channel=False) == pytest.approx(expected, abs=1e-5)


def test_matches_scikit_image_on_y(pairs):
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    for clean, noisy in pairs:
        ya, yb = ref_y(noisy), ref_y(clean)
        assert psnr(noisy, clean) == pytest.approx(
            peak_signal_noise_ratio(yb, ya, data_range=255), abs=1e-4
        )
        sk = structural_similarity(
            ya, yb, data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
        )
        assert ssim(noisy, clean) == pytest.approx(sk, abs=1e-5)


def test_crop_border_cuts_every_side(pairs):
    clean, noisy = pairs[1]
    assert psnr(noisy, clean, crop_border=4) == pytest.approx(
        psnr(noisy[4:-4, 4:-4], clean[4:-4, 4:-4])
    )
    assert ssim(noisy, clean, crop_border=4) == pytest.approx(
        ssim(noisy[4:-4, 4:-4], clean[4:-4, 4:-4])
    )


def test_float_ranges_give_the_uint8_result(pairs):
    clean, noisy = pairs[0]
    expected = psnr(noisy, clean)
    assert psnr(noisy / 255.0, clean / 255.0, data_range=1.0) == pytest.approx(expected, abs=1e-9)
    assert psnr(
        noisy.astype(np.float32), clean.astype(np.float32), data_range=255.0
    ) == pytest.approx(expected, abs=1e-9)
    as16 = lambda x: x.astype(np.uint16) * 257  # noqa: E731  (exact 8 -> 16 bit scaling)
    assert psnr(as16(noisy), as16(clean)) == pytest.approx(expected, abs=1e-9)


def test_grayscale_input(pairs):
    clean, noisy = pairs[0]
    g1, g2 = clean[..., 1], noisy[..., 1]
    assert psnr(g2, g1) == pytest.approx(ref_psnr(g2.astype(float), g1.astype(float)), abs=1e-4)
    assert ssim(g2, g1) == pytest.approx(ref_ssim(g2.astype(float), g1.astype(float)), abs=1e-5)


def test_identical_images(photos):
    img = photos["coffee"]
    assert psnr(img, img) == math.inf
    assert ssim(img, img) == pytest.approx(1.0, abs=1e-12)


def test_psnr_orders_by_damage(photos):
    clean = photos["chelsea"]
    rng = np.random.default_rng(0)
    scores = [
        psnr(np.clip(clean + rng.normal(0, s, clean.shape), 0, 255).astype(np.uint8), clean)
        for s in (2, 8, 32)
    ]
    assert scores[0] > scores[1] > scores[2]


# ------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        (np.zeros((32, 32, 3), np.uint8), np.zeros((32, 31, 3), np.uint8), "shape mismatch"),
        (np.zeros((32, 32, 3), np.uint8), np.zeros((32, 32, 3), np.float32), "dtype"),
        (np.zeros((32, 32, 3), np.float32), np.zeros((32, 32, 3), np.float32), "data_range"),
        (np.zeros((32, 32, 3), np.int64), np.zeros((32, 32, 3), np.int64), "unsupported dtype"),
        (np.zeros((32, 32, 5), np.uint8), np.zeros((32, 32, 5), np.uint8), "HxW or HxWxC"),
        (np.zeros((4, 32, 32, 3), np.uint8), np.zeros((4, 32, 32, 3), np.uint8), "HxW or HxWxC"),
        ([[1, 2], [3, 4]], [[1, 2], [3, 4]], "numpy array"),
        ("a.png", "b.png", "numpy array"),
    ],
)
def test_bad_input_raises_value_error(a, b, message):
    with pytest.raises(ValueError, match=message):
        psnr(a, b)
    with pytest.raises(ValueError, match=message):
        ssim(a, b)


def test_out_of_range_float_is_rejected():
    a = np.full((16, 16, 3), 200.0)
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        psnr(a, a, data_range=1.0)


def test_nan_is_rejected():
    a = np.zeros((16, 16), np.float64)
    a[3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        psnr(a, np.zeros_like(a), data_range=1.0)


def test_crop_border_too_large():
    a = np.zeros((16, 16), np.uint8)
    with pytest.raises(ValueError, match="crop_border"):
        psnr(a, a, crop_border=8)


# ------------------------------------------------ torch twins and the mmengine metric


def _to_tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img.astype(np.float32) / 255.0).permute(2, 0, 1)


def test_torch_twins_match_numpy(pairs):
    noisy = torch.stack([_to_tensor(n) for _, n in pairs])
    clean = torch.stack([_to_tensor(c) for c, _ in pairs])
    p, s = psnr_torch(noisy, clean), ssim_torch(noisy, clean)
    assert p.shape == s.shape == (len(pairs),)
    for i, (c, n) in enumerate(pairs):
        assert p[i].item() == pytest.approx(psnr(n, c), abs=1e-4)
        assert s[i].item() == pytest.approx(ssim(n, c), abs=1e-5)
    p_rgb = psnr_torch(noisy, clean, crop_border=3, test_y_channel=False)
    assert p_rgb[0].item() == pytest.approx(psnr(pairs[0][1], pairs[0][0], 3, False), abs=1e-4)


def test_torch_shape_mismatch():
    with pytest.raises(ValueError, match="shape mismatch"):
        psnr_torch(torch.zeros(1, 3, 16, 16), torch.zeros(1, 3, 16, 17))


def test_mmengine_metric_is_registered_and_averages(pairs):
    from mmengine.evaluator import Evaluator

    evaluator = Evaluator(dict(type="DerainMetric", _scope_="rdmc"))
    samples = [{"pred_img": _to_tensor(n), "gt_img": _to_tensor(c)} for c, n in pairs]
    evaluator.process(samples[:2])
    evaluator.process(samples[2:])
    result = evaluator.evaluate(len(samples))
    assert result["derain/psnr"] == pytest.approx(np.mean([psnr(n, c) for c, n in pairs]), abs=1e-4)
    assert result["derain/ssim"] == pytest.approx(np.mean([ssim(n, c) for c, n in pairs]), abs=1e-5)


def test_mmengine_metric_reports_each_rain_apart(pairs):
    """Validation on heavy and light rain together also reports each preset's mean."""
    from mmengine.evaluator import Evaluator

    evaluator = Evaluator(dict(type="DerainMetric", _scope_="rdmc"))
    rains = ["heavy", "light", "heavy", "light"][: len(pairs)]
    samples = [{"pred_img": _to_tensor(n), "gt_img": _to_tensor(c), "rain": r}
               for (c, n), r in zip(pairs, rains, strict=True)]  # fmt: skip
    evaluator.process(samples)
    result = evaluator.evaluate(len(samples))
    for rain in ("heavy", "light"):
        own = [psnr(n, c) for (c, n), r in zip(pairs, rains, strict=True) if r == rain]
        assert result[f"derain/psnr_{rain}"] == pytest.approx(np.mean(own), abs=1e-4)
    assert result["derain/psnr"] == pytest.approx(np.mean([psnr(n, c) for c, n in pairs]), abs=1e-4)
