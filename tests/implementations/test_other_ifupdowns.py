"""The same hooks under ifupdown-ng and ifupdown2, Debian's packages unpacked (both conflict with ifupdown).

ifupdown-ng runs if-{pre-up,up,down,post-down}.d with PHASE pre-up/up/down/
post-down, exports no ADDRFAM and ignores hook failures. ifupdown2 exports
PHASE=up/down too, a comma-joined ADDRFAM, keeps the caller's environment,
and adds static addresses before the pre-up hooks (the link is still down).
NETGUARD_IFUPDOWN_NG and NETGUARD_IFUPDOWN2 name the unpacked trees (`make
check` makes them with `apt-get download` and `dpkg -x`).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import require
from tests.sandbox import CHECKOUT, INSTALLED, linked_pair, private_syslog

pytestmark = pytest.mark.ifupdown

TREES = {"ifupdown-ng": "NETGUARD_IFUPDOWN_NG", "ifupdown2": "NETGUARD_IFUPDOWN2"}
# ifupdown2 runs netguard as hook scripts, or as its addon once addons.conf names it.
VARIANTS = ("ifupdown-ng", "ifupdown2", "ifupdown2+addon")
ADDRESSES = ["2001:db8::1", "2001:db8::2"]
ADDON = CHECKOUT / "ifupdown-hooks" / "ifupdown2"
OPT_IN = Path("/usr/share/netguard/ifupdown2-addons.conf") if INSTALLED else ADDON / "addons.conf"


def stanza(implementation: str, options: str) -> str:
    head = "iface eth0\n" if implementation == "ifupdown-ng" else "auto eth0\niface eth0 inet6 static\n"
    return head + "    address 2001:db8::1/64\n    up ip -6 addr add 2001:db8::2/64 dev eth0\n" + options


def program(tree: Path, verb: str) -> Path:
    """ifup/ifdown of an unpacked tree, or the installed ones when the tree is /.
    Debian 13's ifupdown-ng names them ifup-ng/ifdown-ng (plain ifup is in ifupdown-ng-compat)."""
    for candidate in (
        f"bin/{verb}",
        f"sbin/{verb}",
        f"usr/sbin/{verb}",
        f"sbin/{verb}-ng",
        f"usr/sbin/{verb}-ng",
    ):
        if (tree / candidate).exists():
            return tree / candidate
    raise AssertionError(f"no {verb} under {tree}")


class Implementation:
    def __init__(self, variant: str, tree: Path, host, logs: Path) -> None:
        self.name, _, addon = variant.partition("+")
        self.addon, self.tree, self.host, self.logs = bool(addon), tree, host, logs
        network = host.etc / "network"
        if self.name == "ifupdown-ng":
            shutil.copy(tree / "etc/network/ifupdown-ng.conf", network / "ifupdown-ng.conf")
            return
        shutil.copytree(tree / "etc/network/ifupdown2", network / "ifupdown2")
        conf = network / "ifupdown2" / "ifupdown2.conf"
        conf.write_text(
            conf.read_text().replace("state_dir=/var/tmp/network/", f"state_dir={host.state_dir}/")
        )
        if self.addon:
            if tree != Path("/"):  # the package installs it there; an unpacked tree gets it here
                addons = tree / "usr/share/ifupdown2/addons"
                (addons / "netguard.py").unlink(
                    missing_ok=True
                )  # the addon's name before it imported the package
                shutil.copy(ADDON / "netguard_ifupdown2.py", addons / "netguard_ifupdown2.py")
            with open(network / "ifupdown2" / "addons.conf", "a") as addons:  # the documented opt-in
                addons.write(OPT_IN.read_text())

    def command(self, verb: str, *args: str) -> list[str]:
        if self.name == "ifupdown-ng":
            return [str(program(self.tree, verb)), "-E", f"{self.tree}/usr/libexec/ifupdown-ng",
                    "-S", f"{self.host.state_dir}/ng.state", *(args or ("eth0",))]  # fmt: skip
        # ifupdown2 locks /run/network/.lock: give it a private /run instead of the host's,
        # and a private /dev/log, to see what the journal would get.
        logs = self.logs / str(len(list(self.logs.glob("*"))) if self.logs.exists() else 0)
        logs.mkdir(parents=True)
        before, after = private_syslog(logs)
        run = (
            f"/usr/bin/python3 {program(self.tree, verb)}"
            if self.tree != Path("/")
            else program(self.tree, verb)
        )
        if not INSTALLED:  # the addon imports the package: the checkout's, here
            run = f"PYTHONPATH={CHECKOUT} {run}"
        arguments = " ".join(args or ("eth0",))
        script = f"mount -t tmpfs tmpfs /run && mkdir /run/network\n{before}{run} {arguments}\nrc=$?\n{after}exit $rc\n"
        return ["unshare", "-m", "sh", "-c", script]

    def journal(self) -> str:
        return "".join(received.read_text() for received in sorted(self.logs.glob("*/received")))


