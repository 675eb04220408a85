"""The actions planners return and hook.py carries out.

Plain values: a planner's output can be compared in a unit test, and only
apply.py (writes) and watch.py (bounded waits) give them effect.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WriteSysctl:
    path: str
    value: int
    option: str  # the stanza option this serves, for error messages


@dataclass(frozen=True)
class MarkOptimistic:
    """Turn a tentative address optimistic: bind() works while DAD goes on."""

    address: str
    prefixlen: int
    option: str


@dataclass(frozen=True)
class Warn:
    option: str
    text: str


@dataclass(frozen=True)
class WaitForDad:
    timeout: float
    need_global: bool  # inet6 auto: a router-advertised address must appear too
    on_failure: str  # "fail" or "warn"


Action = WriteSysctl | MarkOptimistic | Warn | WaitForDad
