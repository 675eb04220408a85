"""`netguard boot-wait IFACE`: hold network-online.target until a hotplug interface's ifup has ended.

Run by netguard-wait@IFACE.service, which the generator has network-online.target
want for each `allow-hotplug` interface of ifupdown 0.8 that asks for usable
addresses (bootpaths.py says why). The promise's window: from this command's
start, the device has `wait-dad` seconds to appear (udev names it); from
then, its ifup@IFACE.service has `wait-dad` + GRACE seconds to end (ifup's
own steps, then netguard's wait in its post-up); then no address of the
interface may be tentative. A device that never appears ends the wait at
the deadline: boot goes on, and the journal, `netguard status` (waits.boot)
and the metrics (netguard_boot_wait_*) name the interface.
"""

from __future__ import annotations

import argparse
import subprocess
import time

from netguard import log
from netguard.config import Config, load_config
from netguard.errors import EXIT_FAILURE, EXIT_OK, ConfigError, NetguardError, WaitTimeout

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Callable

OPTION = "wait-dad"
GRACE = 30.0  # seconds for ifup's own work after the device appears (udev's rename, ifupdown-pre, scripts)
POLL = 0.1  # a stat of /sys/class/net/IFACE
POLL_SYSTEMD = (
    1.0  # a systemctl: ~0.3 s of a CPU under QEMU's TCG (measured), taken from the boot it waits for
)
USABLE, MISSING, UNFINISHED, IFUP_FAILED, NOT_USABLE = (
    "usable",
    "device missing",
    "ifup unfinished",
    "ifup failed",
    "not usable",
)
STATUSES = (USABLE, MISSING, UNFINISHED, IFUP_FAILED, NOT_USABLE)


def _settings(iface: str, config: Config, interfaces: str) -> tuple[float, str, bool]:
    """(timeout, wait-dad-failure, need_global) from the interface's stanzas, as its hook reads them."""
    from netguard.catalogue import OPTIONS_BY_NAME
    from netguard.interfaces import detect_rules, read_interfaces
    from netguard.options import WaitDad, parse_option

    timeout, on_failure, need_global = config.wait_dad_timeout, "fail", False
    for stanza in read_interfaces(interfaces, detect_rules()):
        if stanza.iface != iface:
            continue
        env = stanza.env()
        need_global = need_global or stanza.method == "auto"
        for name in (OPTION, "wait-dad-failure"):
            raw = env.get(OPTIONS_BY_NAME[name].env_name, "")
            if not raw.strip():
                continue
            try:
                value = parse_option(OPTIONS_BY_NAME[name], raw, iface)
            except NetguardError:
                continue  # the hook's pre-up fails it and says why; the wait keeps its defaults
            if isinstance(value, WaitDad) and value.seconds is not None:
                timeout = value.seconds
            elif isinstance(value, str):
                on_failure = value
    return timeout, on_failure, need_global


