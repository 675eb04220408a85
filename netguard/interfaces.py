"""A reader of /etc/network/interfaces that sees netguard's options as the hooks receive them.

`netguard check`, `refresh` and `status` need the stanzas with their file
and line numbers (ifquery gives neither, and is not there under every
ifupdown), and each stanza's IF_* environment exactly as the installed
implementation exports it (measured against each, tests/corpus):
- ifupdown 0.8: option names folded (case, `-` as `_`, other characters
  dropped), repeats of one spelling newline-joined, the later of two
  spellings of one variable winning, a template's options `inherits`-ed;
  `no-auto-down` and `no-scripts` end a stanza.
- ifupdown2: `_` read as `-` (so `wait_dad` and `wait-dad` are one
  option) and the first value of a repeated option exported; names keep
  their case (`Wait-Dad` is another option, exported as the same variable:
  the later one wins); `$IFACE` in a value is the interface's name; no
  `inherits`; stanzas without a family and `vlan` stanzas; mako templates rendered as
  ifupdown2 renders them (when python3-mako is installed).
- ifupdown-ng: the stanzas of one interface are one (every family), names
  upper-cased with `-` as `_`, the last value of a repeated option wins,
  `inherits` as ifupdown.
Every rule follows `source` (globs) and `source-directory` (globs),
relative to the including file; lines split on `\n` only; backslash
continuations; `#` comments at line start.
"""

from __future__ import annotations

import glob
import os
import re

from netguard.catalogue import OPTIONS_BY_NAME
from netguard.errors import EXIT_CONFIG, NetguardError
from netguard.record import NamedTuple

DEFAULT_INTERFACES = "/etc/network/interfaces"
MAX_BYTES = 4 * 1024 * 1024  # far more than any interfaces file; a device named here cannot hang us
_SOURCE_DIRECTORY_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")  # run-parts rules, as ifupdown uses
_STANZA_STARTS = {
    "iface",
    "mapping",
    "auto",
    "source",
    "source-directory",
    "rename",
    "no-auto-down",
    "no-scripts",
}
_IFUPDOWN2_STARTS = (_STANZA_STARTS - {"no-auto-down", "no-scripts", "mapping"}) | {"vlan"}
_ALLOW = re.compile(r"^allow-")


class OptionLine(NamedTuple):
    name: str
    value: str
    path: str
    line: int


IFUPDOWN, IFUPDOWN2, IFUPDOWN_NG = "ifupdown", "ifupdown2", "ifupdown-ng"
RULES = (IFUPDOWN, IFUPDOWN2, IFUPDOWN_NG)
RULE_NAMES = {IFUPDOWN: "ifupdown 0.8", IFUPDOWN2: "ifupdown2", IFUPDOWN_NG: "ifupdown-ng"}


def detect_rules(root: str = "/") -> str:
    """The implementation whose ifup is installed: ifupdown2's is its Python entry point,
    ifupdown-ng's is dpkg's when ifupdown is not there; ifupdown otherwise."""
    for ifup in ("usr/sbin/ifup", "sbin/ifup"):
        target = os.path.realpath(os.path.join(root, ifup))
        if "ifupdown2" in target:
            return IFUPDOWN2
    info = os.path.join(root, "var/lib/dpkg/info")
    if not os.path.exists(os.path.join(info, "ifupdown.list")) and os.path.exists(
        os.path.join(info, "ifupdown-ng.list")
    ):
        return IFUPDOWN_NG
    return IFUPDOWN