@pytest.fixture(params=VARIANTS)
def implementation(request, make_host, make_namespace, tmp_path):
    name = request.param.partition("+")[0]
    tree = Path(os.environ.get(TREES[name], "/nonexistent"))
    if not (tree / "etc" / "network" / ("ifupdown2" if name == "ifupdown2" else "ifupdown-ng.conf")).exists():
        require(f"{TREES[name]} does not name an unpacked or installed (/) {name} (make check makes one)")
    host, peer = linked_pair(make_host, make_namespace, "Reject-Allow-Special: yes\n")
    made = Implementation(request.param, tree, host, tmp_path / "syslog")
    made.peer = peer
    return made


def routes(host, family: str) -> str:
    return host.exec("ip", family, "route", "show", "proto", "netguard").stdout


def test_wait_dad_and_reject_asn(implementation):
    host = implementation.host
    listing = host.netguard_state.parent / "as64500.txt"
    listing.write_text("2001:db8:100::/48\n198.51.100.0/24\n")
    host.netguard("import", "64500", str(listing))
    host.write_interfaces(stanza(implementation.name, "    wait-dad 10\n    reject-asn 64500\n"))
    for _ in range(3):
        result = host.ifup_then_bind_with(implementation.command("ifup"), "eth0", ADDRESSES)
        assert result["rc"] == 0, result["stderr"]
        assert result["bind"] == {"2001:db8::1": 0, "2001:db8::2": 0, "link-local": 0}
        # An IPv6 stanza (ifupdown-ng: inferred from its addresses) installs IPv6 prefixes only.
        assert routes(host, "-6").startswith("unreachable 2001:db8:100::/48")
        assert routes(host, "-4") == ""
        host.exec(*implementation.command("ifdown"))
        assert routes(host, "-6") == ""


def test_dad_off(implementation):
    host = implementation.host
    host.write_interfaces(stanza(implementation.name, "    dad off\n"))
    result = host.ifup_then_bind_with(implementation.command("ifup"), "eth0", ADDRESSES)
    assert result["bind"] == {"2001:db8::1": 0, "2001:db8::2": 0, "link-local": 0}
    assert host.exec("cat", "/proc/sys/net/ipv6/conf/eth0/accept_dad").stdout.strip() == "0"


# What each implementation does with a failing or warning hook, as README and
# netguard-interfaces(5) say: ifupdown2 logs a failing script and exits 0, and
# drops a succeeding script's stderr; as an addon, netguard fails ifup and its
# warnings show. Everywhere, the journal and `netguard status` have the line.
DUPLICATE = "netguard: eth0: wait-dad: duplicate address 2001:db8::1: another host"
BAD_VALUE = "netguard: eth0: wait-dad: bad value 'soon'; accepted: yes, no"
NOT_CACHED = "netguard: eth0: reject-asn: warning: AS64501"


