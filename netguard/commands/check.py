"""`netguard check [-i FILE]`: validate every netguard option without applying anything.

For config management pipelines: each finding is one line naming the file,
line, interface and option; exit 2 when there are errors (warnings alone
exit 0, or 2 with --strict).
"""

from __future__ import annotations

import argparse

from netguard import bootpaths
from netguard.catalogue import OPTIONS_BY_NAME
from netguard.config import load_config
from netguard.context import label_refusal
from netguard.errors import EXIT_CONFIG, EXIT_OK, OptionError
from netguard.interfaces import (
    DEFAULT_INTERFACES,
    IFUPDOWN_NG,
    NETGUARD_ENV,
    RULE_NAMES,
    RULES,
    Stanza,
    TemplateNotRendered,
    detect_rules,
    env_key,
    read_interfaces,
)
from netguard.options import INET, INET6, parse_option
from netguard.prefixes.cache import cached_asns
from netguard.record import NamedTuple

# What a stanza's family calls an option that acts in the other one.
_ONLY = {INET6: "IPv6", INET: "IPv4"}


class Finding(NamedTuple):
    path: str
    line: int
    iface: str
    option: str
    message: str
    error: bool

    def text(self) -> str:
        kind = "error" if self.error else "warning"
        return f"{self.path}:{self.line}: {self.iface}: {self.option}: {kind}: {self.message}"


# Options of ifupdown and common packages that look like netguard's but are not typos of them.
_OTHERS = {"dad-attempts", "dad-interval", "accept-ra", "request-prefix"}


def near_miss(name: str) -> str | None:
    """The netguard option an unknown option name was probably meant to be."""
    import difflib

    folded = name.lower().replace("_", "-")
    if folded in OPTIONS_BY_NAME or folded in _OTHERS or env_key(name) in NETGUARD_ENV:
        return None
    close = difflib.get_close_matches(folded, list(OPTIONS_BY_NAME), n=1, cutoff=0.8)
    return close[0] if close else None


def check_stanza(stanza: Stanza, cached_asns: set[int] | None) -> list[Finding]:
    """Findings for one stanza; cached_asns None skips the cache check."""
    findings: list[Finding] = []
    by_name: dict[str, list] = {}
    for line in stanza.netguard_options():
        by_name.setdefault(line.name, []).append(line)

    def add(line, message: str, error: bool = True) -> None:
        findings.append(Finding(line.path, line.line, stanza.iface, line.name, message, error))

    for name, lines in by_name.items():
        option = OPTIONS_BY_NAME[name]
        if len(lines) > 1 and not option.multi:
            add(lines[1], f"given {len(lines)} times (first on line {lines[0].line}); give it once")
        if len(lines) > 1 and option.multi:
            add(
                lines[1],
                "on several lines; ifupdown-ng reads only the last: put all values on one line"
                if stanza.rules == IFUPDOWN_NG
                else "on several lines; ifupdown2 reads only the first: put all values on one line",
                False,
            )
        value = None
        for line in lines if option.multi else lines[:1]:
            try:
                value = parse_option(option, line.value, stanza.iface)
            except OptionError as err:
                add(line, err.message)
                continue
            for advice in option.lint(value, cached_asns) if option.lint else ():
                add(line, advice)
        if option.family in _ONLY and stanza.family not in (option.family, ""):
            add(
                lines[0],
                f"acts on {_ONLY[option.family]} addresses only; "
                f"move it to the `iface {stanza.iface} {option.family}` stanza",
            )
        if ":" in stanza.iface and option.family == INET6 and stanza.family in (INET6, ""):
            add(lines[0], label_refusal(stanza.iface, name))
        if option.requires and option.requires not in by_name:
            add(lines[0], f"has no effect without {option.requires}", False)
    env = stanza.env()
    for name, lines in stanza.spellings().items():
        if len(lines) > 1:
            spelled = ", ".join(f"{line.name!r} on line {line.line}" for line in lines)
            reaching = " ".join(env.get(OPTIONS_BY_NAME[name].env_name, "").split())[:80]
            add(
                lines[-1]._replace(name=name),
                f"spelled {len(lines)} ways ({spelled}): the hook receives only {reaching!r}; use one spelling",
                False,
            )
    for line in stanza.options:
        guess = near_miss(line.name)
        if guess:
            add(
                line,
                f"unknown option; did you mean {guess}? (ifupdown passes unknown options on silently)",
                False,
            )
    return findings


def rules_of(args: argparse.Namespace) -> tuple[str, str]:
    """(rules, how they were chosen) for the commands that read the interfaces files."""
    if args.rules:
        return args.rules, "chosen with --rules"
    return detect_rules(), "detected; --rules to choose"


def add_rules_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules",
        choices=RULES,
        help="read the interfaces files as this implementation does (default: the installed one)",
    )


def _addon_finding(paths: list[bootpaths.BootPath], rules: str) -> list[Finding]:
    if not bootpaths.addon_missing(paths, rules, bootpaths.IFUPDOWN2_ADDONS):
        return []
    first = next(p for p in paths if p.covered)
    return [
        Finding(
            first.path,
            first.line,
            first.iface,
            "boot",
            "ifupdown2 runs netguard's scripts without its addon (one wait per interface, a failure only "
            f"logged); enable it: cat /usr/share/netguard/ifupdown2-addons.conf >> {bootpaths.IFUPDOWN2_ADDONS}",
            False,
        )
    ]


def run(args: argparse.Namespace) -> int:
    rules, chosen = rules_of(args)
    not_rendered: list[TemplateNotRendered] = []
    marks: dict[str, set[str]] = {}
    stanzas = read_interfaces(args.interfaces, rules, not_rendered, marks)
    asns = cached_asns(load_config(args.config).cache_dir)
    paths = bootpaths.plan(stanzas, marks, rules)
    findings = sorted(
        [f for stanza in stanzas for f in check_stanza(stanza, asns)]
        + [Finding(template.path, 0, "-", "-", template.message, False) for template in not_rendered]
        + [Finding(p.path, p.line, p.iface, "boot", p.how, False) for p in paths if p.warn]
        + _addon_finding(paths, rules),
        key=lambda f: (f.path, f.line, not f.error),
    )
    print(f"netguard check: {args.interfaces} read with the rules of {RULE_NAMES[rules]} ({chosen})")
    for finding in findings:
        print(finding.text())
    for path in paths if args.verbose else ():  # -v: how each interface is kept at boot
        if not path.warn:
            print(f"netguard check: boot: {path.iface}: {path.how}")
    errors = sum(f.error for f in findings)
    warnings = len(findings) - errors
    checked = sum(bool(s.netguard_options()) for s in stanzas)
    print(f"netguard check: {checked} stanzas with netguard options, {errors} errors, {warnings} warnings")
    return EXIT_CONFIG if errors or (warnings and args.strict) else EXIT_OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("check", help="validate netguard options in the interfaces configuration")
    parser.add_argument("-i", "--interfaces", default=DEFAULT_INTERFACES, help="default: %(default)s")
    parser.add_argument("--strict", action="store_true", help="warnings fail too")
    add_rules_argument(parser)
    parser.set_defaults(run=run)
