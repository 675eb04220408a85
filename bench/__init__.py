"""Benchmarks, each comparing netguard with the obvious alternative in the same run."""

import time


def timed(action, *args) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    action(*args)
    return time.perf_counter() - start
