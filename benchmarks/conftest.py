"""Inputs for the speed suites (real photographs shipped with scikit-image), and the
machine's fingerprint in every speed file (the gate judges speed per machine)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def photo_pair() -> tuple[np.ndarray, np.ndarray]:
    """A 512x512 RGB photo and a noisy copy of it (uint8)."""
    import skimage.data

    clean = skimage.data.astronaut()[:512, :512]
    rng = np.random.default_rng(0)
    noisy = np.clip(clean + rng.normal(0, 10, clean.shape), 0, 255).astype(np.uint8)
    return noisy, clean


def pytest_collection_modifyitems(config, items: list) -> None:
    """The calibrators first, in a fresh process: their times must not depend on what ran
    before them, as the gate's rerun of a few benchmarks holds them too (in a fresh process,
    the fp32 conv peak ran 13% faster than after the other suites). The backend suite runs
    last."""
    items.sort(
        key=lambda item: (
            item.get_closest_marker("calibration") is None,
            # last: a process that has run OpenVINO crashes when it later forks
            item.module.__name__.endswith("test_backend_speed"),
        )
    )


def pytest_benchmark_update_machine_info(config, machine_info: dict) -> None:
    """The gate's machine fingerprint (reports.speed.fingerprint), stored with the results."""
    import torch

    from reports.speed import fingerprint

    machine_info["rdmc_fingerprint"] = fingerprint(machine_info.get("cpu", {}), torch.__version__)
