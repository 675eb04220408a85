"""The ifupdown hook: PHASE -> features, in a declared order, with one exit policy.

Run by the /bin/sh shim as `python3 -m netguard.hook HOOK_PATH` only when a
netguard option is set. Every phase validates every option first, so a bad
value fails pre-up before anything changed (and ifup leaves the link down).
"""

from __future__ import annotations

import os
import sys

from netguard import apply, log, state, watch
from netguard.actions import Action, MarkOptimistic, WaitForDad, Warn, WriteSysctl
from netguard.config import Config, load_config
from netguard.context import HookContext, context_from_env
from netguard.errors import EXIT_OK, NetguardError, exit_now
from netguard.features import dad, reject, waitdad
from netguard.options import POST_UP, PRE_UP


def _wait_for_dad(ctx: HookContext, action: WaitForDad) -> None:
    verdict = watch.wait_for_addresses(
        ctx.iface, lambda found: waitdad.assess(found, action.need_global), action.timeout
    )
    carrierless = set() if state.has_carrier(ctx.iface) else {ctx.iface}
    problem = waitdad.failure(verdict, ctx.iface, action.timeout, carrierless)
    if problem is None:
        log.info(ctx.iface, waitdad.OPTION, "every IPv6 address usable")
        return
    if action.on_failure == "warn":
        log.warn(ctx.iface, problem.option, problem.message)
        return
    raise problem


def run_actions(ctx: HookContext, actions: list[Action]) -> None:
    for action in actions:
        if isinstance(action, Warn):
            log.warn(ctx.iface, action.option, action.text)
        elif isinstance(action, WriteSysctl):
            apply.write_sysctl(action, ctx.iface)
            log.info(ctx.iface, action.option, f"{action.path} = {action.value}")
        elif isinstance(action, MarkOptimistic):
            apply.mark_optimistic(action, ctx.iface)
            log.info(ctx.iface, action.option, f"{action.address} marked optimistic")
        elif isinstance(action, WaitForDad):
            _wait_for_dad(ctx, action)
        else:  # pragma: no cover - a new Action type without a runner
            raise TypeError(f"no runner for {action!r}")


def _reject_up(ctx: HookContext, config: Config) -> None:
    """Best-effort: every problem is a warning and ifup goes on (see README)."""
    from netguard import reconcile
    from netguard.wants import StanzaRecord

    record = StanzaRecord(
        tuple(ctx.options[reject.OPTION]),
        tuple(str(e) for e in ctx.options["reject-asn-except"]),
        ctx.gateway,
    )
    reconcile.apply_stanza(config, ctx.iface, reject.stanza_families(ctx), record)


def _reject_down(ctx: HookContext, config: Config) -> None:
    from netguard import reconcile

    for family in reject.stanza_families(ctx):
        outcome = reconcile.set_wants(config, ctx.iface, family, None)
        if outcome is not None:
            log.info(
                ctx.iface, reject.OPTION, f"{family}: kernel -{outcome.deleted} (+{outcome.added} healed)"
            )


def run_phase(ctx: HookContext, config: Config) -> None:
    """The order within a phase is deliberate; each rule says why."""
    if dad.wanted(ctx) and ctx.phase == PRE_UP:
        run_actions(ctx, dad.plan(ctx, dad.read_state(ctx.iface)))
    # dad (optimistic marking, or off's late starters) before wait-dad:
    # marking is instant, and a wait then still sees (and reports) a duplicate.
    if dad.wanted(ctx) and ctx.phase == POST_UP:
        run_actions(ctx, dad.plan_post_up(ctx, state.proc_ipv6_addresses(ctx.iface)))
    # wait-dad before reject-asn: if the wait fails, ifup fails and the
    # interface stays unrecorded, so nothing may be left behind to undo.
    if waitdad.wanted(ctx):
        run_actions(ctx, waitdad.plan(ctx, config))
    # reject-asn last in post-up; in pre-down (if-down.d) first, mirroring it:
    # the routes live exactly while the stanza's addresses are configured.
    if reject.wanted(ctx):
        try:
            if ctx.phase == POST_UP:
                _reject_up(ctx, config)
            else:
                _reject_down(ctx, config)
        except OSError as err:
            log.warn(ctx.iface, reject.OPTION, f"routes not changed: {err}; run ifup again to retry")


def main(argv: list[str]) -> int:
    try:
        ctx = context_from_env(os.environ, argv[1] if len(argv) > 1 else "")
        if ctx.is_meta:
            return EXIT_OK
        log.set_verbose(ctx.verbose)
        run_phase(ctx, load_config())
    except NetguardError as err:
        log.error(err.line())
        return err.exit_code
    return EXIT_OK


if __name__ == "__main__":
    exit_now(main(sys.argv))
