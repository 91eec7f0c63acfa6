"""Batch commands never overwrite silently: colliding output names are refused up front,
replacing existing files (the inputs among them) needs --overwrite, and one failed write
does not stop the rest of the batch."""

from __future__ import annotations

import numpy as np
import pytest

from rdmc.cli import main
from rdmc.imageio import read_image, write_image


@pytest.fixture
def two_folders(tmp_path, photos):
    a, b = tmp_path / "a", tmp_path / "b"
    write_image(a / "x.png", photos["astronaut"][:64, :64])
    write_image(b / "x.png", photos["coffee"][:64, :64])
    return a, b


def _one_line_error(capsys, *needles: str) -> None:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and all(n in err for n in needles), err


def test_rain_refuses_two_inputs_with_one_output_name(tmp_path, two_folders, capsys):
    a, b = two_folders
    out = tmp_path / "out"
    assert main(["rain", str(a / "x.png"), str(b / "x.png"), "-o", str(out)]) == 1
    _one_line_error(capsys, "would both be written to", "x.png")
    assert not out.exists()


def test_derain_refuses_colliding_names(tmp_path, two_folders, capsys):
    a, b = two_folders
    assert main(["derain", str(a), str(b), "-o", str(tmp_path / "out"), "--model", "identity"]) == 1
    _one_line_error(capsys, "would both be written to")
    assert not (tmp_path / "out").exists()


def test_segment_refuses_two_images_with_one_stem(tmp_path, photos, capsys):
    write_image(tmp_path / "big.png", photos["astronaut"][:64, :64])
    write_image(tmp_path / "big.jpg", photos["coffee"][:64, :64])
    argv = ["segment", str(tmp_path / "big.png"), str(tmp_path / "big.jpg"), "-o",
            str(tmp_path / "masks")]  # fmt: skip
    assert main(argv) == 1
    _one_line_error(capsys, "would both be written to", "big.png")
    assert not (tmp_path / "masks").exists()


def test_derain_into_its_input_folder_needs_overwrite(two_folders, capsys):
    a, _ = two_folders
    original = (a / "x.png").read_bytes()
    assert main(["derain", str(a), "-o", str(a), "--model", "identity"]) == 1
    _one_line_error(capsys, "is an input file", "--overwrite")
    assert (a / "x.png").read_bytes() == original
    assert main(["derain", str(a), "-o", str(a), "--model", "identity", "--overwrite"]) == 0


def test_rerun_into_the_same_output_needs_overwrite(tmp_path, two_folders, capsys):
    a, _ = two_folders
    out = tmp_path / "out"
    assert main(["rain", str(a), "-o", str(out)]) == 0
    assert main(["rain", str(a), "-o", str(out), "--preset", "heavy"]) == 1
    _one_line_error(capsys, "exists", "--overwrite")
    assert main(["rain", str(a), "-o", str(out), "--preset", "heavy", "--overwrite"]) == 0


def test_one_failed_write_does_not_stop_the_batch(tmp_path, photos, capsys):
    src = tmp_path / "src"
    write_image(src / "a.png", photos["astronaut"][:64, :64])
    write_image(src / "b.png", photos["coffee"][:64, :64])
    out = tmp_path / "out"
    (out / "a.png").mkdir(parents=True)  # a folder where the file must go: its write fails
    assert main(["derain", str(src), "-o", str(out), "--model", "identity", "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert "a.png: could not write" in err
    assert np.array_equal(read_image(out / "b.png"), photos["coffee"][:64, :64])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tile-overlap", "-1"], "tile overlap must be >= 0"),
        (["--tile", "64", "--tile-overlap", "32"], "must be larger than twice the overlap"),
        (["--tile", "-5"], "tile size must be a positive"),
    ],
)
def test_derain_tiling_arguments_are_checked_before_any_image(tmp_path, two_folders, capsys,
                                                              argv, message):  # fmt: skip
    a, _ = two_folders
    (a / "broken.png").write_bytes(b"junk")
    assert main(["derain", str(a), "-o", str(tmp_path / "out"), "--model", "identity", *argv]) == 1
    _one_line_error(capsys, message)
    assert not (tmp_path / "out").exists()