class Stanza(NamedTuple):
    iface: str
    family: str
    method: str
    path: str
    line: int
    options: list[OptionLine]  # appended to while the file is read
    rules: str = IFUPDOWN

    def netguard_options(self) -> list[OptionLine]:
        """The lines that reach a netguard option's variable, under their canonical name."""
        return [
            o._replace(name=NETGUARD_ENV[env_key(o.name)])
            for o in self.options
            if env_key(o.name) in NETGUARD_ENV
        ]

    def env(self) -> dict[str, str]:
        """The IF_* variables the implementation exports for this stanza."""
        if self.rules == IFUPDOWN2:
            # One option per name with `_` read as `-`, exported with its first value.
            first: dict[str, str] = {}
            for option in self.options:
                first.setdefault(option.name.replace("_", "-"), option.value)
            return {"IF_" + name.upper().replace("-", "_"): value for name, value in first.items()}
        if self.rules == IFUPDOWN_NG:
            return {"IF_" + o.name.upper().replace("-", "_"): o.value for o in self.options}  # the last wins
        # ifupdown 0.8: one variable per spelling, repeats newline-joined, exported in
        # order of first appearance, so a later spelling of one variable wins.
        values: dict[str, list[str]] = {}
        for option in self.options:
            values.setdefault(option.name, []).append(option.value)
        return {env_key(name): "\n".join(v) for name, v in values.items()}

    def spellings(self) -> dict[str, list[OptionLine]]:
        """netguard option -> the first line of each spelling that reaches it (two or more: only the last counts)."""
        found: dict[str, dict[str, OptionLine]] = {}
        for line in self.options:
            canonical = NETGUARD_ENV.get(env_key(line.name))
            if canonical is not None:
                found.setdefault(canonical, {}).setdefault(line.name, line)
        return {name: list(by_spelling.values()) for name, by_spelling in found.items()}


def env_key(name: str) -> str:
    """The variable an option name becomes: upper case, `-` as `_`, other characters dropped."""
    return "IF_" + "".join(
        c.upper() if c.isascii() and c.isalnum() else "_" if c in "-_" else "" for c in name
    )


NETGUARD_ENV = {option.env_name: name for name, option in OPTIONS_BY_NAME.items()}


class InterfacesError(NetguardError):
    """The interfaces configuration (or a file it includes) cannot be read."""

    exit_code = EXIT_CONFIG


def _logical_lines(path: str, rules: str, notes: list[TemplateNotRendered]) -> list[tuple[int, str]]:
    from netguard.safefile import UnsafeFile, read_bounded

    try:  # a regular file only (a FIFO or device there would block or never end), bounded
        text = read_bounded(path, MAX_BYTES, follow=True, check_owner=False).decode("utf-8", "replace")
    except UnsafeFile as err:
        raise InterfacesError(f"{err.message}; fix the file or the source line naming it") from None
    except OSError as err:
        raise InterfacesError(
            f"cannot read {path}: {err.strerror}; fix the file or the source line naming it"
        ) from None
    if rules == IFUPDOWN2:
        text = _render(path, text, notes)
    raw = text.split("\n")  # ifupdown splits on \n only
    lines: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, text in enumerate(raw, 1):
        if not pending:
            start = number
            if text.lstrip().startswith("#"):
                continue
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        lines.append((start, pending + text))
        pending = ""
    if pending:
        lines.append((start, pending))
    return lines


def _iface(words: list[str], path: str, number: int, earlier: list[Stanza], rules: str) -> Stanza:
    """`iface NAME [FAMILY [METHOD]] [inherits TEMPLATE]`: the template's options come first."""
    inherited: list[OptionLine] = []
    if "inherits" in words[2:]:
        at = words.index("inherits", 2)
        template = words[at + 1] if at + 1 < len(words) else ""
        words = words[:at]
        for stanza in reversed(earlier) if rules != IFUPDOWN2 else ():  # ifupdown2 has no inherits
            if stanza.iface == template:
                inherited = list(stanza.options)
                break
    family = words[2] if len(words) > 2 else ""
    method = words[3] if len(words) > 3 else ""
    name = words[1].split(":")[0] if rules == IFUPDOWN2 else words[1]  # ifupdown2: eth0:1 is eth0
    return Stanza(name, family, method, path, number, inherited, rules)


class TemplateNotRendered(NamedTuple):
    path: str
    message: str


TEMPLATE_LOOKUP = "/etc/network/ifupdown2/templates"  # ifupdown2.conf's template_lookuppath


