"""reject-asn-probe's verdicts: the state kept per interface in State-Dir/probe/IFACE, and its series.

What a probe round concluded, with hysteresis: the verdict changes only
after ROUNDS_TO_FLIP rounds in a row say so, so one lost packet changes
nothing. Until the first verdict the routes are in. Apart from probing.py
(the probes themselves, which need sockets) so that the hooks, status and
reconcile read and clear it without importing the socket machinery (~9 ms).
"""

from __future__ import annotations

import time

from netguard import stateformat
from netguard.record import NamedTuple
from netguard.safefile import UnsafeFile, unlink_in

ROUNDS_TO_FLIP = 3
REACHABLE, UNREACHABLE, UNKNOWN = "reachable", "unreachable", "unknown"


class ProbeState(NamedTuple):
    verdict: str  # reachable: routes withdrawn; unreachable or unknown: routes in
    streak: int  # rounds in a row that disagreed with the verdict
    last: str  # the last round: time and each target's result
    when: float = 0.0  # the last round's Unix time (for the metrics)


def load(state_dir: str, iface: str) -> ProbeState:
    """The interface's state (stateformat: any format this netguard reads); unknown when absent,
    unreadable, of a newer format, or holding what netguard could not have written."""
    try:
        _, lines = stateformat.read(state_dir, "probe", iface, 4096)
    except (OSError, UnsafeFile, stateformat.NewerFormat):
        return ProbeState(UNKNOWN, 0, "")
    fields = dict(line.split(" ", 1) for line in lines if " " in line)
    verdict = fields.get("verdict", UNKNOWN)
    streak = fields.get("streak", "0")
    when = fields.get("time", "0")
    return ProbeState(
        verdict if verdict in (REACHABLE, UNREACHABLE) else UNKNOWN,
        int(streak) if streak.isdigit() and len(streak) <= 6 else 0,
        fields.get("last", ""),
        float(when) if when.replace(".", "", 1).isdigit() and len(when) <= 20 else 0.0,
    )


def save(state_dir: str, iface: str, state: ProbeState) -> None:
    lines = [
        f"verdict {state.verdict}",
        f"streak {state.streak}",
        f"last {state.last}",
        f"time {state.when:.3f}",
    ]
    stateformat.write(state_dir, "probe", iface, lines)


def clear(state_dir: str, iface: str) -> None:
    unlink_in(state_dir, "probe", iface)


def next_state(state: ProbeState, reachable: bool, last: str) -> ProbeState:
    """Hysteresis: the verdict follows the results only after ROUNDS_TO_FLIP rounds in a row."""
    says = REACHABLE if reachable else UNREACHABLE
    now = time.time()
    if state.verdict == says:
        return ProbeState(says, 0, last, now)
    streak = state.streak + 1
    if streak >= ROUNDS_TO_FLIP:
        return ProbeState(says, 0, last, now)
    return ProbeState(state.verdict, streak, last, now)


def metric_samples(state_dir: str, targets: dict[str, tuple[str, ...]]) -> list:
    """netguard_probe.prom's series: per interface with probe targets, its verdict, streak,
    whether its routes are withdrawn, when it was last probed and each target's last result."""
    from netguard import metrics

    series = []
    for iface, probes in sorted(targets.items()):
        state = load(state_dir, iface)
        labels = {"iface": iface}
        found = dict.fromkeys(probes, 0)
        for part in state.last.partition(" ")[2].split(", "):
            target, _, result = part.partition(" ")
            if target in found:
                found[target] = int(result.startswith("answered"))
        series += metrics.status_set(
            "netguard_probe_verdict", state.verdict, (REACHABLE, UNREACHABLE, UNKNOWN), **labels
        )
        series.append(metrics.sample("netguard_probe_streak", state.streak, **labels))
        series.append(metrics.sample("netguard_reject_withdrawn", int(withdrawn(state)), **labels))
        if state.when:
            series.append(metrics.sample("netguard_probe_timestamp_seconds", state.when, **labels))
        series += [
            metrics.sample("netguard_probe_target_answered", v, **labels, target=t) for t, v in found.items()
        ]
    return series


def withdrawn(state: ProbeState) -> bool:
    """The probe says the ASes are reachable through the interface: no reject routes."""
    return state.verdict == REACHABLE
