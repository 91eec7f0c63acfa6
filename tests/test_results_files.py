"""The results files behind README's Results section: readable by the reports, complete, and
consistent with the checkpoints the zoo ships (the numbers are measured, not typed in)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rdmc import load_derainer
from rdmc.data.datasets import to_rgb_uint8
from rdmc.data.samples import sample_split
from rdmc.imageio import read_image
from rdmc.metrics import psnr
from rdmc.rain import add_rain, seed_for
from rdmc.zoo import CHECKPOINTS, checkpoint_path
from reports.tables import load_results, render_tables, scoreboard_table

RESULTS = Path(__file__).parents[1] / "reports" / "results"


RESULT_FILES = ["equal_budget", "ablations", "shipped", "retrain_test", "retrain1500_val",
                "retrain1500_test", "retrain_light_val", "retrain_light_test"]  # fmt: skip


@pytest.mark.parametrize("name", RESULT_FILES)
def test_results_file_has_every_row_and_renders(name):
    data = load_results(RESULTS / f"{name}.json")
    table = scoreboard_table(data)
    assert table.rows[0][0] == "rainy"
    gflops = table.columns.index("GFLOPs@256")
    for row, values in table.rows[1:]:
        # only a weight-free derainer may lack a FLOP count (mmengine counts none of its ops)
        assert all(v is not None for j, v in enumerate(values) if j != gflops), row
        assert values[gflops] is not None or row == "guided-filter", row
    assert render_tables(RESULTS / f"{name}.json") == (RESULTS / f"{name}.md").read_text()


@pytest.mark.parametrize(
    "results, label, zoo_name",
    [("shipped", "rdmc-s", "rdmc-s"), ("shipped", "prenet", "prenet"),
     ("equal_budget", "rdmc-s (1500 it)", "rdmc-se-s")],
)  # fmt: skip
def test_shipped_checkpoint_reproduces_its_row(results, label, zoo_name):
    """rdmc-se-s holds the former rdmc-s's weights under a new name: its meta names the file
    the row was made with."""
    data = load_results(RESULTS / f"{results}.json")
    info = data["meta"]["derainers"][label]
    saved = torch.load(checkpoint_path(zoo_name), map_location="cpu", weights_only=True)["meta"]
    made_with = saved.get("former_sha256", CHECKPOINTS[zoo_name].sha256)
    assert info["fingerprint"].endswith(made_with)
    (record,) = [r for r in data["records"] if (r["condition"], r["rain"], r["metric"])
                 == (label, "light/s3", "PSNR")]  # fmt: skip
    name = data["meta"]["dataset"]["images"][0]
    clean = to_rgb_uint8(read_image(sample_split("test") / name))
    rainy = add_rain(clean, "light", 3, seed_for(name, data["meta"]["seed"])).rainy
    restored = load_derainer(zoo_name)(rainy)
    # a few pixels may round the other way under another thread count: 0.01 dB, not exact
    assert psnr(restored, clean) == pytest.approx(record["per_image"][0], abs=0.01)
