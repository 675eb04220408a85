"""Benchmarks, each comparing netguard with the obvious alternative in the same run."""

import time


def timed(action, *args) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    action(*args)
    return time.perf_counter() - start


def median_of(runs: int, action, *args, before=None) -> float:
    """The median wall-clock seconds of `runs` calls, `before()` (untimed) ahead of each."""
    import statistics

    samples = []
    for _ in range(runs):
        if before is not None:
            before()
        samples.append(timed(action, *args))
    return statistics.median(samples)
