"""The exceptions netguard raises, and the exit codes they map to.

Every failure a user can see is one of these, carrying the interface, the
option and the fix, so that one place (hook.py, cli.py) turns it into one
line on stderr and one exit code.
"""

from __future__ import annotations

import os

EXIT_OK = 0
EXIT_FAILURE = 1  # the thing asked for did not happen (DAD failed, timeout)
EXIT_CONFIG = 2  # bad option value or configuration file
EXIT_TIMEOUT = 3  # a bounded wait ran out
EXIT_INTERRUPTED = 130  # Ctrl-C
EXIT_TERMINATED = 143  # SIGTERM, as a shell reports it

# The error policy, one word per step (features declare theirs):
FAIL = "fail"  # the step guards correctness: its failure fails the phase (bad values always do)
WARN = "warn"  # best effort (reject-asn): every failure, expected or not, is a warning
AS_CONFIGURED = "wait-dad-failure"  # the stanza's wait-dad-failure decides: fail or warn
MAX_SHOWN_VALUE = 80  # characters of a user's value echoed in a message


class NetguardError(Exception):
    """A failure with a message already fit for the user."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, iface: str = "", option: str = "") -> None:
        super().__init__(message)
        self.iface = iface
        self.option = option
        self.message = message

    def line(self) -> str:
        """Format as `netguard: IFACE: option: message` (parts may be absent)."""
        parts = ["netguard"]
        if self.iface:
            parts.append(self.iface)
        if self.option:
            parts.append(self.option)
        parts.append(self.message)
        return ": ".join(parts)


def shown(value: str) -> str:
    """A user's value as a message quotes it: repr, at most MAX_SHOWN_VALUE characters, elided."""
    text = repr(value)
    if len(text) <= MAX_SHOWN_VALUE:
        return text
    return f"{text[: MAX_SHOWN_VALUE - 20]}...{text[-10:]} ({len(value)} characters)"


def escaped(line: str) -> str:
    """The one escaping of text netguard shows (terminal, journal, JSON, Prometheus labels).

    Kernel names are bytes: Python holds a byte that is not UTF-8 as a lone
    surrogate (os.fsdecode), shown here as `\\xNN`; every character that would
    act on a terminal (C0 and C1 controls such as ESC or U+009B CSI, DEL,
    invisible formatting) as Python escapes it (`\\x9b`, `\\u200e`). Printable
    text, UTF-8 letters included (`wlän0`), is shown as it is."""
    if line.isprintable():
        return line
    return "".join(
        char
        if char.isprintable()
        else f"\\x{ord(char) - 0xDC00:02x}"
        if "\udc80" <= char <= "\udcff"
        else repr(char)[1:-1]
        for char in line
    )


# An OSError on a path netguard reads or writes is planned for, whatever call raised it: the
# path and what to do, by errno (a read-only or full State-Dir, a directory where a file goes).
_FIXES = {
    "EROFS": "the file system is read-only; make it writable, or move State-Dir/Cache-Dir "
    "(/etc/netguard/netguard.conf) to one that is",
    "ENOSPC": "the file system is full; free space on it",
    "EDQUOT": "the disk quota is used up; free space or raise the quota",
    "EISDIR": "a directory stands where netguard keeps a file; remove it",
    "ENOTDIR": "a file stands where netguard needs a directory (or above it); remove it",
    "ENOTEMPTY": "a leftover directory stands in the way; remove it",
    "EEXIST": "a leftover stands in the way; remove it",
    "EACCES": "permission denied; run as root, or check its owner and mode",
    "EPERM": "not permitted; run as root, or check its owner and attributes (lsattr)",
    "ELOOP": "a symlink stands there; netguard does not follow links here: remove it",
    "EMLINK": "too many links in that directory; remove leftovers from it",
}


def planned(err: BaseException) -> str | None:
    """The one line for an OSError naming a path, or None when it names none."""
    import errno

    if not isinstance(err, OSError) or not err.filename or err.errno is None:
        return None
    fix = _FIXES.get(errno.errorcode.get(err.errno, ""))
    if fix is None:
        return None
    path = os.fsdecode(err.filename)
    other = f" -> {os.fsdecode(err.filename2)}" if err.filename2 else ""
    return f"{shown_path(path)}{other}: {err.strerror}; {fix}"


def shown_path(path: str) -> str:
    return escaped(path) if len(path) <= 300 else escaped(path[:200]) + "..."


def unexpected(err: BaseException) -> str:
    """One line for an exception: a planned OSError's path and fix (planned()), else what nobody
    planned for, said as such; the traceback goes to the journal."""
    known = planned(err)
    if known:
        return known
    detail = " ".join(str(err).split())[:MAX_SHOWN_VALUE]
    return (
        f"unexpected {type(err).__name__}"
        + (f" ({detail})" if detail else "")
        + ("; the details are in the journal (journalctl -t netguard); please report it")
    )


class Terminated(BaseException):
    """SIGTERM (systemd stopping networking.service, or its start timeout): not an error any
    step's policy may swallow; the hook says so in one line and records it, then exits."""


def terminate_on_sigterm() -> None:
    """SIGTERM raises Terminated in the main thread (_signal: no enum import for a hook run)."""
    import _signal

    def terminated(signum: int, frame: object) -> None:
        raise Terminated

    _signal.signal(_signal.SIGTERM, terminated)


class OptionError(NetguardError):
    """A stanza option has a value netguard does not accept."""

    exit_code = EXIT_CONFIG


class ConfigError(NetguardError):
    """/etc/netguard/netguard.conf is unreadable or has a bad value; key: the Config field it
    concerns ("" when the whole file is unusable)."""

    exit_code = EXIT_CONFIG

    def __init__(self, message: str, iface: str = "", option: str = "", key: str = "") -> None:
        super().__init__(message, iface, option)
        self.key = key


class DadFailed(NetguardError):
    """The kernel found another host using one of our addresses."""

    exit_code = EXIT_FAILURE


class WaitTimeout(NetguardError):
    """A bounded wait ended with addresses still tentative."""

    exit_code = EXIT_TIMEOUT


def exit_now(code: int) -> None:
    """Exit without interpreter teardown, which costs ~50-90 ms once pyroute2 is loaded.

    ifup (and a service's ExecStartPre) waits for our exit, so that teardown
    would sit between "the address settled" and "the service starts".
    Nothing is left to clean up: the kernel closes our sockets.
    """
    import os
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
