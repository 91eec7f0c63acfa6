"""Gates that pool over the whole image, shared with its tiles.

Dynamic recruitment weighs each path by a gate computed from the path's globally
pooled features. A tile pools over itself only, so tiled inference would gate every
tile differently from the whole image (up to 10/255 apart on the embedded photos).
:func:`recording` runs the whole image (or a downscaled copy of it) once and keeps
every gate in the order the network asks for them; :func:`replaying` hands those
gates back, in the same order, to the forward pass of every tile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import nn


class GateTape:
    """The gates of one whole-image pass, per gate module, in call order."""

    def __init__(self) -> None:
        self.gates: dict[int, list[torch.Tensor]] = {}
        self.replayed: dict[int, int] = {}
        self.replaying = False


class GlobalGate(nn.Module):
    """A module whose gate pools over the whole input; subclasses call :meth:`shared`."""

    tape: GateTape | None = None

    def shared(self, compute: Callable[[], torch.Tensor]) -> torch.Tensor:
        """``compute()``, recorded on the tape, or the recorded gate when replaying."""
        tape = self.tape
        if tape is None:
            return compute()
        key = id(self)
        if tape.replaying:
            recorded = tape.gates[key]
            calls = tape.replayed.get(key, 0)
            tape.replayed[key] = calls + 1
            return recorded[calls % len(recorded)]  # every forward asks in the same order
        gate = compute()
        tape.gates.setdefault(key, []).append(gate)
        return gate


def has_global_gates(net: nn.Module) -> bool:
    return any(isinstance(m, GlobalGate) for m in net.modules())


@contextmanager
def _on_tape(net: nn.Module, tape: GateTape) -> Iterator[GateTape]:
    gates = [m for m in net.modules() if isinstance(m, GlobalGate)]
    for m in gates:
        m.tape = tape
    try:
        yield tape
    finally:
        for m in gates:
            m.tape = None


@contextmanager
def recording(net: nn.Module) -> Iterator[GateTape]:
    """Within it, every gate ``net`` computes is kept on the yielded tape."""
    with _on_tape(net, GateTape()) as tape:
        yield tape


@contextmanager
def replaying(net: nn.Module, tape: GateTape) -> Iterator[None]:
    """Within it, ``net`` uses the tape's gates instead of pooling over its input."""
    tape.replaying, tape.replayed = True, {}
    with _on_tape(net, tape):
        yield
