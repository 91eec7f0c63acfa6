"""reports/studies/error-bands/error_bands.py splits a derainer's error into a low and a high band."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import study_module

error_bands = study_module("error-bands", "error_bands")

CLEAN = np.full((96, 96, 3), 100, np.uint8)


def test_a_veil_is_low_band_error():
    veiled = CLEAN + np.uint8(20)  # a uniform brightening, as rain accumulation adds
    errors = error_bands.band_errors(veiled, CLEAN)
    assert errors["high"] == pytest.approx(0, abs=1e-9)
    assert errors["low"] == pytest.approx(errors["all"])


def test_a_global_fit_removes_a_veil_but_not_streaks():
    rng = np.random.default_rng(0)
    clean = rng.integers(40, 200, (96, 96, 3)).astype(np.uint8)
    veiled = (0.6 * clean + 0.4 * 230).round().astype(np.uint8)  # O = alpha B + (1 - alpha) A
    left_of_veil = error_bands.band_errors(veiled, clean)["global_fit"]
    assert left_of_veil < 0.5  # rounding only
    streaks = clean.copy()
    streaks[:, ::6] = 255
    assert error_bands.band_errors(streaks, clean)["global_fit"] > 100 * left_of_veil


def test_streaks_are_high_band_error():
    streaks = CLEAN.copy()
    streaks[:, ::2] += np.uint8(30)  # one-pixel lines, brighter and darker in turn
    streaks[:, 1::2] -= np.uint8(30)
    errors = error_bands.band_errors(streaks, CLEAN)
    assert errors["low"] < 1e-3 * errors["all"]  # a trace from the mirrored image border
    assert errors["high"] == pytest.approx(errors["all"], rel=1e-3)


def test_an_unknown_derainer_is_a_one_line_error_before_any_work(tmp_path, monkeypatch, capsys):
    out = tmp_path / "bands.json"
    monkeypatch.setattr(sys, "argv", ["error_bands.py", str(out), "no-such-derainer"])
    assert error_bands.main() == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no-such-derainer: neither a zoo model") and "\n" not in err
    assert not out.exists()
