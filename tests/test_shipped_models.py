"""The shipped checkpoints: checksummed, usable by name, and the default of `rdmc derain`
(rdmc-se-s) generalises to rain made by a recipe it never saw."""

from __future__ import annotations

import numpy as np
import pytest

from rdmc import load_derainer
from rdmc.cli import main
from rdmc.data.samples import sample_image
from rdmc.imageio import read_image, write_image
from rdmc.metrics import psnr
from rdmc.rain import foreign_rain
from rdmc.train import resolve_config
from rdmc.zoo import (
    CHECKPOINT_DIR,
    CHECKPOINTS,
    NON_LEARNED,
    NON_LEARNED_DESCRIPTIONS,
    checkpoint_path,
)


@pytest.mark.parametrize("name", ["rdmc-s", "rdmc-se-s", "prenet", "restormer-lite"])
def test_checkpoint_is_shipped_verified_and_derains_by_name(name, tmp_path):
    assert name in CHECKPOINTS
    assert checkpoint_path(name).stat().st_size < 10_000_000
    img = sample_image("coffee")[:80, :112]
    write_image(tmp_path / "in" / "x.png", foreign_rain(img, 0))
    assert main(["derain", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--model", name]) == 0
    out = read_image(tmp_path / "out" / "x.png")
    assert out.shape == img.shape and out.dtype == np.uint8


def test_every_shipped_checkpoint_says_how_it_was_trained():
    for name, entry in CHECKPOINTS.items():
        log = CHECKPOINT_DIR / entry.log
        assert log.is_file(), f"{name}: training log {log} missing"
        assert "Iter(train)" in log.read_text(errors="replace")
        assert resolve_config(entry.config).is_file()


@pytest.mark.parametrize("name", ["astronaut", "chelsea", "coffee"])
def test_the_default_derainer_generalises_to_unseen_rain(name):
    """rdmc-se-s is the default because it does this; rdmc-s, prenet and restormer-lite do not
    (each loses PSNR on at least one of these photos, README)."""
    derainer = load_derainer("rdmc-se-s")
    clean = sample_image(name)
    rainy = foreign_rain(clean, seed=1)
    restored = derainer(rainy)
    assert psnr(restored, clean) > psnr(rainy, clean) + 0.5


def test_derain_defaults_to_rdmc_se_s(tmp_path, capsys, monkeypatch):
    import rdmc.zoo

    used = []
    original = rdmc.zoo.load_derainer
    monkeypatch.setattr(rdmc.zoo, "load_derainer", lambda name, *a, **k: used.append(name) or
                        original(name, *a, **k))  # fmt: skip
    img = sample_image("coffee")[:96, :128]
    write_image(tmp_path / "in" / "x.png", foreign_rain(img, 0))
    assert main(["derain", str(tmp_path / "in"), "-o", str(tmp_path / "out")]) == 0
    assert read_image(tmp_path / "out" / "x.png").shape == img.shape
    assert used == ["rdmc-se-s"]


def test_models_lists_architectures_and_shipped_checkpoints(capsys):
    assert main(["models", "--no-flops"]) == 0
    out = capsys.readouterr().out
    for name in [
        "rdmc",
        "rdmc-s",
        "rdmc-se-s",
        "prenet",
        "restormer-lite",
        "identity",
        "guided-filter",
    ]:
        assert f"\n{name} " in out
    for entry in CHECKPOINTS.values():
        assert entry.sha256[:16] in out and f"rdmc train {entry.config}" in out
        assert f"id {entry.name}@{entry.sha256[:7]}: " in out
    assert set(NON_LEARNED_DESCRIPTIONS) == set(NON_LEARNED)
    # Which recruitment each architecture and the shipped rdmc-s use (and its mask).
    rows = {}  # the architecture table comes first, then the checkpoints with the same names
    for line in out.splitlines():
        if line and line[0] != " ":
            rows.setdefault(line.split()[0], line)
    assert " searched " in rows["rdmc"] and " dynamic " in rows["rdmc-s"]
    assert "recruitment: dynamic (all of the 8 paths on)" in out