def observe(implementation, options: str) -> tuple[int, str, str]:
    """ifup with these options: (exit code, what the user saw, what `netguard status` says)."""
    implementation.host.write_interfaces(stanza(implementation.name, options))
    result = implementation.host.exec(*implementation.command("ifup"), check=False, timeout=120)
    status = implementation.host.netguard("status", "eth0").stdout
    return result.returncode, result.stderr, status


def test_a_duplicated_primary_address_fails_ifup_only_where_a_hook_can(implementation):
    implementation.peer.exec("ip", "-6", "addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad")
    rc, seen, status = observe(implementation, "    wait-dad 8\n")
    assert rc == (1 if implementation.addon else 0), seen  # ifupdown2 and ifupdown-ng ignore hook failures
    assert DUPLICATE in seen  # ifupdown2: inside its "error: eth0 : eth0: up cmd ... failed" line
    assert re.search(r"post-up \S+ failed: " + re.escape(DUPLICATE), status), status
    if implementation.name == "ifupdown2":
        assert DUPLICATE in implementation.journal()
    if implementation.addon:
        assert f"error: {DUPLICATE}" in seen


def test_a_bad_value_fails_pre_up_only_where_a_hook_can(implementation):
    rc, seen, status = observe(implementation, "    wait-dad soon\n")
    assert rc == (1 if implementation.addon else 0), seen
    assert BAD_VALUE in seen
    assert re.search(r"pre-up \S+ failed: " + re.escape(BAD_VALUE), status), status
    if implementation.name == "ifupdown2":
        assert BAD_VALUE in implementation.journal()
    if implementation.addon:  # once: pre-up failed, so the addon does not run up (ifupdown would stop)
        assert seen.count(BAD_VALUE) == 1, seen


def test_a_warning_shows_except_from_an_ifupdown2_script(implementation):
    rc, seen, status = observe(implementation, "    reject-asn 64501\n")
    assert rc == 0, seen
    assert re.search(r"post-up \S+ warning: " + re.escape(NOT_CACHED), status), status
    if implementation.name == "ifupdown2":
        assert NOT_CACHED in implementation.journal()
    # ifupdown2 drops the stderr of a script that succeeds: only the journal and status have it.
    assert (NOT_CACHED in seen) == (implementation.name == "ifupdown-ng" or implementation.addon), seen


@pytest.mark.parametrize("implementation", ["ifupdown2+addon"], indirect=True)
def test_ifquery_check_holds_dad_and_wait_dad_against_the_kernel(implementation):
    host = implementation.host
    host.write_interfaces(stanza("ifupdown2", "    dad off\n    wait-dad 5\n"))
    host.exec(*implementation.command("ifup"))
    check = host.exec(*implementation.command("ifquery", "--check", "eth0"), check=False).stdout
    assert re.search(r"\n\s+dad off\s+\[pass\]\n", check) and re.search(
        r"\n\s+wait-dad 5\s+\[pass\]\n", check
    ), check
    host.sysctl("net.ipv6.conf.eth0.accept_dad", 1)  # someone turned DAD back on
    check = host.exec(*implementation.command("ifquery", "--check", "eth0"), check=False)
    assert check.returncode != 0 and re.search(r"\n\s+dad off\s+\[fail\]\n", check.stdout), check.stdout


@pytest.mark.parametrize("implementation", ["ifupdown2+addon"], indirect=True)
def test_ifquery_check_says_dad_off_does_not_hold_while_all_accept_dad_forces_it(implementation):
    """The kernel uses max(all, interface): eth0's 0 alone leaves DAD on (the addon's own copy said pass)."""
    host = implementation.host
    host.write_interfaces(stanza("ifupdown2", "    dad off\n"))
    host.exec(*implementation.command("ifup"))
    assert host.exec("cat", "/proc/sys/net/ipv6/conf/eth0/accept_dad").stdout.strip() == "0"
    host.sysctl("net.ipv6.conf.all.accept_dad", 1)
    check = host.exec(*implementation.command("ifquery", "--check", "eth0"), check=False)
    assert check.returncode != 0 and re.search(r"\n\s+dad off\s+\[fail\]\n", check.stdout), check.stdout
    host.sysctl("net.ipv6.conf.all.accept_dad", 0)
    check = host.exec(*implementation.command("ifquery", "--check", "eth0"), check=False)
    assert re.search(r"\n\s+dad off\s+\[pass\]\n", check.stdout), check.stdout


