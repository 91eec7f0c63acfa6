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

REPORTS = Path(__file__).parents[1] / "reports"
# Each results file with the folder that keeps it: the shipped scoreboard beside the reports,
# a study's files in its own folder.
FOLDERS = {
    "shipped": REPORTS / "results",
    "equal_budget": REPORTS / "studies" / "equal-budget" / "results",
    "ablations": REPORTS / "studies" / "equal-budget" / "results",
    **dict.fromkeys(
        ["retrain_test", "retrain1500_val", "retrain1500_test", "retrain_light_val",
         "retrain_light_test"],
        REPORTS / "studies" / "retrain" / "results",
    ),
}  # fmt: skip
RESULT_FILES = list(FOLDERS)


def results_file(name: str, suffix: str = ".json") -> Path:
    return FOLDERS[name] / f"{name}{suffix}"


@pytest.mark.parametrize("name", RESULT_FILES)
def test_results_file_has_every_row_and_renders(name):
    data = load_results(results_file(name))
    table = scoreboard_table(data)
    assert table.rows[0][0] == "rainy"
    gflops = table.columns.index("GFLOPs@256")
    for row, values in table.rows[1:]:
        # only a weight-free derainer may lack a FLOP count (mmengine counts none of its ops)
        assert all(v is not None for j, v in enumerate(values) if j != gflops), row
        assert values[gflops] is not None or row == "guided-filter", row
    assert render_tables(results_file(name)) == (results_file(name, ".md")).read_text()


@pytest.mark.parametrize(
    "results, label, zoo_name",
    [("shipped", "rdmc-s", "rdmc-s"), ("shipped", "prenet", "prenet"),
     ("equal_budget", "rdmc-se-s (1500 it)", "rdmc-se-s")],
)  # fmt: skip
def test_shipped_checkpoint_reproduces_its_row(results, label, zoo_name):
    """rdmc-se-s holds the former rdmc-s's weights under a new name: its meta names the file
    the row was made with."""
    data = load_results(results_file(results))
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


def _recipe(model_id: str, results: str) -> str:
    """The config that trains a row: the zoo's for a shipped checkpoint, else the study's
    configs: retrain/ for the retraining files, the frozen RDMC-SE configs for the rows
    trained before rdmc-s became the authors' network, equal-budget/ for their peers."""
    name = model_id.split("@")[0]
    if name in CHECKPOINTS and CHECKPOINTS[name].model_id == model_id:
        return CHECKPOINTS[name].config
    if results.startswith("retrain"):
        return f"retrain/{name}"
    if name.startswith("rdmc-se-s"):
        return f"retired/equal-budget-se/{name}"
    return f"equal-budget/{name}"


@pytest.mark.parametrize("name", RESULT_FILES)
def test_each_row_names_its_model_id_and_its_recipe_builds_that_network(name):
    """Every row's records carry its model id, and the config its reproduce command trains
    builds a network of exactly the row's parameter count."""
    from mmengine.config import Config

    from rdmc.registry import build_model
    from rdmc.train import resolve_config

    data = load_results(results_file(name))
    ids = data["meta"]["derainer_ids"]
    params = {r["condition"]: r["value"] for r in data["records"] if r["metric"] == "params"}
    for label, model_id in ids.items():
        assert all(
            r.get("derainer_id") == model_id for r in data["records"] if r["condition"] == label
        ), label
        if model_id == "guided-filter":
            continue
        recipe = _recipe(model_id, name)
        net = build_model(dict(Config.fromfile(resolve_config(recipe)).model.arch))
        built = sum(p.numel() for p in net.parameters()) / 1e6
        assert built == pytest.approx(params[label], abs=1e-6), (label, recipe)
