"""Messages to stderr in the one format ifupdown users read.

`netguard: IFACE: option: what happened; what to do`. Warnings always show;
info lines only when ifupdown runs verbose (VERBOSITY=1) or the CLI asks.
"""

from __future__ import annotations

import sys

_verbose = False


def set_verbose(verbose: bool) -> None:
    global _verbose
    _verbose = verbose


def _line(iface: str, option: str, text: str) -> str:
    return ": ".join(p for p in ("netguard", iface, option, text) if p)


def warn(iface: str, option: str, text: str) -> None:
    print(_line(iface, option, "warning: " + text), file=sys.stderr, flush=True)


def info(iface: str, option: str, text: str) -> None:
    if _verbose:
        print(_line(iface, option, text), file=sys.stderr, flush=True)


def error(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
