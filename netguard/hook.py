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
from netguard.catalogue import parse_options, steps_of
from netguard.config import Config, load_config
from netguard.context import HookContext, context_from_env, iface_refusal, label_refusal, phase_from
from netguard.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    FAIL,
    WARN,
    ConfigError,
    NetguardError,
    OptionError,
    Terminated,
    exit_now,
    terminate_on_sigterm,
    unexpected,
)
from netguard.hookrun import HookRun
from netguard.options import POST_DOWN, POST_UP, PRE_UP

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from netguard.features import Step


def run_step(run: HookRun, step: Step) -> None:
    """The error policy: FAIL raises one line; WARN warns and goes on; any other policy
    names the stanza option whose value (fail or warn) decides (errors.AS_CONFIGURED)."""
    policy = step.policy
    if policy not in (FAIL, WARN):
        policy = run.ctx.options.get(policy) or FAIL
    try:
        step.run(run)
    except NetguardError as err:
        if policy == FAIL:
            raise
        log.warn(run.iface, err.option or step.option, err.message)
    except Exception as err:  # the policy's point: nothing unplanned reaches the console raw
        where = f"{step.option} ({step.phase})"
        log.traceback_to_journal(log.line(run.iface, where, "traceback"))
        if policy == FAIL:
            raise NetguardError(unexpected(err), run.iface, where) from None
        log.warn(run.iface, where, unexpected(err))


def run_phase(run: HookRun) -> None:
    """The phase's steps, in their declared order, each where it applies (`--all`: its own steps)."""
    meta = run.ctx.is_meta
    for step in steps_of(run.ctx.phase):
        if step.meta == meta and step.applies(run):
            run_step(run, step)
    if meta:
        return
    if run.ctx.phase == POST_DOWN and run.record.empty:
        applied.clear(run.config.state_dir, run.iface)


def _refuse_ipv6_on_a_label(ctx: HookContext) -> None:
    """IPv6 has no address labels: an option acting on IPv6 in an alias stanza (eth0:1) has no
    meaning there, so going up it is refused, as `netguard check` refuses it."""
    if (
        ctx.is_meta
        or ctx.device == ctx.iface
        or "inet6" not in ctx.families
        or ctx.phase not in (PRE_UP, POST_UP)
    ):
        return
    from netguard.catalogue import all_options
    from netguard.options import INET6

    for option in all_options():
        if option.family == INET6 and ctx.options.get(option.name, option.default) != option.default:
            raise OptionError(label_refusal(ctx.iface, option.name), ctx.iface, option.name)


def _judge_config(ctx: HookContext, problems: list[ConfigError]) -> None:
    """netguard.conf's part of the error policy: a bad key fails only a stanza whose own options
    need it (features' `reads`; the whole file when it cannot be read), and only going up. The
    `ifup -a` meta calls, stanzas without options and the undo (pre-down, post-down) warn and
    go on with the defaults: a typo there must never stop a boot netguard has no part in."""
    if not problems:
        return
    from netguard.catalogue import config_keys_needed

    going_up = not ctx.is_meta and ctx.phase in (PRE_UP, POST_UP)
    needed = config_keys_needed(ctx.options) if going_up else set()
    for problem in problems:
        if needed and (problem.key == "" or problem.key in needed):
            problem.iface, problem.option = ctx.iface, "netguard.conf"
            problem.message += f"; {ctx.iface}'s options need it"
            raise problem
        log.warn(ctx.iface, "netguard.conf", f"{problem.message}; netguard uses the default")


def _record(config: Config, ctx: HookContext, code: int) -> None:
    """The phase's outcome for `netguard status` and the metrics: failed (the line), warning
    (the last), or ok."""
    from netguard import outcome

    failed = [text for severity, text in log.said if severity == "failed"]
    warnings = [text for severity, text in log.said if severity == "warning"]
    if code != EXIT_OK:
        status, line = "failed", failed[-1] if failed else f"exit {code}"
    elif warnings:
        more = f" (+{len(warnings) - 1} more warnings)" if len(warnings) > 1 else ""
        status, line = "warning", warnings[-1] + more
    else:
        status, line = "ok", ""
    outcome.record(config.state_dir, ctx.iface, ctx.phase, status, line)
    if config.metrics_on:
        from netguard import metrics

        metrics.note_outcome(ctx.iface, ctx.phase, status)


def _publish(config: Config, iface: str) -> None:
    """What this run noted for the metrics; a problem with Metrics-Dir is one warning, never a failure."""
    if not config.metrics_on:
        return
    from netguard import metrics

    metrics.report(iface, metrics.flush(config))


def _record_unstarted(argv: list[str], iface: str, err: NetguardError) -> None:
    """A phase that failed before it started (a bad value) is an outcome too, where it can be kept."""
    from netguard import outcome

    try:
        phase = phase_from(os.environ, argv[1] if len(argv) > 1 else "")
        config = load_config()
    except NetguardError:
        return  # no phase or no State-Dir to record it under: the line said it
    if iface and iface != "--all" and iface_refusal(iface) is None:
        outcome.record(config.state_dir, iface, phase, "failed", err.line())
        if config.metrics_on:
            from netguard import metrics

            metrics.note_outcome(iface, phase, "failed")
            _publish(config, iface)


def main(argv: list[str]) -> int:
    log.to_journal()
    iface, phase = os.environ.get("IFACE", "?"), os.environ.get("PHASE", "hook")
    try:
        ctx = context_from_env(os.environ, argv[1] if len(argv) > 1 else "", parse_options)
        log.set_verbose(ctx.verbose)
        _refuse_ipv6_on_a_label(ctx)
        if ctx.ignored:
            log.warn(
                ctx.iface,
                "",
                f"{ctx.ignored}; options ignored while going down, undoing what netguard recorded",
            )
        problems: list[ConfigError] = []
        config = load_config(problems=problems)
        _judge_config(ctx, problems)
        if config.metrics_on and ctx.phase in (POST_UP, POST_DOWN):
            from netguard import metrics

            metrics.quiet = True  # pre-up and pre-down warned of a Metrics-Dir problem
        run = HookRun(ctx, config)
        try:
            run_phase(run)
        except NetguardError as err:
            log.error(err.line())
            if not ctx.is_meta:  # --all's outcomes are its interfaces', recorded by its step
                _record(config, ctx, err.exit_code)
            _publish(config, ctx.iface)
            return err.exit_code
        if not ctx.is_meta:
            _record(config, ctx, EXIT_OK)
        _publish(config, ctx.iface)
    except NetguardError as err:  # a bad value, an unknown phase, a broken netguard.conf
        log.error(err.line())
        _record_unstarted(argv, iface, err)
        return err.exit_code
    except KeyboardInterrupt:
        log.error(log.line(iface, phase, "interrupted"))
        return EXIT_INTERRUPTED
    except Terminated:
        stopped = NetguardError(
            "stopped by SIGTERM (systemd stopping the unit, or its start timeout) before the phase ended; "
            "ifup or ifdown it again",
            iface,
            phase,
        )
        log.error(stopped.line())
        _record_unstarted(argv, iface, stopped)
        return EXIT_TERMINATED
    except Exception as err:  # outside every step: the context, the configuration, the record
        log.traceback_to_journal(log.line(iface, phase, "traceback"))
        log.error(log.line(iface, phase, unexpected(err)))
        return EXIT_FAILURE
    return EXIT_OK


def run() -> None:
    """The shim's entry point: main() on the hook path (argv[1]), then a fast exit."""
    terminate_on_sigterm()
    exit_now(main(sys.argv))


if __name__ == "__main__":
    run()
