"""The exceptions netguard raises, and the exit codes they map to.

Every failure a user can see is one of these, carrying the interface, the
option and the fix, so that one place (hook.py, cli.py) turns it into one
line on stderr and one exit code.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1  # the thing asked for did not happen (DAD failed, timeout)
EXIT_CONFIG = 2  # bad option value or configuration file
EXIT_TIMEOUT = 3  # a bounded wait ran out
EXIT_INTERRUPTED = 130  # Ctrl-C

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
    """A line for a terminal: every character that would act on it (ESC, CR, BEL...) written as
    Python would escape it; names from files and the kernel are not trusted to print."""
    if line.isprintable():
        return line
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in line)


def unexpected(err: BaseException) -> str:
    """One line for an exception nobody planned for; the traceback goes to the journal."""
    detail = " ".join(str(err).split())[:MAX_SHOWN_VALUE]
    return (
        f"unexpected {type(err).__name__}"
        + (f" ({detail})" if detail else "")
        + ("; the details are in the journal (journalctl -t netguard); please report it")
    )


class OptionError(NetguardError):
    """A stanza option has a value netguard does not accept."""

    exit_code = EXIT_CONFIG


class ConfigError(NetguardError):
    """/etc/netguard/netguard.conf is unreadable or has a bad value."""

    exit_code = EXIT_CONFIG


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
