"""netguard as an ifupdown2 addon: failures fail ifup, warnings show.

ifupdown2 runs /etc/network/if-*.d scripts too, but it logs a failing
script and still exits 0, and throws away what a succeeding script says.
Loaded as an addon, netguard runs the very same hook script (the one
ifupdown2 then skips, because an addon of that name is loaded) with the
environment ifupdown2 gives scripts, and reports through ifupdown2: a hook
that fails raises, so the interface is marked failed and ifup exits 1; each
line of a hook that succeeds is a warning on ifupdown2's console.
`ifquery --check` checks `dad` and `wait-dad` against the kernel.

ifupdown2 loads only the addons its conffile names, so this is an opt-in,
one line (netguard-interfaces(5)):
    cat /usr/share/netguard/ifupdown2-addons.conf >> /etc/network/ifupdown2/addons.conf
Without it, the hooks run as scripts and the journal (`journalctl -t
netguard`) and `netguard status` are where failures show.

This module is named netguard, so it cannot import the netguard package in
ifupdown2's process: the attribute names below are checked against
netguard's option table by a test.
"""

import os
import subprocess
import tempfile
from typing import ClassVar

try:
    from ifupdown2.ifupdownaddons.modulebase import moduleBase
except (ImportError, ModuleNotFoundError):
    from ifupdownaddons.modulebase import moduleBase

# ifupdown2 operation -> the hook directory ifupdown would have run for it.
HOOK_DIRS = {"pre-up": "if-pre-up.d", "up": "if-up.d", "down": "if-down.d", "post-down": "if-post-down.d"}
SEE = "see netguard-interfaces(5)"
_TENTATIVE, _DADFAILED = 0x40, 0x08  # IFA_F_* in /proc/net/if_inet6


class netguard(moduleBase):  # ifupdown2 finds the class by the module's name
    """ifupdown2 addon: netguard's options, run by its hook, failures reported to ifupdown2."""

    _modinfo: ClassVar[dict] = {
        "mhelp": "IPv6 at boot: DAD control, waiting for usable addresses, unreachable routes per AS",
        "attrs": {
            "dad": {
                "help": "Duplicate Address Detection: off, on, optimistic; " + SEE,
                "example": ["dad off"],
            },
            "wait-dad": {
                "help": "ifup returns when no IPv6 address is tentative: yes, no or seconds; " + SEE,
                "example": ["wait-dad 5"],
            },
            "wait-dad-failure": {
                "help": "what wait-dad does when an address is not usable: fail, warn; " + SEE,
                "example": ["wait-dad-failure warn"],
            },
            "reject-asn": {
                "help": "unreachable routes for the prefixes these ASes originate; " + SEE,
                "example": ["reject-asn 174"],
            },
            "reject-asn-except": {
                "help": "prefixes kept reachable despite reject-asn; " + SEE,
                "example": ["reject-asn-except 2001:db8:100::/48"],
            },
            "reject-asn-probe": {
                "help": "targets whose reachability decides whether reject-asn applies; " + SEE,
                "example": ["reject-asn-probe [2001:db8::1]:443"],
            },
        },
    }

    def __init__(self, *args, **kwargs):
        moduleBase.__init__(self, *args, **kwargs)
        self._failed = set()  # interfaces whose pre-up failed in this run

    def run(self, ifaceobj, operation, query_ifaceobj=None, **extra_args):
        if operation == "query-checkcurr":
            self._check(ifaceobj, query_ifaceobj)
        elif operation in HOOK_DIRS:
            self._hook(ifaceobj, operation)

    def get_ops(self):
        return [*HOOK_DIRS, "query-checkcurr"]

    def _hook(self, ifaceobj, operation):
        script = hook_script(operation)
        if not os.access(script, os.X_OK):
            return  # as ifupdown2 does with a script that is not there
        if operation == "up" and ifaceobj.name in self._failed:
            self._failed.discard(ifaceobj.name)
            return  # pre-up failed: under ifupdown, ifup would have stopped there
        env = dict(os.environ)
        env.update(ifaceobj.get_env())
        env.update(
            IFACE=ifaceobj.name,
            LOGICAL=ifaceobj.name,
            METHOD=ifaceobj.addr_method or "",
            ADDRFAM=",".join(ifaceobj.addr_family or []),
            MODE="start" if "up" in operation else "stop",
            PHASE=operation,
        )
        # The hook bounds its own waits and fetches (every one has a deadline). Its
        # stderr goes to a file, not a pipe: a watcher it leaves running (wait-dad's,
        # until post-up) keeps stderr open and must not hold ifup.
        with tempfile.TemporaryFile() as said:
            done = subprocess.run(
                [script], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=said
            )
            said.seek(0)
            lines = [line for line in said.read().decode("utf-8", "replace").splitlines() if line.strip()]
        if done.returncode == 0:
            for line in lines:
                self.logger.warning(line)
            return
        if operation == "pre-up":
            self._failed.add(ifaceobj.name)
        for line in lines[:-1]:
            self.logger.warning(line)
        fallback = f"netguard: {ifaceobj.name}: {operation} failed (exit {done.returncode}); see journalctl -t netguard"
        raise Exception(lines[-1] if lines else fallback)

    def _check(self, ifaceobj, query_ifaceobj):
        """`ifquery --check`: dad against the interface's sysctls, wait-dad against its addresses."""
        name = ifaceobj.name
        dad = ifaceobj.get_attr_value_first("dad")
        if dad:
            query_ifaceobj.update_config_with_status("dad", dad, 0 if _dad_holds(name, dad) else 1)
        wait = ifaceobj.get_attr_value_first("wait-dad")
        if wait:
            unusable = _unusable_addresses(name)
            query_ifaceobj.update_config_with_status("wait-dad", wait, 1 if unusable else 0)


def hook_script(operation):
    """The script ifupdown2 would have run for this operation (and skips while this addon is loaded)."""
    return f"/etc/network/{HOOK_DIRS[operation]}/netguard"


def _sysctl(iface, key):
    try:
        with open(f"/proc/sys/net/ipv6/conf/{iface}/{key}") as handle:
            return handle.read().strip()
    except OSError:
        return None


def _dad_holds(iface, value):
    word = value.strip().lower()
    if word in ("off", "no", "false", "0"):
        return _sysctl(iface, "accept_dad") == "0"
    if word == "optimistic":
        return _sysctl(iface, "optimistic_dad") == "1"
    return _sysctl(iface, "accept_dad") not in (None, "0")


def _unusable_addresses(iface):
    """Addresses of the interface still tentative or found duplicate."""
    found = []
    try:
        with open("/proc/net/if_inet6") as handle:
            for row in handle:
                fields = row.split()
                if len(fields) == 6 and fields[5] == iface and int(fields[4], 16) & (_TENTATIVE | _DADFAILED):
                    found.append(fields[0])
    except OSError:
        pass
    return found
