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


# ---------------------------------------------------------------- files no batch may die on


def _png_claiming(path, width: int, height: int) -> None:
    """A PNG whose header claims ``width`` x ``height`` (a decompression bomb's header)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("command", ["rain", "derain"])
def test_an_image_over_the_pixel_limit_is_named_and_the_batch_goes_on(
    tmp_path, two_folders, capsys, command
):
    a, _ = two_folders
    _png_claiming(a / "bomb.png", 100_000, 100_000)
    extra = ["--model", "identity"] if command == "derain" else []
    assert main([command, str(a), "-o", str(tmp_path / "out"), *extra]) == 1
    err = capsys.readouterr().err
    assert f"{a / 'bomb.png'}: 100000x100000 pixels (10000 MP) is over the limit of 100 MP" in err
    assert read_image(tmp_path / "out" / "x.png").shape[:2] == (64, 64)
    assert (
        main(
            [
                command,
                str(a / "x.png"),
                "-o",
                str(tmp_path / "small"),
                "--max-pixels",
                "1000",
                *extra,
            ]
        )
        == 1
    )
    assert "64x64 pixels (0 MP) is over the limit of 0.001 MP" in capsys.readouterr().err


def test_eval_names_an_image_over_the_limit_and_scores_the_rest(tmp_path, two_folders, capsys):
    a, _ = two_folders
    gt = tmp_path / "gt"
    write_image(gt / "x.png", read_image(a / "x.png"))
    _png_claiming(a / "y.png", 30_000, 30_000)
    _png_claiming(gt / "y.png", 30_000, 30_000)
    main(["eval", str(a), str(gt)])
    captured = capsys.readouterr()
    assert "y.png: 30000x30000 pixels (900 MP) is over the limit" in captured.err
    assert "x.png" in captured.out


def test_a_file_name_that_is_not_utf8_is_named_and_skipped(tmp_path, two_folders, capsys):
    import os

    a, _ = two_folders
    bad = os.fsdecode(b"\xff\xfe.png")
    (a / bad).write_bytes((a / "x.png").read_bytes())
    assert main(["rain", str(a), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "\\xff\\xfe.png: the file name is not valid UTF-8" in err
    assert (tmp_path / "out" / "x.png").is_file()


def test_files_without_an_image_extension_are_noted(tmp_path, two_folders, capsys):
    a, _ = two_folders
    (a / "notes.txt").write_text("not a photo")
    assert main(["rain", str(a), "-o", str(tmp_path / "out")]) == 0
    assert "1 file(s) without an image extension" in capsys.readouterr().err


def test_report_never_replaces_its_input_or_an_existing_file(tmp_path, capsys):
    results = tmp_path / "run" / "results.json"
    results.parent.mkdir()
    results.write_text('{"meta": {"dataset": {"name": "x"}}, "records": []}')
    before = results.read_bytes()
    assert main(["report", str(results.parent), "-o", str(results)]) == 1
    _one_line_error(capsys, "is one of the results files read")
    other = tmp_path / "report.html"
    other.write_text("mine")
    assert main(["report", str(results), "-o", str(other)]) == 1
    _one_line_error(capsys, f"{other} exists; pass --overwrite")
    assert results.read_bytes() == before and other.read_text() == "mine"
    assert main(["report", str(results), "-o", str(other), "--overwrite"]) == 0
