"""The ifupdown hook: PHASE -> the features' declared steps, in order, under one error policy.

Run by the /bin/sh shim (`python3 -I -S -c '...; from netguard.hook import run; run()' HOOK_PATH`) when a
netguard option is set, or when netguard changed something for the
interface before (State-Dir/applied/IFACE). Every phase validates every
option first, so a bad value fails pre-up before anything changed (and ifup
leaves the link down). Whatever goes wrong, the user sees one line; a
traceback goes to the journal only.
"""

from __future__ import annotations

import os
import sys

from netguard import applied, log
from netguard.actions import Action, MarkOptimistic, WaitForDad, Warn, WriteSysctl
from netguard.config import Config, load_config
from netguard.context import HookContext, context_from_env, phase_from
from netguard.errors import (
    AS_CONFIGURED,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    FAIL,
    NetguardError,
    exit_now,
    unexpected,
)
from netguard.features import Step, dad, reject, waitdad
from netguard.options import POST_DOWN, POST_UP, PRE_DOWN, PRE_UP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

STEPS: tuple[Step, ...] = tuple(sorted((*dad.STEPS, *waitdad.STEPS, *reject.STEPS), key=lambda s: s.order))


class Run:
    """One hook run: the context, the configuration and the interface's record of changes."""

    def __init__(self, ctx: HookContext, config: Config) -> None:
        self.ctx = ctx
        self.config = config
        self.record = applied.load(config.state_dir, ctx.iface)

    def save(self) -> None:
        applied.save(self.config.state_dir, self.ctx.iface, self.record)

    def run_actions(self, actions: list[Action]) -> None:
        from netguard import apply, state

        iface = self.ctx.iface
        for action in actions:
            if isinstance(action, Warn):
                log.warn(iface, action.option, action.text)
            elif isinstance(action, WriteSysctl):
                before = state.read_sysctl(action.path)
                if before is not None and action.path not in self.record.sysctls:
                    self.record.sysctls[action.path] = (
                        before  # recorded before the write: undo never misses it
                    )
                    self.save()
                apply.write_sysctl(action, iface)
                log.info(iface, action.option, f"{action.path} = {action.value}")
            elif isinstance(action, MarkOptimistic):
                apply.mark_optimistic(action, iface)
                log.info(iface, action.option, f"{action.address} marked optimistic")
            elif isinstance(action, WaitForDad):
                self.wait_for_dad(action)
            else:  # pragma: no cover - a new Action type without a runner
                raise TypeError(f"no runner for {action!r}")

    def wait_for_dad(self, action: WaitForDad) -> None:
        from netguard import state, watch

        iface = self.ctx.iface
        verdict = watch.wait_for_addresses(
            iface, lambda found: waitdad.assess(found, action.need_global), action.timeout
        )
        carrierless = set() if state.has_carrier(iface) else {iface}
        problem = waitdad.failure(verdict, iface, action.timeout, carrierless)
        if problem is None:
            log.info(iface, waitdad.OPTION, "every IPv6 address usable")
        elif action.on_failure == "warn":
            log.warn(iface, problem.option, problem.message)
        else:
            raise problem

    # The steps: one function per (option, phase) a feature declares.

    def dad_pre_up(self) -> None:
        self.run_actions(dad.plan(self.ctx, dad.read_state(self.ctx.iface), self.record.sysctls))

    def dad_post_up(self) -> None:
        from netguard import state

        self.run_actions(dad.plan_post_up(self.ctx, state.proc_ipv6_addresses(self.ctx.iface)))

    def dad_post_down(self) -> None:
        actions = dad.plan_restore(
            {path: value for path, value in self.record.sysctls.items() if os.path.exists(path)}
        )
        self.run_actions(actions)
        self.record.sysctls.clear()
        self.save()

    def wait_dad_pre_up(self) -> None:
        from netguard import sentinel

        # The watcher's own bound: ifupdown's wait (6 s) plus ours, at most.
        sentinel.start(self.ctx.iface, waitdad.timeout_of(self.ctx, self.config) + 10, self.config.state_dir)

    def wait_dad_post_up(self) -> None:
        from netguard import sentinel

        sentinel.stop(self.config.state_dir, self.ctx.iface)
        self.run_actions(waitdad.plan(self.ctx, self.config))

    def reject_post_up(self) -> None:
        from netguard import reconcile
        from netguard.wants import StanzaRecord

        ctx = self.ctx
        families = reject.stanza_families(ctx)
        self.record.reject.update(families)
        self.save()  # before the routes: an ifdown after a kill -9 still knows to withdraw them
        record = StanzaRecord(
            tuple(ctx.options[reject.OPTION]),
            tuple(ctx.options["reject-asn-except"]),
            ctx.gateway,
            tuple(ctx.options["reject-asn-probe"]),
        )
        reconcile.apply_stanza(self.config, ctx.iface, families, record)

    def reject_pre_down(self) -> None:
        from netguard import reconcile

        families = sorted(set(reject.stanza_families(self.ctx)) | self.record.reject)
        reconcile.withdraw(self.config, self.ctx.iface, families)
        self.record.reject.clear()
        self.save()

    def wanted(self, step: Step) -> Callable[[], None] | None:
        """The function for a step, if the stanza (or what netguard did before) calls for it."""
        options = self.ctx.options
        setting = options.get(step.option)
        if step.option == dad.OPTION:
            if step.phase == PRE_UP and setting is not None:
                return self.dad_pre_up
            if step.phase == POST_UP and setting in ("off", "optimistic"):
                return self.dad_post_up
            if step.phase == POST_DOWN and self.record.sysctls:
                return self.dad_post_down
        elif step.option == waitdad.OPTION and setting is not None and setting.enabled:
            if step.phase == PRE_UP and waitdad.needs_watcher(self.ctx):
                return self.wait_dad_pre_up
            if step.phase == POST_UP:
                return self.wait_dad_post_up
        elif step.option == reject.OPTION:
            if step.phase == POST_UP and setting:
                return self.reject_post_up
            if step.phase == PRE_DOWN and (setting or self.record.reject):
                return self.reject_pre_down
        return None

    def run_step(self, step: Step, function: Callable[[], None]) -> None:
        """The error policy: FAIL raises one line; WARN (and wait-dad-failure warn) warns and goes on."""
        policy = step.policy
        if policy == AS_CONFIGURED:
            policy = self.ctx.options.get("wait-dad-failure", FAIL)
        try:
            function()
        except NetguardError as err:
            if policy == FAIL:
                raise
            log.warn(self.ctx.iface, err.option or step.option, err.message)
        except Exception as err:  # the policy's point: nothing unplanned reaches the console raw
            where = f"{step.option} ({step.phase})"
            log.traceback_to_journal(log.line(self.ctx.iface, where, "traceback"))
            if policy == FAIL:
                raise NetguardError(unexpected(err), self.ctx.iface, where) from None
            log.warn(self.ctx.iface, where, unexpected(err))

    def run_phase(self) -> None:
        for step in STEPS:
            if step.phase == self.ctx.phase:
                function = self.wanted(step)
                if function is not None:
                    self.run_step(step, function)
        if self.ctx.phase == POST_DOWN and self.record.empty:
            applied.clear(self.config.state_dir, self.ctx.iface)


