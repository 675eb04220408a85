"""`wait-dad`: ifup returns only when every IPv6 address is usable.

The judgement of an address list is usable.py, the bounded event-driven
wait watch.py; apply.py carries the wait out and ends it with the verdict's
error, which the step's policy (`wait-dad-failure`) makes fatal or a warning.
"""

from __future__ import annotations

from netguard import log
from netguard.actions import Action, WaitForDad
from netguard.errors import AS_CONFIGURED, FAIL, WARN, NetguardError, Terminated
from netguard.features import Feature, Step
from netguard.options import (
    INET6,
    POST_UP,
    PRE_UP,
    Option,
    WaitDad,
    parse_wait_dad,
    parse_wait_dad_failure,
)
from netguard.usable import assess

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from netguard.config import Config
    from netguard.context import HookContext
    from netguard.hookrun import HookRun

OPTION = "wait-dad"
# Methods whose global address comes from a router advertisement, not ifupdown.
SLAAC_METHODS = frozenset({"auto"})


def timeout_of(ctx: HookContext, config: Config) -> float:
    setting = ctx.options[OPTION]
    return setting.seconds if setting.seconds is not None else config.wait_dad_timeout


def needs_watcher(ctx: HookContext) -> bool:
    """ifupdown waits for the primary address of inet6 static itself, before post-up."""
    return ctx.ipv6 and ctx.method == "static"


def wait_of(ctx: HookContext, config: Config) -> WaitForDad:
    return WaitForDad(timeout_of(ctx, config), ctx.method in SLAAC_METHODS, ctx.options["wait-dad-failure"])


def plan(ctx: HookContext, config: Config) -> list[Action]:
    return [wait_of(ctx, config)]


def _enabled(run: HookRun) -> bool:
    setting = run.ctx.options.get(OPTION)
    return setting is not None and setting.enabled


def _start_watcher(run: HookRun) -> None:
    from netguard import sentinel

    # The watcher's own bound: ifupdown's wait (6 s) plus ours, at most.
    sentinel.start(run.iface, timeout_of(run.ctx, run.config) + 10, run.config.state_dir)


def _wait(run: HookRun) -> None:
    """Wait here, or, inside `ifup -a`, leave the wait to the run's end (boot.py): the kernel runs
    every interface's DAD at once, so one wait at the end costs what the slowest one costs."""
    import time

    from netguard import apply, boot, sentinel

    sentinel.stop(run.config.state_dir, run.iface)
    action = wait_of(run.ctx, run.config)
    started = time.monotonic()
    if boot.in_progress(run.config.state_dir):
        boot.defer(run.config.state_dir, boot.Pending(run.iface, started + action.timeout, action.timeout,
                                                      action.need_global, action.on_failure, started))  # fmt: skip
        log.info(run.iface, OPTION, "waits with every other interface at the end of `ifup -a`")
        return
    try:
        apply.carry_out(run, [action])
    finally:
        _record_wait(run.config, run.iface, AT_INTERFACE, time.monotonic() - started)


AT_INTERFACE, AT_RUN_END = "at the interface", "at the end of the ifup -a run"


def _record_wait(config: Config, iface: str, where: str, took: float) -> None:
    from netguard import outcome

    outcome.record(config.state_dir, iface, OPTION, where, f"{took:.2f} s", outcome.WAIT)
    if config.metrics_on:
        from netguard import metrics

        label = "interface" if where == AT_INTERFACE else "run_end"
        metrics.note(iface, metrics.sample("netguard_wait_seconds", round(took, 3), iface=iface, where=label))


def _ifup_all(run: HookRun) -> bool:
    """The --all calls of `ifup -a` (MODE=start); ifdown -a's (stop) have nothing to do."""
    return run.ctx.mode == "start"


def _begin_run(run: HookRun) -> None:
    from netguard import boot

    if not boot.begin(run.config.state_dir):
        log.info(
            "--all", OPTION, "another `ifup -a` is running: this run's interfaces each wait for themselves"
        )


