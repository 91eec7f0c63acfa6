"""The authors' recruitment search (DARTS, first order), on mmengine.

Three pieces a config puts together (see configs/rdmc_rain100h.py):

- :class:`SearchSplitDataset` holds out half of a training set: every item carries
  a weight-training sample from the first half and an architecture sample
  (``search_rainy`` / ``search_clean``) from the second, as the authors split their
  patches with ``train_portion=0.5``.
- :class:`ArchitectureSearchOptimConstructor` builds two optimizers: ``weights``
  for the network, ``architecture`` for its architecture parameters (the
  upsampling mix and one scalar per candidate path; the authors: Adam 3e-4,
  betas (0.5, 0.999), weight decay 1e-3).
- :class:`RecruitmentSearchHook` turns the search on for the first iterations or
  epochs, then keeps the strongest paths as the fixed mask (saved in every
  checkpoint written afterwards) and stops updating the architecture.

While searching, :meth:`rdmc.models.derain_model.DerainModel.train_step` first
steps the architecture on the held-out sample, then the weights on the training
sample. Differences from the released code: theirs always takes the *first*
held-out batch (a fresh iterator each step), lets the architecture step's
gradient reach the weights as well, and never turns the paths on while searching
(their mask starts all off), so only the upsampling mix is searched there.
"""

from __future__ import annotations

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from torch.utils.data import Dataset

from rdmc.registry import DATASETS, HOOKS, OPTIM_WRAPPER_CONSTRUCTORS


@DATASETS.register_module()
class SearchSplitDataset(Dataset):
    """Item i: sample i of the first half for the weights, a sample of the second half
    (``search_rainy``, ``search_clean``) for the architecture.

    Args:
        dataset: config (or instance) of the dataset to split, e.g. dense patches.
        train_portion: the share of items that train the weights (the authors': 0.5).
    """

    def __init__(self, dataset: dict | Dataset, train_portion: float = 0.5) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        if not 0 < train_portion < 1:
            raise ValueError(f"train_portion must be in (0, 1), got {train_portion}")
        self.split = int(len(self.dataset) * train_portion)
        if self.split < 1 or self.split >= len(self.dataset):
            raise ValueError(f"{self.dataset}: too few items ({len(self.dataset)}) to split")
        self.metainfo = getattr(self.dataset, "metainfo", {})

    def __len__(self) -> int:
        return self.split

    def __repr__(self) -> str:
        return f"SearchSplitDataset({self.dataset}, {self.split} for weights)"

    def __getitem__(self, index: int) -> dict:
        held_out = len(self.dataset) - self.split
        search = self.dataset[self.split + index % held_out]
        item = dict(self.dataset[index])
        item.update(search_rainy=search["rainy"], search_clean=search["clean"])
        return item


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ArchitectureSearchOptimConstructor:
    """``optim_wrapper = dict(constructor=..., weights=dict(...), architecture=dict(...))``:
    two optimizer wrappers, over ``arch.weight_parameters()`` and
    ``arch.architecture_parameters()`` of a DerainModel."""

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        missing = {"weights", "architecture"} - set(optim_wrapper_cfg)
        if missing:
            raise ValueError(f"a search's optim_wrapper needs {sorted(missing)} (see rdmc.search)")
        self.cfgs = {name: dict(optim_wrapper_cfg[name]) for name in ("weights", "architecture")}

    def __call__(self, model: torch.nn.Module) -> OptimWrapperDict:
        net = (model.module if is_model_wrapper(model) else model).arch
        groups = {"weights": net.weight_parameters(), "architecture": net.architecture_parameters()}
        wrappers = {}
        for name, cfg in self.cfgs.items():
            holder = torch.nn.Module()
            holder.params = torch.nn.ParameterList(groups[name])
            wrappers[name] = DefaultOptimWrapperConstructor(cfg)(holder)
        return OptimWrapperDict(**wrappers)


@HOOKS.register_module()
class RecruitmentSearchHook(Hook):
    """Searches the recruitment paths until ``search_iters`` iterations or ``search_epochs``
    epochs (one of them), then keeps ``keep_down`` "down" and ``keep_up`` "up" paths."""

    priority = "HIGH"

    def __init__(
        self,
        search_iters: int | None = None,
        search_epochs: int | None = None,
        keep_down: int = 2,
        keep_up: int = 2,
    ) -> None:
        if (search_iters is None) == (search_epochs is None):
            raise ValueError("give one of search_iters and search_epochs")
        self.search_iters, self.search_epochs = search_iters, search_epochs
        self.keep_down, self.keep_up = keep_down, keep_up

    @staticmethod
    def _net(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return model.arch

    def before_train(self, runner) -> None:
        recruitment = self._net(runner).recruitment
        if recruitment.mode != "searched":
            raise ValueError(
                f"RecruitmentSearchHook needs recruitment='searched', "
                f"the model has {recruitment.mode!r}"
            )
        if not isinstance(runner.optim_wrapper, OptimWrapperDict):
            raise ValueError(
                "RecruitmentSearchHook needs optim_wrapper with "
                "constructor='ArchitectureSearchOptimConstructor'"
            )
        end, total = (
            (self.search_iters, runner.max_iters)
            if self.search_iters is not None
            else (self.search_epochs, runner.max_epochs)
        )
        if not 0 < end <= total:
            unit = "iterations" if self.search_iters is not None else "epochs"
            raise ValueError(f"the search must end within the run's {total} {unit}, not at {end}")
        done = (
            runner.iter >= self.search_iters
            if self.search_iters is not None
            else runner.epoch >= self.search_epochs
        )
        recruitment.searching = not done

    def _select(self, runner) -> None:
        kept = self._net(runner).select_paths(self.keep_down, self.keep_up)
        alphas = self._net(runner).recruitment.alphas.detach().tolist()
        runner.logger.info(f"recruitment search done: kept {kept} (path scalars {alphas})")

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.search_iters is not None and runner.iter + 1 == self.search_iters:
            self._select(runner)

    def after_train_epoch(self, runner) -> None:
        if self.search_epochs is not None and runner.epoch + 1 == self.search_epochs:
            self._select(runner)