def _record(config: Config, ctx: HookContext, code: int) -> None:
    """The phase's outcome for `netguard status`: failed (the line), warning (the last), or ok."""
    from netguard import outcome

    failed = [text for severity, text in log.said if severity == "failed"]
    warnings = [text for severity, text in log.said if severity == "warning"]
    if code != EXIT_OK:
        outcome.record(
            config.state_dir, ctx.iface, ctx.phase, "failed", failed[-1] if failed else f"exit {code}"
        )
    elif warnings:
        more = f" (+{len(warnings) - 1} more warnings)" if len(warnings) > 1 else ""
        outcome.record(config.state_dir, ctx.iface, ctx.phase, "warning", warnings[-1] + more)
    else:
        outcome.record(config.state_dir, ctx.iface, ctx.phase, "ok", "")


def _record_unstarted(argv: list[str], iface: str, err: NetguardError) -> None:
    """A phase that failed before it started (a bad value) is an outcome too, where it can be kept."""
    from netguard import outcome

    try:
        phase = phase_from(os.environ, argv[1] if len(argv) > 1 else "")
        state_dir = load_config().state_dir
    except NetguardError:
        return  # no phase or no State-Dir to record it under: the line said it
    if iface and iface != "--all":
        outcome.record(state_dir, iface, phase, "failed", err.line())


def main(argv: list[str]) -> int:
    log.to_journal()
    iface, phase = os.environ.get("IFACE", "?"), os.environ.get("PHASE", "hook")
    try:
        ctx = context_from_env(os.environ, argv[1] if len(argv) > 1 else "")
        if ctx.is_meta:
            return EXIT_OK
        log.set_verbose(ctx.verbose)
        if ctx.ignored:
            log.warn(
                ctx.iface,
                "",
                f"{ctx.ignored}; options ignored while going down, undoing what netguard recorded",
            )
        config = load_config()
        run = Run(ctx, config)
        try:
            run.run_phase()
        except NetguardError as err:
            log.error(err.line())
            _record(config, ctx, err.exit_code)
            return err.exit_code
        _record(config, ctx, EXIT_OK)
    except NetguardError as err:  # a bad value, an unknown phase, a broken netguard.conf
        log.error(err.line())
        _record_unstarted(argv, iface, err)
        return err.exit_code
    except KeyboardInterrupt:
        log.error(log.line(iface, phase, "interrupted"))
        return EXIT_INTERRUPTED
    except Exception as err:  # outside every step: the context, the configuration, the record
        log.traceback_to_journal(log.line(iface, phase, "traceback"))
        log.error(log.line(iface, phase, unexpected(err)))
        return EXIT_FAILURE
    return EXIT_OK


def run() -> None:
    """The shim's entry point: main() on the hook path (argv[1]), then a fast exit."""
    exit_now(main(sys.argv))


if __name__ == "__main__":
    run()