def ifup_state(iface: str) -> str:
    """ifup@IFACE.service's ActiveState/SubState, as systemd says ("" when it cannot say)."""
    from netguard.bootpaths import unit_instance

    try:
        shown = subprocess.run(
            ["systemctl", "show", "--property=ActiveState,SubState", f"ifup@{unit_instance(iface)}.service"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    values = dict(line.partition("=")[::2] for line in shown.splitlines())
    return f"{values.get('ActiveState', '')}/{values.get('SubState', '')}"


def ended(state: str) -> bool:
    """oneshot (the generator's drop-in): active once ifup ended; simple: active/exited; or failed."""
    active, _, sub = state.partition("/")
    return active == "failed" or (active == "active" and sub in ("exited", "dead", ""))


def started_ago() -> float:
    """Seconds since this process started (the unit's start: the window opens there, not after
    Python's imports, which take seconds of a boot under QEMU's TCG)."""
    try:
        with open("/proc/self/stat", "rb") as handle:
            ticks = int(handle.read().rpartition(b")")[2].split()[19])
        with open("/proc/uptime", "rb") as handle:
            uptime = float(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    import os

    return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))


def _poll(done: Callable[[], bool], seconds: float, every: float = POLL) -> bool:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() >= deadline:
            return False
        time.sleep(every)
    return True


def wait(iface: str, timeout: float, need_global: bool) -> tuple[str, NetguardError | None]:
    """(status, the problem or None): the device, then its ifup's end, then its addresses."""
    from netguard import watch
    from netguard.state import has_carrier, interface_exists
    from netguard.usable import assess, failure

    unit = f"ifup@{iface}.service"
    if not _poll(lambda: interface_exists(iface), max(0.0, timeout - started_ago())):
        why = f"the device did not appear within {timeout:g} s; boot went on without it; check the NIC, its driver and the name udev gives it"  # fmt: skip
        return MISSING, WaitTimeout(why, iface, OPTION)
    states: list[str] = []

    def ifup_ended() -> bool:
        states.append(ifup_state(iface))
        return ended(states[-1])

    if not _poll(ifup_ended, timeout + GRACE, POLL_SYSTEMD):
        why = (
            f"{unit} had not ended {timeout + GRACE:g} s after the device appeared (it was "
            f"{states[-1] or 'unknown'}); netguard stops waiting (network-online.target still waits for "
            f"that unit, up to its TimeoutStartSec); `journalctl -u {unit}` says what it does"
        )
        return UNFINISHED, WaitTimeout(why, iface, OPTION)
    if states[-1].startswith("failed"):
        return IFUP_FAILED, NetguardError(f"{unit} failed; `journalctl -u {unit}` says why", iface, OPTION)
    verdict = watch.wait_for_addresses(iface, lambda found: assess(found, need_global), timeout)
    problem = failure(verdict, iface, timeout, set() if has_carrier(iface) else {iface})
    return (USABLE, None) if problem is None else (NOT_USABLE, problem)


def _record(
    config: Config, iface: str, status: str, took: float, problem: NetguardError | None, on_failure: str
) -> None:
    from netguard import outcome
    from netguard.bootpaths import unit_instance

    outcome.record(config.state_dir, iface, "boot", status, f"{took:.2f} s", outcome.WAIT)
    if problem is not None and status in (MISSING, UNFINISHED):  # ifup never told its own outcome
        outcome.record(
            config.state_dir,
            iface,
            "post-up",
            "failed" if on_failure == "fail" else "warning",
            problem.line(),
        )
    if not config.metrics_on:
        return
    from netguard import metrics

    samples = metrics.status_set("netguard_boot_wait_outcome", status, STATUSES, iface=iface)
    samples.append(metrics.sample("netguard_boot_wait_seconds", round(took, 3), iface=iface))
    metrics.report(iface, metrics.publish(config, f"boot_{unit_instance(iface)}", samples))


def run(args: argparse.Namespace) -> int:
    started = time.monotonic() - started_ago()
    problems: list[ConfigError] = []  # a boot wait goes on with the defaults, whatever the file holds
    config = load_config(args.config, problems)
    for bad in problems:
        log.warn(args.iface, "netguard.conf", f"{bad.message}; the boot wait uses the default")
    timeout, on_failure, need_global = _settings(args.iface, config, args.interfaces)
    status, problem = wait(args.iface, timeout, need_global)
    took = time.monotonic() - started
    _record(config, args.iface, status, took, problem, on_failure)
    if problem is None:
        log.info(
            args.iface, OPTION, f"ifup ended and every IPv6 address usable {took:.2f} s into the boot wait"
        )
        return EXIT_OK
    if on_failure == "fail":
        log.error(problem.line())
        return EXIT_FAILURE
    log.warn(args.iface, OPTION, problem.message)
    return EXIT_OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    from netguard.interfaces import DEFAULT_INTERFACES

    parser = commands.add_parser(
        "boot-wait", help="at boot: wait for a hotplug interface's ifup (netguard-wait@.service runs it)"
    )
    parser.add_argument(
        "-i", "--interfaces", default=DEFAULT_INTERFACES, help="interfaces file (default: %(default)s)"
    )
    parser.add_argument("iface", metavar="IFACE")
    parser.set_defaults(run=run)
