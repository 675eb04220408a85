"""A reader of /etc/network/interfaces for netguard's own options.

`netguard check`, `refresh` and `status` need the stanzas with their file
and line numbers (ifquery gives neither, and is not there under every
ifupdown). Follows `source` (globs) and `source-directory` like ifupdown
0.8 and ifupdown2; backslash continuations; `#` comments at line start.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field

from netguard.errors import EXIT_CONFIG, NetguardError
from netguard.options import OPTIONS_BY_NAME

DEFAULT_INTERFACES = "/etc/network/interfaces"
MAX_BYTES = 4 * 1024 * 1024  # far more than any interfaces file; a device named here cannot hang us
_SOURCE_DIRECTORY_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")  # run-parts rules, as ifupdown uses
_STANZA_STARTS = {"iface", "mapping", "auto", "source", "source-directory", "rename"}
_ALLOW = re.compile(r"^allow-")


@dataclass(frozen=True)
class OptionLine:
    name: str
    value: str
    path: str
    line: int


@dataclass
class Stanza:
    iface: str
    family: str
    method: str
    path: str
    line: int
    options: list[OptionLine] = field(default_factory=list)

    def netguard_options(self) -> list[OptionLine]:
        return [o for o in self.options if o.name in OPTIONS_BY_NAME]

    def env(self) -> dict[str, str]:
        """The IF_* variables ifupdown 0.8 would export (repeats newline-joined)."""
        values: dict[str, list[str]] = {}
        for option in self.options:
            values.setdefault(option.name, []).append(option.value)
        return {"IF_" + name.upper().replace("-", "_"): "\n".join(v) for name, v in values.items()}


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
            if keyword == "iface" and len(words) >= 4:
                current = Stanza(words[1], words[2], words[3], path, number)
                stanzas.append(current)
            elif keyword == "source" and len(words) >= 2:
                pattern = words[1] if os.path.isabs(words[1]) else os.path.join(base, words[1])
                for included in sorted(glob.glob(pattern)):
                    stanzas.extend(read_interfaces(included, seen))
            elif keyword == "source-directory" and len(words) >= 2:
                directory = words[1] if os.path.isabs(words[1]) else os.path.join(base, words[1])
                for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
                    if _SOURCE_DIRECTORY_NAME.match(name):
                        stanzas.extend(read_interfaces(os.path.join(directory, name), seen))
        elif current is not None:
            current.options.append(OptionLine(keyword, " ".join(words[1:]), path, number))
    return stanzas
