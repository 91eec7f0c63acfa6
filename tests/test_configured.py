"""A derainer of the user's own code: registered by its config's custom_imports, built from
the config, weights from a checkpoint; in `rdmc bench` ({name, config, checkpoint}) and
`rdmc scoreboard` (LABEL=config:CONFIG:CHECKPOINT)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from downstream.bench import BenchError, load_suite, run_bench
from rdmc.cli import main
from rdmc.zoo import derainer_fingerprint, load_derainer

NETWORK = '''
import torch
from torch import nn

from rdmc.registry import MODELS


@MODELS.register_module()
class {name}(nn.Module):
    """Scales the rainy image by one learned number."""

    def __init__(self, gain: float = 1.0) -> None:
        super().__init__()
        self.gain = nn.Parameter(torch.tensor(gain))

    def forward(self, rainy: torch.Tensor) -> torch.Tensor:
        return rainy * self.gain
'''


def user_code(folder: Path, module: str, gain: float) -> tuple[Path, Path]:
    """A module registering ``<Module>Net``, a config importing it, a checkpoint of it."""
    cls = module.title().replace("_", "") + "Net"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(NETWORK.format(name=cls))
    config = folder / "my_config.py"
    config.write_text(f"custom_imports = dict(imports=['{module}'], allow_failed_imports=False)\n"
                      f"model = dict(type='DerainModel', arch=dict(type='{cls}'))\n")  # fmt: skip
    checkpoint = folder / "best.pth"
    torch.save({"meta": {"iter": 7}, "state_dict": {"gain": torch.tensor(gain)}}, checkpoint)
    return config, checkpoint


def test_a_configured_derainer_runs_the_users_network_with_its_weights(tmp_path):
    config, checkpoint = user_code(tmp_path / "mine", "dimmer_a", 0.5)
    spec = f"config:{config}:{checkpoint}"
    derainer = load_derainer(spec)
    rainy = np.full((40, 48, 3), 200, np.uint8)
    assert np.all(derainer(rainy) == 100)
    assert derainer.meta["iter"] == 7 and derainer.meta["arch"]["type"] == "DimmerANet"
    first = derainer_fingerprint(spec)
    torch.save({"gain": torch.tensor(0.25)}, checkpoint)  # a plain state dict also loads
    assert np.all(load_derainer(spec)(rainy) == 50) and derainer_fingerprint(spec) != first
    code = derainer_fingerprint(spec)
    source = tmp_path / "mine" / "dimmer_a.py"
    source.write_text(NETWORK.format(name="DimmerANet") + "\n# a comment computes nothing\n")
    assert derainer_fingerprint(spec) == code
    source.write_text(NETWORK.format(name="DimmerANet") + "\nVERSION = 2\n")
    assert derainer_fingerprint(spec) != code  # the user's code is part of the fingerprint


def test_a_configured_derainer_in_a_suite_and_on_the_scoreboard(tmp_path, photos):
    from rdmc.imageio import write_image

    config, checkpoint = user_code(tmp_path / "mine", "dimmer_b", 1.0)  # gain 1: identity
    write_image(tmp_path / "images" / "a.png", photos["coffee"][:96, :128])
    suite = {"name": "mine", "dataset": {"type": "folder", "root": str(tmp_path / "images")},
             "rain": [{"preset": "heavy", "severities": [3]}],
             "derainers": ["identity", {"name": "mine", "config": str(config),
                                        "checkpoint": str(checkpoint)}]}  # fmt: skip
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(suite))
    records = json.loads(run_bench(tmp_path / "suite.yaml", tmp_path / "out", progress=False,
                                   cache_dir=tmp_path / "c").read_text())["records"]  # fmt: skip
    psnr = {r["condition"]: r["value"] for r in records if r["metric"] == "PSNR"}
    assert psnr["mine"] == pytest.approx(psnr["identity"])  # gain 1 leaves the rain as it is

    assert main(["scoreboard", f"mine=config:{config}:{checkpoint}", "identity", "--split", "val",
                 "--rain", "heavy/s3", "--out", str(tmp_path / "board.json")]) == 0  # fmt: skip
    board = json.loads((tmp_path / "board.json").read_text())
    rows = {r["condition"]: r["value"] for r in board["records"] if r["metric"] == "PSNR"}
    assert rows["mine"] == pytest.approx(rows["identity"])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "m", "config": "c.py"}, "derainers[0]: missing key 'checkpoint'"),
        ({"name": "m", "config": "c.py", "checkpoint": "b.pth", "x": 1},
         "derainers[0]: unknown key 'x' (allowed: name, config, checkpoint)"),
    ],
)  # fmt: skip
def test_configured_entries_are_checked(tmp_path, entry, message):
    suite = {"dataset": {"type": "samples"}, "rain": [{"preset": "heavy", "severities": [3]}],
             "derainers": [entry]}  # fmt: skip
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite))
    with pytest.raises(BenchError, match=re.escape(message)):
        load_suite(tmp_path / "s.yaml")


def test_a_missing_or_broken_config_is_one_line(tmp_path, capsys):
    config, checkpoint = user_code(tmp_path / "mine", "dimmer_c", 1.0)
    (tmp_path / "images").mkdir()
    missing = f"config:{tmp_path / 'nope.py'}:{checkpoint}"
    with pytest.raises(ValueError, match="nope.py: derainer config file does not exist"):
        load_derainer(missing)
    config.write_text("model = dict(type='NoSuchNet')\n")
    with pytest.raises(ValueError, match="cannot build 'NoSuchNet'"):
        load_derainer(f"config:{config}:{checkpoint}")


def test_the_fingerprint_covers_the_users_imports_and_base_configs(tmp_path):
    """What the custom-imported module imports in turn, and a base config the config
    inherits, are part of the derainer's fingerprint (so of every cache key behind it)."""
    folder = tmp_path / "mine"
    config, checkpoint = user_code(folder, "dimmer_c", 0.5)
    helper = folder / "dimmer_c_helper.py"
    helper.write_text("FACTOR = 1\n")
    module = folder / "dimmer_c.py"
    module.write_text("import dimmer_c_helper  # noqa: F401\n" + module.read_text())
    (folder / "base.py").write_text("model = dict(type='DerainModel', arch=dict(gain=1.0))\n")
    config.write_text("_base_ = ['base.py']\n" + config.read_text())
    spec = f"config:{config}:{checkpoint}"
    first = derainer_fingerprint(spec)
    assert derainer_fingerprint(spec) == first
    helper.write_text("FACTOR = 2\n")
    second = derainer_fingerprint(spec)
    assert second != first
    (folder / "base.py").write_text("model = dict(type='DerainModel', arch=dict(gain=2.0))\n")
    assert derainer_fingerprint(spec) != second