def _render(path: str, text: str, notes: list[TemplateNotRendered]) -> str:
    """ifupdown2 renders every interfaces file with mako (template_enable=1, its default);
    when that fails, it reads the file as written, and so does this (and notes why)."""
    if "%" not in text and "$" not in text:
        return text
    info = os.stat(path)
    if info.st_uid not in (0, os.geteuid()) or info.st_mode & 0o022:
        # Rendering runs the template's Python: only for a file root (or the caller) alone can write.
        if "%" in text or "${" in text or "<%" in text:
            notes.append(
                TemplateNotRendered(
                    path,
                    "mako template not rendered: rendering runs its code, and the file is writable by "
                    "others or not owned by root (or you); fix its owner and mode",
                )
            )
        return text
    try:
        from mako.lookup import TemplateLookup  # type: ignore[import-not-found,unused-ignore]
        from mako.template import Template  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        if any(line.lstrip().startswith("%") or "${" in line for line in text.split("\n")):
            notes.append(
                TemplateNotRendered(
                    path,
                    "mako template not rendered (python3-mako is not installed): ifupdown2 renders it, "
                    "netguard read it as written; apt install python3-mako",
                )
            )
        return text
    try:
        return str(Template(text=text, lookup=TemplateLookup(directories=[TEMPLATE_LOOKUP])).render())
    except Exception as err:  # the template's error: ifupdown2 also goes on with the text as written
        detail = " ".join(f"{type(err).__name__}: {err}".split())[:120]
        notes.append(
            TemplateNotRendered(
                path, f"mako template does not render ({detail}); ifupdown2 and netguard read it as written"
            )
        )
        return text


def read_interfaces(
    path: str = DEFAULT_INTERFACES,
    rules: str = IFUPDOWN,
    notes: list[TemplateNotRendered] | None = None,
    marks: dict[str, set[str]] | None = None,
) -> list[Stanza]:
    """Every iface stanza of the file and what it sources, in the implementation's order;
    the templates read as written (ifupdown2's rules) are appended to notes, and each
    interface's `auto` / `allow-CLASS` lines to marks ({iface: {"auto", "hotplug", ...}})."""
    stanzas = _read(
        path, rules, set(), notes if notes is not None else [], marks if marks is not None else {}
    )
    if rules != IFUPDOWN_NG:
        return stanzas
    merged: dict[str, Stanza] = {}  # ifupdown-ng: one interface, one set of options
    for stanza in stanzas:
        if stanza.iface in merged:
            merged[stanza.iface].options.extend(stanza.options)
        else:
            merged[stanza.iface] = stanza._replace(family="", options=list(stanza.options))
    return list(merged.values())


def _read(
    path: str, rules: str, seen: set[str], notes: list[TemplateNotRendered], marks: dict[str, set[str]]
) -> list[Stanza]:
    real = os.path.realpath(path)
    if real in seen:
        return []
    seen.add(real)
    stanzas: list[Stanza] = []
    current: Stanza | None = None
    base = os.path.dirname(path)
    # ifupdown2 knows no mapping, no-auto-down or no-scripts, and has `vlan NAME` stanzas (a bridge's vlan).
    ends = _STANZA_STARTS if rules != IFUPDOWN2 else _IFUPDOWN2_STARTS
    for number, text in _logical_lines(path, rules, notes):
        words = text.split()
        if not words:
            continue
        keyword = words[0]
        if keyword in ends or _ALLOW.match(keyword):
            current = None
            if keyword == "auto" or _ALLOW.match(keyword):
                mark = "auto" if keyword in ("auto", "allow-auto") else keyword[len("allow-") :]
                for iface in words[1:]:
                    marks.setdefault(iface, set()).add(mark)
            elif keyword in ("iface", "vlan") and len(words) >= 2:
                current = _iface(words, path, number, stanzas, rules)
                stanzas.append(current)
            elif keyword == "source" and len(words) >= 2:
                pattern = words[1] if os.path.isabs(words[1]) else os.path.join(base, words[1])
                for included in sorted(glob.glob(pattern)):
                    stanzas.extend(_read(included, rules, seen, notes, marks))
            elif keyword == "source-directory" and len(words) >= 2:
                pattern = words[1] if os.path.isabs(words[1]) else os.path.join(base, words[1])
                for directory in sorted(glob.glob(pattern)):  # ifupdown2 takes a wildcard here too
                    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
                        if _SOURCE_DIRECTORY_NAME.match(name):
                            stanzas.extend(_read(os.path.join(directory, name), rules, seen, notes, marks))
        elif current is not None:
            value = " ".join(words[1:])
            if rules == IFUPDOWN2:
                value = value.replace("$IFACE", current.iface)
            current.options.append(OptionLine(keyword, value, path, number))
    return stanzas
