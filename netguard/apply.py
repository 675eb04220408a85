"""The only module that writes to the kernel or /proc.

Everything else plans; this module carries out WriteSysctl (and, for
reject-asn, route changes) and turns OS errors into one user-ready line.
"""

from __future__ import annotations

import errno

from netguard.actions import WriteSysctl
from netguard.errors import NetguardError


def write_sysctl(action: WriteSysctl, iface: str) -> None:
    try:
        with open(action.path, "w", encoding="ascii") as handle:
            handle.write(f"{action.value}\n")
    except OSError as err:
        hint = "run as root" if err.errno in (errno.EACCES, errno.EPERM) else "check that IPv6 is enabled"
        raise NetguardError(
            f"cannot write {action.path}: {err.strerror}; {hint}", iface, action.option
        ) from None
