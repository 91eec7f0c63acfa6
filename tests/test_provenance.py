"""Cache keys: what a module computes, not how its source is written."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest

import downstream.scoreboard.runner
from downstream.bench import conditions as bench_conditions
from downstream.bench import task_models as bench_task_models
from rdmc.code_digest import code_digest, import_closure

ORIGINAL = '''"""A module."""

def scale(x):
    """Doubles."""
    return 2 * x  # the factor
'''
REWORDED = '''"""The same module, documented anew."""


def scale(x):
    # no docstring now, a comment instead
    return 2 * x
'''
CHANGED = ORIGINAL.replace("2 * x", "3 * x")


def test_comments_docstrings_and_layout_do_not_change_the_code_digest(tmp_path, monkeypatch):
    module = tmp_path / "digest_probe.py"
    monkeypatch.syspath_prepend(str(tmp_path))

    def digest(source: str) -> str:
        module.write_text(source)
        importlib.invalidate_caches()
        return code_digest(("digest_probe",))

    original = digest(ORIGINAL)
    assert digest(REWORDED) == original
    assert digest(CHANGED) != original


def _copy_of_the_code(tmp_path: Path) -> Path:
    """The project's packages in a folder of their own, to edit without touching the repo."""
    root = Path(__file__).resolve().parents[1]
    copy = tmp_path / "copy"
    for package in ("rdmc", "downstream", "reports"):
        shutil.copytree(
            root / package,
            copy / package,
            ignore=shutil.ignore_patterns("*.pth", "*.log", "__pycache__"),
        )
    return copy


CACHED_CODE = {
    "rainy images": bench_conditions.RAIN_CODE,
    "derained images": bench_conditions.DERAIN_CODE,
    "predictions": bench_task_models.MODEL_CODE[0],
    "scored cells": ("downstream.bench.cells", "downstream.scoring"),
    "scoreboard rows": downstream.scoreboard.runner.SCORE_CODE,
}
# Modules each key must cover: edits to these were once served from the cache.
MUST_COVER = {
    "derained images": ["rdmc.zoo", "rdmc.authors", "rdmc.configured", "rdmc.models.rdmc"],
    "rainy images": ["rdmc.rain", "downstream.datasets.base", "downstream.datasets.mm_config"],
    "scored cells": ["downstream.datasets.real_rain", "downstream.annotations"],
    "scoreboard rows": [
        "rdmc.zoo",
        "rdmc.authors",
        "rdmc.configured",
        "downstream.scoreboard.cases",
    ],
}


@pytest.mark.parametrize("what", sorted(CACHED_CODE))
def test_every_module_in_the_import_closure_keys_the_cache(what, tmp_path):
    """Found from the import statements (lazy ones inside functions too): an edit to any
    module of the closure changes the key, an edit to a module outside it does not."""
    copy = _copy_of_the_code(tmp_path)
    roots, path = CACHED_CODE[what], (str(copy),)
    files, _ = import_closure(roots, path)
    assert set(MUST_COVER.get(what, [])) <= set(files)
    assert all(str(f).startswith(str(copy)) for f in files.values())
    base = code_digest(roots, search_path=path)
    for name, file in files.items():
        source = file.read_text()
        file.write_text(source + "\n_edited = 1\n")
        assert code_digest(roots, search_path=path) != base, name
        file.write_text(source)
    assert not [name for name in files if name.startswith("rdmc.cli")]
    cli = copy / "rdmc" / "cli" / "__init__.py"
    cli.write_text(cli.read_text() + "\n_edited = 1\n")
    assert code_digest(roots, search_path=path) == base


def test_a_relative_import_and_a_function_level_import_are_followed(tmp_path, monkeypatch):
    package = tmp_path / "probe_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "top.py").write_text("from . import near\n\ndef f():\n    import probe_far\n")
    (package / "near.py").write_text("X = 1\n")
    (tmp_path / "probe_far.py").write_text("Y = 2\n")
    (tmp_path / "probe_unused.py").write_text("Z = 3\n")
    files, _ = import_closure(("probe_pkg.top",), (str(tmp_path),))
    assert set(files) == {"probe_pkg", "probe_pkg.top", "probe_pkg.near", "probe_far"}
