"""The bench's content-addressed cache: an entry is computed once, even by two processes."""

from __future__ import annotations

import threading
import time

import numpy as np

from downstream.cache import Cache


def test_two_workers_wanting_one_entry_compute_it_once(tmp_path):
    """The second waits on the entry's lock (an flock: between processes as between these
    threads' own file descriptors) and reads what the first wrote."""
    cache, calls, results = Cache(tmp_path), [], []

    def compute() -> dict[str, np.ndarray]:
        calls.append(1)
        time.sleep(0.3)
        return {"rgb": np.arange(4)}

    def want() -> None:
        results.append(cache.arrays("images", "ab" * 32, ("rgb",), compute)["rgb"])

    workers = [threading.Thread(target=want) for _ in range(2)]
    for w in workers:
        w.start()
        time.sleep(0.05)
    for w in workers:
        w.join()
    assert len(calls) == 1 and [r.tolist() for r in results] == [[0, 1, 2, 3]] * 2
    assert not list(tmp_path.rglob("*.lock"))  # the lock goes with the entry written
