"""The only module that writes to the kernel or /proc.

Everything else plans; this module carries out WriteSysctl (and, for
reject-asn, route changes) and turns OS errors into one user-ready line.
"""

from __future__ import annotations

import errno
import os

from netguard.actions import MarkOptimistic, WriteSysctl
from netguard.errors import NetguardError
from netguard.state import IFA_F_OPTIMISTIC


def write_sysctl(action: WriteSysctl, iface: str) -> None:
    try:
        with open(action.path, "w", encoding="ascii") as handle:
            handle.write(f"{action.value}\n")
    except OSError as err:
        hint = "run as root" if err.errno in (errno.EACCES, errno.EPERM) else "check that IPv6 is enabled"
        raise NetguardError(
            f"cannot write {action.path}: {err.strerror}; {hint}", iface, action.option
        ) from None


def mark_optimistic(action: MarkOptimistic, iface: str) -> None:
    """RTM_NEWADDR with NLM_F_REPLACE on the existing address: DAD goes on, bind() works now."""
    from pyroute2 import IPRoute
    from pyroute2.netlink.exceptions import NetlinkError

    try:
        with IPRoute() as ipr:
            indexes = ipr.link_lookup(ifname=iface)
            if not indexes:
                raise NetguardError(f"{iface} disappeared", iface, action.option)
            ipr.addr(
                "replace",
                index=indexes[0],
                address=action.address,
                prefixlen=action.prefixlen,
                flags=IFA_F_OPTIMISTIC,
            )
    except NetlinkError as err:
        raise NetguardError(
            f"cannot mark {action.address} optimistic: {os.strerror(err.code)}; "
            "check optimistic_dad support (CONFIG_IPV6_OPTIMISTIC_DAD)",
            iface,
            action.option,
        ) from None
