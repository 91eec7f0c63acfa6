"""The kinds of derainer that every command and suite accepts: one table that the zoo
(loading and fingerprints, rdmc.zoo), the scoreboard, the suite schema (downstream.suite) and
the docs' contract test read. Import-free, so checking a suite loads no network code."""

from __future__ import annotations

from dataclasses import dataclass

CONFIGURED = "config:"
OUTPUTS = "outputs:"


@dataclass(frozen=True)
class DerainerKind:
    name: str
    spelling: str  # on the command line: `rdmc derain --model`, `rdmc scoreboard [LABEL=]SPEC`
    suite_entry: str  # in a suite's `derainers:` list
    suite_schema: dict[str, tuple[type, bool]] | None  # a mapping entry's keys; None: a string
    prefix: str | None  # what starts its spelling, for the kinds spelled with one
    runs_here: bool  # False: its images were made elsewhere, and are scored, never run
    description: str


DERAINER_KINDS = {
    kind.name: kind
    for kind in (
        DerainerKind(
            "weight-free",
            "identity, guided-filter",
            "guided-filter",
            None,
            None,
            True,
            "no weights: the rainy lower bound and a classical filter",
        ),
        DerainerKind(
            "zoo",
            "rdmc-s, rdmc-se-s, prenet, restormer-lite",
            "rdmc-s",
            None,
            None,
            True,
            "a shipped checkpoint, verified by SHA-256 (`rdmc models`)",
        ),
        DerainerKind(
            "configured",
            "config:CONFIG:CHECKPOINT",
            "{name: NAME, config: CONFIG, checkpoint: CHECKPOINT}",
            {"name": (str, True), "config": (str, True), "checkpoint": (str, True)},
            CONFIGURED,
            True,
            "your network: an rdmc training config whose custom_imports register it, and its "
            "weights",
        ),
        DerainerKind(
            "outputs",
            "outputs:DIR",
            "{name: NAME, outputs: DIR}",
            {"name": (str, True), "outputs": (str, True)},
            OUTPUTS,
            False,
            "a method run elsewhere: its derained images, matched to the rainy inputs by name",
        ),
        DerainerKind(
            "checkpoint",
            "PATH.pth",
            "runs/mine/best.pth",
            None,
            None,
            True,
            "a checkpoint file `rdmc train` wrote, or the authors' released state dict",
        ),
    )
}


def prefixed_kind(spec: str) -> DerainerKind | None:
    """The kind a spelling's prefix names (``config:``, ``outputs:``), if it has one."""
    return next(
        (k for k in DERAINER_KINDS.values() if k.prefix and spec.startswith(k.prefix)), None
    )


def mapping_kind(entry: dict) -> DerainerKind | None:
    """The kind of a suite's mapping entry: the first with a key besides ``name`` in it."""
    for kind in DERAINER_KINDS.values():
        if kind.suite_schema and (set(kind.suite_schema) - {"name"}) & set(entry):
            return kind
    return None


def spec_of(entry: dict) -> str:
    """A suite's mapping entry as the command line spells it."""
    kind = mapping_kind(entry)
    if kind is None:
        raise ValueError(f"not a derainer entry: {sorted(entry)}")
    values = [str(entry[k]) for k in kind.suite_schema if k != "name"]
    return kind.prefix + ":".join(values)