@pytest.mark.parametrize("implementation", ["ifupdown2+addon"], indirect=True)
def test_the_addon_passes_every_reject_asn_line(implementation):
    """ifupdown2 exports only the first line to scripts; the addon passes them all, as ifupdown does."""
    host = implementation.host
    listing = host.netguard_state.parent / "as.txt"
    listing.write_text("2001:db8:100::/48\n")
    host.netguard("import", "64500", str(listing))
    listing.write_text("2001:db8:200::/48\n")
    host.netguard("import", "64501", str(listing))
    host.write_interfaces(stanza("ifupdown2", "    reject-asn 64500\n    reject-asn 64501\n"))
    host.exec(*implementation.command("ifup"))
    installed = routes(host, "-6")
    assert "2001:db8:100::/48" in installed and "2001:db8:200::/48" in installed, installed
    host.exec(*implementation.command("ifdown"))
    assert routes(host, "-6") == ""


def ipv4_stanza(implementation: str, options: str) -> str:
    head = "iface eth0\n" if implementation == "ifupdown-ng" else "auto eth0\niface eth0 inet static\n"
    return head + "    address 192.0.2.10/24\n" + options


def test_ipv4_dad_names_the_other_host_under_each(implementation):
    """What the user sees of an IPv4 conflict: the line everywhere; a failed ifup only where hook
    failures count (ifupdown2's addon; ifupdown-ng and ifupdown2's scripts log and go on)."""
    host, peer = implementation.host, implementation.peer
    peer.exec("ip", "addr", "add", "192.0.2.10/24", "dev", "eth0")
    other = peer.exec("cat", "/sys/class/net/eth0/address").stdout.strip()
    host.write_interfaces(ipv4_stanza(implementation.name, "    ipv4-dad on\n"))
    result = host.exec(*implementation.command("ifup"), check=False)
    seen = result.stdout + result.stderr + implementation.journal()
    assert f"ipv4-dad: 192.0.2.10 is in use by {other}" in seen, seen
    assert result.returncode == (1 if implementation.addon else 0), seen
    status = host.netguard("status", "--json").stdout
    assert "in use" in status and other in status, status


def test_ipv4_dad_lets_a_free_address_up_under_each(implementation):
    host = implementation.host
    host.write_interfaces(ipv4_stanza(implementation.name, "    ipv4-dad on\n"))
    result = host.exec(*implementation.command("ifup"), check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "192.0.2.10" in host.exec("ip", "-4", "addr", "show", "dev", "eth0").stdout
    assert '"free"' in host.netguard("status", "--json").stdout


@pytest.mark.parametrize("implementation", ["ifupdown2+addon"], indirect=True)
def test_ipv4_dad_probes_ifupdown2s_further_addresses_in_post_up(implementation):
    """ifupdown2 stanzas may hold several addresses: the first is probed in pre-up, the rest after."""
    host, peer = implementation.host, implementation.peer
    peer.exec("ip", "addr", "add", "192.0.2.11/24", "dev", "eth0")
    other = peer.exec("cat", "/sys/class/net/eth0/address").stdout.strip()
    host.write_interfaces(ipv4_stanza("ifupdown2", "    address 192.0.2.11/24\n    ipv4-dad on\n"))
    result = host.exec(*implementation.command("ifup"), check=False)
    seen = result.stdout + result.stderr
    assert result.returncode == 1 and f"ipv4-dad: 192.0.2.11 is in use by {other}" in seen, seen
    status = host.netguard("status", "--json").stdout
    assert '"192.0.2.10"' in status and '"free"' in status and "in use" in status, status
