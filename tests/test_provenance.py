"""Cache keys: what a module computes, not how its source is written."""

from __future__ import annotations

import importlib

from rdmc.provenance import code_digest

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
        return code_digest(("digest_probe",), ())

    original = digest(ORIGINAL)
    assert digest(REWORDED) == original
    assert digest(CHANGED) != original
