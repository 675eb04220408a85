"""The actions planners return and hook.py carries out.

Plain values: a planner's output can be compared in a unit test, and only
apply.py (writes) and watch.py (bounded waits) give them effect.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs every hook run ~9 ms: netguard/record.py
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from netguard.record import NamedTuple


class WriteSysctl(NamedTuple):
    path: str
    value: int
    option: str  # the stanza option this serves, for error messages


class MarkOptimistic(NamedTuple):
    """Turn a tentative address optimistic: bind() works while DAD goes on."""

    address: str
    prefixlen: int
    option: str


class Warn(NamedTuple):
    option: str
    text: str


class WaitForDad(NamedTuple):
    timeout: float
    need_global: bool  # inet6 auto: a router-advertised address must appear too
    on_failure: str  # "fail" or "warn"


Action = WriteSysctl | MarkOptimistic | Warn | WaitForDad
