"""Shared fixtures: real photographs that ship inside installed packages."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest


def _photo(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    return img[..., :3] if img.ndim == 3 else img


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    """Natural RGB photographs (uint8, HxWx3) from scikit-image's bundled data."""
    return {name: _photo(name) for name in ("astronaut", "coffee", "chelsea")}


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    """Every test session gets its own cache: nothing is read from or written to the user's,
    except the Debian packages the sample photos come from and the package archives that
    tests read reference data from (fetched once, shared)."""
    import os

    from rdmc.data.samples import default_cache_dir

    os.environ.setdefault("RDMC_DEB_DIR", str(default_cache_dir() / "debs"))
    os.environ.setdefault("RDMC_TEST_ARCHIVES", str(default_cache_dir() / "test-archives"))
    cache = tmp_path_factory.mktemp("rdmc-cache")
    previous = os.environ.get("RDMC_CACHE_DIR")
    os.environ["RDMC_CACHE_DIR"] = str(cache)
    yield cache
    if previous is None:
        del os.environ["RDMC_CACHE_DIR"]
    else:
        os.environ["RDMC_CACHE_DIR"] = previous


TINY_RDMC = {"type": "RDMC", "widths": [4, 4, 4, 4, 4], "dilations": [1, 2], "stages": 2}


def write_tiny_checkpoint(path):
    """Writes a checkpoint of a tiny, untrained RDMC in the format `rdmc train` writes."""
    import torch

    from rdmc.registry import build_model

    torch.manual_seed(0)
    net = build_model(dict(TINY_RDMC))
    torch.save(
        {"meta": {"arch": dict(TINY_RDMC), "name": "tiny"}, "state_dict": net.state_dict()}, path
    )
    return path


@pytest.fixture
def tiny_checkpoint(tmp_path):
    """A checkpoint file of a tiny, untrained RDMC in the format `rdmc train` writes."""
    return write_tiny_checkpoint(tmp_path / "tiny.pth")


def study_module(study: str, script: str) -> ModuleType:
    """A study's script, reports/studies/<study>/<script>.py, imported by its path (the study
    folders are not packages, and nothing is put on sys.path)."""
    path = Path(__file__).resolve().parents[1] / "reports" / "studies" / study / f"{script}.py"
    name = f"studies_{script}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while it runs
        spec.loader.exec_module(module)
    return sys.modules[name]
