"""Results files as strict JSON: a non-finite number (the PSNR of two identical images is
+inf) is written as the string ``"Infinity"``, ``"-Infinity"`` or ``"NaN"``, which every JSON
parser reads, and read back as a float by :func:`decode_numbers`."""

from __future__ import annotations

import json
import math

# The rows every results file has besides its derainers' (the clean and rainy references, and
# "none", the derainer field of those): no derainer may take one of these names, or its rows
# would merge into theirs.
REFERENCE_CONDITIONS = ("clean", "rainy", "none")
# Metrics where a lower value is the better one (no-reference quality, rdmc.iqa); every
# other quality figure is higher-is-better. Verdicts, table marks and `rdmc compare` read it.
LOWER_IS_BETTER = frozenset({"NIQE", "BRISQUE", "PIQE"})
NON_FINITE = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}
# Record fields that hold text, never a number written as text.
TEXT_FIELDS = frozenset(
    {
        "dataset",
        "condition",
        "derainer",
        "rain",
        "task",
        "model",
        "metric",
        "unit",
        "gt",
        "note",
        "kind",
    }
)


def _finite_or_token(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite_or_token(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_token(v) for v in value]
    return value


def dumps(data: dict) -> bytes:
    """``data`` as strict JSON (no bare ``Infinity`` or ``NaN``), indented."""
    return (json.dumps(_finite_or_token(data), indent=1, allow_nan=False) + "\n").encode()


def _number(value: object) -> object:
    if isinstance(value, str) and value in NON_FINITE:
        return NON_FINITE[value]
    if isinstance(value, list):
        return [_number(v) for v in value]
    return value


def decode_numbers(records: list) -> list:
    """The records with the non-finite numbers :func:`dumps` wrote as text made floats again
    (in number fields only: a derainer may be called "NaN")."""
    return [
        {k: v if k in TEXT_FIELDS else _number(v) for k, v in r.items()}
        if isinstance(r, dict)
        else r
        for r in records
    ]
