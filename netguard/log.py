"""Messages in the one format ifupdown users read, on stderr and in the journal.

`netguard: IFACE: option: what happened; what to do`. Warnings always show;
info lines only when ifupdown runs verbose (VERBOSITY=1) or the CLI asks.
A hook also sends every line to syslog (identifier `netguard`, priority by
severity): at boot nobody reads the console, and ifupdown2 throws away the
stderr of a hook that succeeds, so `journalctl -t netguard -b` is where the
admin finds what happened. Tracebacks go there only, never to the console.
"""

from __future__ import annotations

import sys

_verbose = False
_journal = False
said: list[tuple[str, str]] = []  # (severity, line) of every warning and error, for the outcome record


def set_verbose(verbose: bool) -> None:
    global _verbose
    _verbose = verbose


def to_journal() -> None:
    """From now on, every line also goes to syslog (the hook; the CLI's output has its own place)."""
    global _journal
    import syslog

    syslog.openlog("netguard", syslog.LOG_PID, syslog.LOG_DAEMON)
    _journal = True


def _send(priority_name: str, line: str) -> None:
    if _journal:
        import syslog

        syslog.syslog(getattr(syslog, priority_name), line)


def line(iface: str, option: str, text: str) -> str:
    return ": ".join(p for p in ("netguard", iface, option, text) if p)


def _shown(message: str) -> str:
    """Every line, wherever it goes, through errors.escaped: a name holding a control
    character or a byte that is not UTF-8 never reaches a terminal or the journal raw."""
    from netguard.errors import escaped

    return escaped(message)


def warn(iface: str, option: str, text: str) -> None:
    message = _shown(line(iface, option, "warning: " + text))
    said.append(("warning", message))
    print(message, file=sys.stderr, flush=True)
    _send("LOG_WARNING", message)


def info(iface: str, option: str, text: str) -> None:
    message = _shown(line(iface, option, text))
    if _verbose:
        print(message, file=sys.stderr, flush=True)
    _send("LOG_INFO", message)


def error(message: str) -> None:
    message = _shown(message)
    said.append(("failed", message))
    print(message, file=sys.stderr, flush=True)
    _send("LOG_ERR", message)


def traceback_to_journal(message: str) -> None:
    """The current exception's traceback, for the journal only (one entry), from the hook and the CLI."""
    import traceback

    if not _journal:
        to_journal()
    _send("LOG_ERR", message + "\n" + traceback.format_exc())
