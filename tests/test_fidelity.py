"""Every inference path of every shipped model is measured against torch fp32 on the embedded
test split, and a path beyond 0.05 dB is refused for that model in one line."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from rdmc.cli import main
from rdmc.data.samples import sample_image
from rdmc.fidelity import FIDELITY_DB, MEASURED, PATHS, PathRefused, check_path
from rdmc.imageio import write_image
from rdmc.zoo import CHECKPOINTS, load_derainer


def test_every_path_of_every_shipped_checkpoint_is_measured():
    """A retrained checkpoint (new SHA-256) or a new path needs `python -m rdmc.fidelity`."""
    for name, entry in CHECKPOINTS.items():
        assert entry.sha256 in MEASURED, f"{name}: its weights have no fidelity measurement"
        assert set(MEASURED[entry.sha256]) == set(PATHS), name
    assert set(MEASURED) == {entry.sha256 for entry in CHECKPOINTS.values()}


def test_a_path_is_refused_exactly_when_beyond_the_bar():
    for name, entry in CHECKPOINTS.items():
        for path, change in MEASURED[entry.sha256].items():
            if change is not None and abs(change) <= FIDELITY_DB:
                check_path(name, entry.sha256, path)
            else:
                with pytest.raises(
                    PathRefused, match=re.escape(f"{name}: the {path} path is refused")
                ):
                    check_path(name, entry.sha256, path)
    check_path("mine", "0" * 64, "openvino-bf16")  # unmeasured weights: auto probes them


def test_the_cli_refuses_a_path_in_one_line_and_auto_steps_down(tmp_path, capsys, monkeypatch):
    """With rdmc-s's bf16 path measured beyond the bar (whatever the table says today)."""
    name, path, sha = "rdmc-s", "bf16+channels-last", CHECKPOINTS["rdmc-s"].sha256
    monkeypatch.setitem(MEASURED, sha, {**MEASURED[sha], path: -0.1})
    write_image(tmp_path / "in" / "a.png", sample_image("coffee")[:64, :64])
    argv = ["derain", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--model", name]
    assert main([*argv, "--precision", "bf16"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{name}: the {path} path is refused" in err, err
    assert not (tmp_path / "out" / "a.png").exists()

    monkeypatch.setattr("rdmc.inference.cpu_has_bf16", lambda: True)
    assert main([*argv, "--precision", "auto"]) == 0
    captured = capsys.readouterr()
    assert f"precision auto: fp32 for {name}" in captured.err
    assert (tmp_path / "out" / "a.png").is_file()


def test_a_faithful_path_still_loads():
    faithful = [
        (name, path)
        for name, entry in CHECKPOINTS.items()
        for path, change in MEASURED[entry.sha256].items()
        if path == "bf16+channels-last" and change is not None and abs(change) <= FIDELITY_DB
    ]
    name, path = faithful[0]
    assert load_derainer(name, precision="bf16").precision == path


@pytest.mark.slow
def test_the_table_matches_a_fresh_measurement():
    """Every verdict of MEASURED holds when measured again on this machine (in a process of
    its own: OpenVINO and the compile workers' fork do not mix). On another CPU kind a
    path near the bar may flip: measure there and say so."""
    run = subprocess.run(
        [sys.executable, "-m", "rdmc.fidelity"], capture_output=True, text=True, timeout=3600
    )
    assert run.returncode == 0, run.stderr[-2000:]
    fresh = json.loads(run.stdout)
    for sha, paths in MEASURED.items():
        for path, change in paths.items():
            again = fresh[sha][path]
            faithful = change is not None and abs(change) <= FIDELITY_DB
            assert faithful == (again is not None and abs(again) <= FIDELITY_DB), (sha, path)
            if change is not None and again is not None:
                assert again == pytest.approx(change, abs=0.02), (sha, path)
