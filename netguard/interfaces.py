"""A reader of /etc/network/interfaces that sees netguard's options as the hooks receive them.

`netguard check`, `refresh` and `status` need the stanzas with their file
and line numbers (ifquery gives neither, and is not there under every
ifupdown), and each stanza's IF_* environment exactly as ifupdown 0.8
exports it: option names folded (case, `-` as `_`, other characters
dropped), repeats of one spelling newline-joined, the later of two
spellings of one variable winning, a template's options `inherits`-ed.
Follows `source` (globs) and `source-directory`, relative to the including
file; lines split on `\n` only; backslash continuations; `#` comments at
line start; `no-auto-down` and `no-scripts` end a stanza; ifupdown2's
family-less stanzas (`iface swp1`) are kept.
"""

from __future__ import annotations

import glob
import os
import re
from typing import NamedTuple

from netguard.errors import EXIT_CONFIG, NetguardError
from netguard.options import OPTIONS_BY_NAME

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
_ALLOW = re.compile(r"^allow-")


class OptionLine(NamedTuple):
    name: str
    value: str
    path: str
    line: int


class Stanza(NamedTuple):
    iface: str
    family: str
    method: str
    path: str
    line: int
    options: list[OptionLine]  # appended to while the file is read

    def netguard_options(self) -> list[OptionLine]:
        """The lines that reach a netguard option's variable, under their canonical name."""
        return [
            o._replace(name=NETGUARD_ENV[env_key(o.name)])
            for o in self.options
            if env_key(o.name) in NETGUARD_ENV
        ]

    def env(self) -> dict[str, str]:
        """The IF_* variables ifupdown 0.8 exports: one per spelling, repeats newline-joined,
        exported in order of first appearance, so a later spelling of one variable wins."""
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


def _logical_lines(path: str) -> list[tuple[int, str]]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            raw = handle.read(MAX_BYTES).split("\n")  # ifupdown splits on \n only
    except OSError as err:
        raise InterfacesError(
            f"cannot read {path}: {err.strerror}; fix the file or the source line naming it"
        ) from None
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


def _iface(words: list[str], path: str, number: int, earlier: list[Stanza]) -> Stanza:
    """`iface NAME [FAMILY [METHOD]] [inherits TEMPLATE]`: the template's options come first."""
    inherited: list[OptionLine] = []
    if "inherits" in words[2:]:
        at = words.index("inherits", 2)
        template = words[at + 1] if at + 1 < len(words) else ""
        words = words[:at]
        for stanza in reversed(earlier):
            if stanza.iface == template:
                inherited = list(stanza.options)
                break
    family = words[2] if len(words) > 2 else ""
    method = words[3] if len(words) > 3 else ""
    return Stanza(words[1], family, method, path, number, inherited)


def read_interfaces(path: str = DEFAULT_INTERFACES, _seen: set[str] | None = None) -> list[Stanza]:
    """Every iface stanza of the file and what it sources, in ifupdown's order."""
    seen = _seen if _seen is not None else set()
    real = os.path.realpath(path)
    if real in seen:
        return []
    seen.add(real)
    stanzas: list[Stanza] = []
    current: Stanza | None = None
    base = os.path.dirname(path)
    for number, text in _logical_lines(path):
        words = text.split()
        if not words:
            continue
        keyword = words[0]
        if keyword in _STANZA_STARTS or _ALLOW.match(keyword):
            current = None
            if keyword == "iface" and len(words) >= 2:
                current = _iface(words, path, number, stanzas)
                stanzas.append(current)
            elif keyword == "source" and len(words) >= 2:
                pattern = words[1] if os.path.isabs(words[1]) else os.path.join(base, words[1])
                for included in sorted(glob.glob(pattern)):
                    stanzas.extend(read_interfaces(included, seen))
            elif keyword == "source-directory" and len(words) >= 2:
                pattern = words[1] if os.path.isabs(words[1]) else os.path.join(base, words[1])
                for directory in sorted(glob.glob(pattern)):  # ifupdown2 takes a wildcard here too
                    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
                        if _SOURCE_DIRECTORY_NAME.match(name):
                            stanzas.extend(read_interfaces(os.path.join(directory, name), seen))
        elif current is not None:
            current.options.append(OptionLine(keyword, " ".join(words[1:]), path, number))
    return stanzas