def _wait_for_the_run(run: HookRun) -> None:
    """--all post-up: one wait for every interface that deferred its own; each one's outcome and
    failure named; fails when any of them fails under `wait-dad-failure fail`."""
    import time

    from netguard import apply, boot, outcome
    from netguard.safefile import UnsafeFile

    state_dir = run.config.state_dir
    try:
        waits = boot.pending(state_dir)
    except (OSError, UnsafeFile) as err:  # State-Dir/boot is broken: the run's interfaces waited each
        log.warn("--all", OPTION, f"cannot read the run's waits ({err}); each interface waited for itself")
        waits = []
    try:
        if not waits:
            return
        now = time.monotonic()
        actions = {w.iface: WaitForDad(w.timeout, w.need_global, w.on_failure) for w in waits}
        policy = {w.iface: w.on_failure for w in waits}
        said: set[str] = set()

        def say(iface: str, problem: NetguardError) -> None:
            said.add(iface)  # at once, while the others are still waited for
            if policy[iface] == "fail":
                log.error(problem.line())
            else:
                log.warn(iface, OPTION, problem.message)

        try:
            problems = apply.wait_for_all(actions, max(w.deadline for w in waits) - now, say)
        except Terminated:  # systemd stopped networking.service: each waiting interface is told
            for wait in waits:
                outcome.record(state_dir, wait.iface, "post-up", "failed", log.line(
                    wait.iface, OPTION, "the wait at the end of ifup -a was stopped by SIGTERM; ifup it again"))  # fmt: skip
            raise
        ended = time.monotonic()
        fatal = None
        for wait in waits:
            problem = problems[wait.iface]
            _record_wait(run.config, wait.iface, AT_RUN_END, ended - wait.deferred_at)
            if problem is None:
                log.info(wait.iface, OPTION, "every IPv6 address usable")
                continue
            status = "failed" if wait.on_failure == "fail" else "warning"
            outcome.record(state_dir, wait.iface, "post-up", status, problem.line())
            if run.config.metrics_on:
                from netguard import metrics

                metrics.note_outcome(wait.iface, "post-up", status)
            fatal = problem if wait.on_failure == "fail" else fatal
            if wait.iface not in said:
                say(wait.iface, problem)
        if fatal is not None:
            raise NetguardError(
                f"{sum(problems[w.iface] is not None and w.on_failure == 'fail' for w in waits)} interface(s) "
                "not usable (named above); `netguard status` shows each",
                "--all",
                OPTION,
            )
    finally:
        try:
            boot.finish(state_dir)
        except (OSError, UnsafeFile) as err:  # never a failure of ifup -a: the mark is tied to this ifup
            log.warn(
                "--all",
                OPTION,
                f"cannot clear the run's mark under {state_dir}/boot ({err}); harmless: it names this ifup only",
            )


def holds(iface: str, options: Mapping[str, Any]) -> dict[str, bool]:
    """`ifquery --check`: no address of the interface tentative or duplicate."""
    from netguard import state

    if not options[OPTION].enabled:
        return {}
    return {OPTION: assess(state.proc_ipv6_addresses(iface), need_global=False).usable}


FEATURE = Feature(
    rank=20,
    options=(
        Option(
            name="wait-dad",
            parse=parse_wait_dad,
            default=WaitDad(False),
            accepted="yes, no, or a timeout in seconds",
            help="Do not let ifup return until no IPv6 address of the interface is "
            "tentative (yes: the configured default timeout, 10 s unless changed; a number "
            "is seconds, so 1 waits at most one second and 0 does not wait).",
            example="wait-dad 5",
            family=INET6,
        ),
        Option(
            name="wait-dad-failure",
            parse=parse_wait_dad_failure,
            default="fail",
            accepted="fail, warn",
            help="What wait-dad does when an address cannot be confirmed usable (DAD "
            "found a duplicate, or the timeout ran out): fail makes ifup fail; warn "
            "prints the same line as a warning and lets ifup succeed.",
            example="wait-dad-failure warn",
            family=INET6,
            requires="wait-dad",
            words=("fail", "warn"),
        ),
    ),
    steps=(
        # pre-up, after dad's sysctls: ifupdown 0.8's own wait for an inet6 static
        # primary address runs before any post-up hook, so a watcher started now
        # is the only way to name a duplicate or a missing carrier there at once.
        Step(
            OPTION,
            PRE_UP,
            20,
            WARN,
            "inet6 static: watches the primary address during ifupdown's own wait",
            lambda run: _enabled(run) and needs_watcher(run.ctx),
            _start_watcher,
        ),
        # After dad (its marking is instant), before reject-asn: a failed wait fails
        # ifup and leaves the interface unrecorded, so nothing may be left to undo.
        Step(
            OPTION,
            POST_UP,
            20,
            AS_CONFIGURED,
            "waits until no IPv6 address is tentative (bounded); inside `ifup -a`, at the run's end",
            _enabled,
            _wait,
        ),
        # `ifup -a`'s --all calls, before the first interface and after the last: the run is
        # marked (a pre-up must never fail: it would stop every interface), then one wait for all.
        Step(
            OPTION,
            PRE_UP,
            20,
            WARN,
            "ifup -a: marks the run, so interfaces leave their wait to its end",
            _ifup_all,
            _begin_run,
            meta=True,
        ),
        Step(
            OPTION,
            POST_UP,
            20,
            FAIL,
            "ifup -a: one wait for every interface's addresses, each named",
            _ifup_all,
            _wait_for_the_run,
            meta=True,
        ),
    ),
    holds=holds,
    reads=("state_dir", "wait_dad_timeout"),
)
