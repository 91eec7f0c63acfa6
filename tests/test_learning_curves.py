"""reports/studies/learning-curves/learning_curves.py reads validation curves back from mmengine's logs."""

from __future__ import annotations

from pathlib import Path

from conftest import study_module

ROOT = Path(__file__).resolve().parents[1]
learning_curves = study_module("learning-curves", "learning_curves")

CHECKPOINTS = ROOT / "rdmc" / "checkpoints"


def test_a_run_resumed_midway_keeps_its_iterations():
    # the shipped rdmc-s log is two pieces: iterations 1-1125, then a resume to 1500
    curve = learning_curves.validations(CHECKPOINTS / "rdmc_s.train.log")
    assert sorted(curve) == [375, 750, 1125, 1500]
    assert {"derain/psnr", "derain/psnr_heavy", "derain/psnr_light"} <= set(curve[1500])


def test_seeds_are_averaged(tmp_path):
    def log(name: str, psnrs: list[float]) -> Path:
        lines = ["train_cfg = dict(max_iters=20, val_interval=10)"]
        for step, psnr in zip((10, 20), psnrs, strict=True):
            lines += [f"Iter(train) [{step - 1}/20]  lr: 1e-3  loss: 0.5",
                      f"Iter(val) [2/2]    derain/psnr: {psnr}  derain/ssim: 0.9"]  # fmt: skip
        path = tmp_path / f"{name}.log"
        path.write_text("\n".join(lines))
        return path

    table = learning_curves.curves_table([log("net-seed0", [20, 24]), log("net-seed1", [22, 25])],
                                         "derain/psnr")  # fmt: skip
    assert table.splitlines()[0] == "| run | it 10 | it 20 |"
    assert "| net, mean of 2 seeds | 21.00 | 24.50 |" in table


def test_a_log_without_validation_is_a_clear_error(tmp_path, capsys):
    empty = tmp_path / "run.log"
    empty.write_text("Iter(train) [10/20]  loss: 0.5\n")
    assert learning_curves.main([str(empty)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {empty}: no validation in this log"
