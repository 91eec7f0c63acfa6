"""The authors' recruitment search: held-out split, two optimizers, the mask it keeps, and
`rdmc train rdmc-rain100h` on a user's folder."""

from __future__ import annotations

import pytest
import torch
from mmengine.optim import OptimWrapperDict

from rdmc.imageio import write_image
from rdmc.models.derain_model import DerainModel
from rdmc.registry import build_model
from rdmc.search import ArchitectureSearchOptimConstructor, SearchSplitDataset
from rdmc.train import train

TINY = dict(type="RDMC", widths=(4, 4, 4, 4, 4), dilations=(1, 2), stages=2,
            recruitment="searched")  # fmt: skip
OPTIMIZERS = dict(
    weights=dict(type="OptimWrapper", optimizer=dict(type="Adam", lr=1e-3)),
    architecture=dict(type="OptimWrapper",
                      optimizer=dict(type="Adam", lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)),
)  # fmt: skip


class Items(torch.utils.data.Dataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict:
        return {
            "rainy": torch.full((3, 4, 4), i / 10),
            "clean": torch.zeros(3, 4, 4),
            "name": str(i),
        }


def test_split_holds_out_the_second_half():
    split = SearchSplitDataset(Items(10))
    assert len(split) == 5
    item = split[3]
    assert item["rainy"][0, 0, 0] == pytest.approx(0.3)  # weights: item 3 of the first half
    assert item["search_rainy"][0, 0, 0] == pytest.approx(0.8)  # architecture: item 5 + 3
    assert SearchSplitDataset(Items(7), train_portion=0.5)[2]["search_rainy"][0, 0, 0] == \
        pytest.approx(0.5)  # fmt: skip
    with pytest.raises(ValueError, match="too few items"):
        SearchSplitDataset(Items(1))


def _model_and_optimizers():
    torch.manual_seed(0)
    model = DerainModel(arch=TINY, loss=dict(type="DerainLoss", contrastive=None))
    return model, ArchitectureSearchOptimConstructor(OPTIMIZERS)(model)


def _batch() -> dict:
    torch.manual_seed(1)
    clean = torch.rand(2, 3, 32, 32)
    return {"rainy": (clean + 0.3).clamp(0, 1), "clean": clean,
            "search_rainy": torch.rand(2, 3, 32, 32), "search_clean": torch.rand(2, 3, 32, 32)}  # fmt: skip


def test_two_optimizers_over_disjoint_parameters():
    model, wrappers = _model_and_optimizers()
    assert isinstance(wrappers, OptimWrapperDict) and set(wrappers.keys()) == {
        "weights",
        "architecture",
    }
    arch = wrappers["architecture"].optimizer
    assert arch.defaults["lr"] == 3e-4 and arch.defaults["betas"] == (0.5, 0.999)
    assert arch.defaults["weight_decay"] == 1e-3
    ids = {name: {id(p) for g in w.optimizer.param_groups for p in g["params"]}
           for name, w in wrappers.items()}  # fmt: skip
    assert ids["architecture"] == {id(p) for p in model.arch.architecture_parameters()}
    assert not ids["architecture"] & ids["weights"]
    assert ids["weights"] | ids["architecture"] == {id(p) for p in model.parameters()}


def test_search_steps_the_architecture_then_stops_after_selection():
    model, wrappers = _model_and_optimizers()
    alphas = model.arch.recruitment.alphas
    model.arch.recruitment.searching = True
    before = alphas.detach().clone()
    log = model.train_step(_batch(), wrappers)
    assert {"loss", "arch_loss"} <= set(log)
    assert not torch.equal(alphas.detach(), before)  # every path was on and got a gradient
    kept = model.arch.select_paths(keep_down=1, keep_up=1)
    assert len(kept) == 2 and model.arch.recruitment.mask.sum() == 2
    searched = alphas.detach().clone()
    head = model.arch.net.head.weight.detach().clone()
    log = model.train_step(_batch(), wrappers)
    assert "arch_loss" not in log
    assert torch.equal(alphas.detach(), searched)
    assert not torch.equal(model.arch.net.head.weight.detach(), head)


def _pairs(root, photos, names):
    for i, name in enumerate(names):
        clean = photos[name][:48, :64]
        write_image(root / "input" / f"{i}.png", (clean * 0.6 + 90).astype("uint8"))
        write_image(root / "target" / f"{i}.png", clean)
    return root


def test_the_authors_protocol_trains_on_a_users_folder(tmp_path, photos):
    data = _pairs(tmp_path / "train", photos, ["coffee", "chelsea", "astronaut"])
    val = _pairs(tmp_path / "val", photos, ["coffee"])
    work = train(
        "rdmc-rain100h", tmp_path / "work", data_root=str(data), val_root=str(val),
        **{"model.arch.widths": (4, 4, 4, 4, 4), "model.arch.dilations": (1, 2),
           "model.loss.contrastive": None, "train_dataloader.batch_size": 2,
           "train_dataloader.num_workers": 0, "train_dataloader.persistent_workers": False,
           "train_dataloader.dataset.dataset.patch_size": 32,
           "train_dataloader.dataset.dataset.patch_stride": 16,
           "train_cfg.max_epochs": 2, "train_cfg.val_interval": 2,
           "custom_hooks.0.search_epochs": 1},
    )  # fmt: skip
    last = torch.load(work / "last.pth", map_location="cpu", weights_only=True)
    assert last["meta"]["arch"]["recruitment"] == "searched"
    mask = last["state_dict"]["net.recruit.mask"]
    assert mask[:4].sum() == 2 and mask[4:].sum() == 2  # 2 "down" and 2 "up" paths kept
    log = next(work.glob("*/*.log")).read_text()
    assert "recruitment search done: kept" in log and "arch_loss" in log
    net = build_model(dict(last["meta"]["arch"]))
    net.load_state_dict(last["state_dict"])
    assert net.recruitment.active() == [i for i, on in enumerate(mask.tolist()) if on]


def test_a_search_longer_than_the_run_is_refused(tmp_path, photos):
    data = _pairs(tmp_path / "train", photos, ["coffee", "chelsea"])
    with pytest.raises(ValueError, match="must end within the run's 2 epochs, not at 30"):
        train("rdmc-rain100h", tmp_path / "work", data_root=str(data), val_root=str(data),
              **{"model.arch.widths": (4, 4, 4, 4, 4), "model.loss.contrastive": None,
                 "train_dataloader.num_workers": 0, "train_dataloader.persistent_workers": False,
                 "train_dataloader.dataset.dataset.patch_size": 32,
                 "train_dataloader.dataset.dataset.patch_stride": 16,
                 "train_cfg.max_epochs": 2})  # fmt: skip


def test_the_protocol_names_the_folders_it_needs(tmp_path):
    with pytest.raises(ValueError, match="needs --cfg-options data_root=... val_root=..."):
        train("rdmc-rain100h", tmp_path / "work")
