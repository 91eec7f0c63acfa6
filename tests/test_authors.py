"""The authors' released checkpoints load as `rdmc`: every one of their 337 tensors (names and
shapes as their UNet registers them, tests/data/drnet_unet_state_keys.txt) has its place."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rdmc.authors import from_authors_state_dict, our_name
from rdmc.models.rdmc import build_rdmc
from rdmc.zoo import ZooError, load_derainer

KEYS = Path(__file__).parent / "data" / "drnet_unet_state_keys.txt"


def authors_state(seed: int = 0) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    state = {}
    for line in KEYS.read_text().splitlines():
        if line.startswith("#"):
            continue
        name, _, shape = line.partition(" ")
        dims = [int(d) for d in shape.split(",")] if shape else []
        state[name] = torch.randint(0, 5, dims) if name.endswith("num_batches_tracked") else (
            torch.rand(dims) * 0.1 + (1.0 if name.endswith("running_var") else 0.0))  # fmt: skip
    return state


def test_their_tensors_map_one_to_one_onto_ours():
    theirs = authors_state()
    assert len(theirs) == 337
    ours = build_rdmc("rdmc").state_dict()
    mapped = {our_name(k): v.shape for k, v in theirs.items()}
    assert len(mapped) == 337  # no two of theirs land on one of ours
    assert all(ours[k].shape == shape for k, shape in mapped.items())
    # What their file lacks is exactly what their release loses: architecture parameters.
    assert set(ours) - set(mapped) == {"net.upsample.logits", "net.recruit.alphas",
                                       "net.recruit.mask"}  # fmt: skip


def test_their_checkpoint_file_derains_by_path(tmp_path):
    theirs = authors_state()
    path = tmp_path / "net_latest.pth"
    torch.save({f"module.{k}": v for k, v in theirs.items()}, path)  # saved under DataParallel
    derainer = load_derainer(path, tile=None)
    net = derainer.net
    assert torch.equal(net.net.decoder[3][0].weight, theirs["up1.conv.conv.0.weight"])
    assert torch.equal(net.recruitment.paths["enc3_dec4"][1].weight,
                       theirs["skip_down_3_4.op.0.1.weight"])  # fmt: skip
    assert not net.recruitment.mask.any()  # their released default
    assert derainer.meta["source"].startswith("the authors'")
    x = torch.rand(1, 3, 32, 48)
    with torch.no_grad():
        assert net(x)[-1].shape == x.shape


def test_a_mask_switches_their_paths_on():
    net = from_authors_state_dict(authors_state(), mask=[1, 0, 0, 0, 0, 0, 0, 1])
    assert net.recruitment.active() == [0, 7]


def test_a_truncated_state_dict_is_one_line(tmp_path):
    theirs = authors_state()
    theirs["up1.conv.conv.0.weight"] = torch.zeros(3, 3, 3, 3)
    path = tmp_path / "bad.pth"
    torch.save(theirs, path)
    with pytest.raises(ZooError, match=r"bad.pth: not the authors' UNet at paper size"):
        load_derainer(path)
