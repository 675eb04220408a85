"""Throwaway network namespaces with real ifupdown inside, for the root tiers.

`ip netns exec NS ...` bind-mounts every entry of /etc/netns/NS/ over /etc,
so a namespace gets its own /etc/network (interfaces file, hook
directories) and /etc/netguard, and the real `ifup` runs the checkout's hooks
against a veth that lives only in that namespace. Everything made here is
removed by close(), which the fixtures call even when a test fails.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import json
import os
import re
import select
import shutil
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

from netguard.context import HOOK_NAMES

CHECKOUT = Path(__file__).resolve().parent.parent
HOOK_DIRS = ("if-pre-up.d", "if-up.d", "if-down.d", "if-post-down.d")
# NETGUARD_TEST_INSTALLED=1 (autopkgtest, CI): test what the package installed.
INSTALLED = os.environ.get("NETGUARD_TEST_INSTALLED") == "1"
SHIM = Path("/usr/lib/netguard/netguard") if INSTALLED else CHECKOUT / "ifupdown-hooks" / "netguard"
SHIPPED_CONFIG = Path("/etc/netguard/netguard.conf") if INSTALLED else CHECKOUT / "debian" / "netguard.conf"

# Per-test state, cache and ifupdown state live here: not under /run, which
# ifupdown2's test runner replaces with a private tmpfs.
TEST_BASE = Path("/tmp/netguard-tests")

# The blog's race: ifupdown waits for the primary address, not for the up-line one.
RACE_STANZA = """\
iface eth0 inet6 static
    address 2001:db8::1/64
    up ip -6 addr add 2001:db8::2/64 dev eth0
"""
RACE_ADDRESSES = ["2001:db8::1", "2001:db8::2"]

_counter = itertools.count()


def unique_name(prefix: str) -> str:
    """Short (IFNAMSIZ is 16), unique per run and per call."""
    return f"{prefix}{os.getpid() % 100000}x{next(_counter)}"


def leftovers() -> list[str]:
    """Namespaces, /etc/netns entries and state dirs of this test run that still exist."""
    marker = re.compile(rf"^ng\w*?{os.getpid() % 100000}x\d+$")
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
    found = [f"netns {n}" for n in listed if marker.match(n)]
    for base in (Path("/etc/netns"), TEST_BASE):
        if base.is_dir():
            found += [str(base / n) for n in os.listdir(base) if marker.match(n)]
    return found


def host_state() -> list[tuple[str, int]]:
    """What is in the host's /run/netguard (the default State-Dir): no test may change it."""
    found = []
    for root, _dirs, files in os.walk("/run/netguard"):
        found += [(os.path.join(root, name), os.stat(os.path.join(root, name)).st_mtime_ns) for name in files]
    return sorted(found) + ([("/run/netguard", 0)] if os.path.isdir("/run/netguard") else [])


def private_run(command: list[str]) -> list[str]:
    """The command in a mount namespace of its own with an empty /run when root: a hook run
    outside a sandbox records outcomes under the default State-Dir, which is the host's."""
    if os.geteuid() != 0:
        return command
    return ["unshare", "-m", "sh", "-c", 'mount -t tmpfs tmpfs /run && exec "$@"', "sh", *command]


def run(*argv: str, check: bool = True, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=timeout, **kwargs)


PRIVATE_DIR = "/usr/share/netguard"  # where the package installs its modules (debian/rules)
# Where a test's own subprocess imports netguard from: the checkout, or the installed package.
IMPORT_PATH = PRIVATE_DIR if INSTALLED else str(CHECKOUT)
ISOLATED_HOOK = (
    'sys.path.insert(0, "/usr/share/netguard"); sys.path.append("/usr/lib/python3/dist-packages"); '
    "from netguard.hook import run; run()"
)


def hook_wrapper() -> str:
    """The checkout's shim as it runs in a sandbox: the same script, the checkout put
    first on the isolated interpreter's sys.path in its one exec line, where the
    package's private directory stands.

    `python3 -I` ignores PYTHONPATH (that is the point of it), so the checkout
    is put on sys.path explicitly; everything else is the shim's own text.
    """
    shim = SHIM.read_text()
    assert shim.count(ISOLATED_HOOK) == 1, "the shim's exec line changed; update ISOLATED_HOOK"
    return shim.replace(ISOLATED_HOOK, ISOLATED_HOOK.replace(f'"{PRIVATE_DIR}"', f'"{CHECKOUT}"'))


STATUS_SCHEMA = (
    Path("/usr/share/netguard/status.schema.json") if INSTALLED else CHECKOUT / "docs" / "status.schema.json"
)


def jsonschema():
    try:
        import jsonschema
    except ImportError:
        from tests.conftest import require

        require("python3-jsonschema is not installed (make deps installs it)")
        raise
    return jsonschema


def validate_status(text: str) -> dict:
    """`netguard status --json` against its published schema (python3-jsonschema)."""
    report = json.loads(text)
    jsonschema().validate(report, json.loads(STATUS_SCHEMA.read_text()))
    return report


class Namespace:
    """A network namespace with its own /etc/netns/NAME tree."""

    def __init__(self, prefix: str = "ng") -> None:
        self.name = unique_name(prefix)
        self.etc = Path("/etc/netns") / self.name
        run("ip", "netns", "add", self.name)
        self.etc.mkdir(parents=True)
        self.exec("ip", "link", "set", "lo", "up")

    def exec(self, *argv: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        return run("ip", "netns", "exec", self.name, *argv, check=check, timeout=timeout)

    def kill(self, word: bytes) -> None:
        """SIGKILL the processes of this namespace whose command line holds word: pkill sees
        every process of the host (namespaces share its PID namespace), other tests' too."""
        import signal

        for pid in run("ip", "netns", "pids", self.name, check=False).stdout.split():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    if word in handle.read():
                        os.kill(int(pid), signal.SIGKILL)
            except (OSError, ValueError):
                pass

    def popen(self, *argv: str) -> subprocess.Popen:
        """A process left running inside the namespace (the caller ends and waits for it)."""
        return subprocess.Popen(["ip", "netns", "exec", self.name, *argv], stdout=subprocess.PIPE)

    def popen_python(self, code: str, *args: str) -> subprocess.Popen:
        return self.popen("/usr/bin/python3", "-c", code, *args)

    def python(self, code: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run Python code inside the namespace with the checkout importable."""
        return run(
            "ip", "netns", "exec", self.name, "/usr/bin/python3", "-c", code, *args,
            check=check, env={**os.environ, "PYTHONPATH": IMPORT_PATH},
        )  # fmt: skip

    def netguard(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """The netguard command inside the namespace (the installed one under autopkgtest)."""
        command = ["/usr/sbin/netguard"] if INSTALLED else ["/usr/bin/python3", "-m", "netguard"]
        done = run(
            "ip", "netns", "exec", self.name, *command, *args,
            check=check, env={**os.environ, "PYTHONPATH": IMPORT_PATH},
        )  # fmt: skip
        if args[:1] == ("status",) and "--json" in args and done.returncode == 0:
            validate_status(done.stdout)  # every status --json of every test, held to the schema
        return done

    def sysctl(self, key: str, value: int | str) -> None:
        self.exec("sysctl", "-q", "-w", f"{key}={value}")

    def close(self) -> None:
        run("ip", "netns", "del", self.name, check=False)
        shutil.rmtree(self.etc, ignore_errors=True)


class IfupdownHost(Namespace):
    """A namespace set up for real ifup/ifdown with netguard's hooks."""

    def __init__(self, prefix: str = "ng", config: str = "") -> None:
        super().__init__(prefix)
        self.state_dir = str(TEST_BASE / self.name / "ifstate")
        os.makedirs(self.state_dir)
        network = self.etc / "network"
        for directory in HOOK_DIRS:
            (network / directory).mkdir(parents=True)
            hook = network / directory / HOOK_NAMES[directory]
            if INSTALLED:
                shutil.copy(Path("/etc/network") / directory / HOOK_NAMES[directory], hook)
            else:
                hook.write_text(hook_wrapper())
            hook.chmod(0o755)
        netguard_etc = self.etc / "netguard"
        netguard_etc.mkdir()
        self.netguard_state = TEST_BASE / self.name / "netguard"
        self.netguard_cache = TEST_BASE / self.name / "cache"
        self._iproute2_names()
        if "metrics-dir:" not in config.lower():
            config += "Metrics-Dir:\n"  # off: never the host's node_exporter directory
        (netguard_etc / "netguard.conf").write_text(
            f"State-Dir: {self.netguard_state}\nCache-Dir: {self.netguard_cache}\n{config}"
        )

    def _iproute2_names(self) -> None:
        """/etc/iproute2 for the namespace: the host's files plus netguard's protocol name."""
        target = self.etc / "iproute2"
        if Path("/etc/iproute2").is_dir():
            shutil.copytree("/etc/iproute2", target, symlinks=True)
        protos = target / "rt_protos.d"
        protos.mkdir(parents=True, exist_ok=True)
        source = (
            Path("/etc/iproute2/rt_protos.d/netguard.conf")
            if INSTALLED
            else CHECKOUT / "debian" / "rt_protos.conf"
        )
        shutil.copy(source, protos / "netguard.conf")

    def write_resolv_conf(self, text: str) -> None:
        (self.etc / "resolv.conf").write_text(text)

    def write_interfaces(self, text: str) -> None:
        (self.etc / "network" / "interfaces").write_text(textwrap.dedent(text))

    def ifup(self, iface: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        return self.exec("ifup", "-v", "--state-dir", self.state_dir, iface, check=check, timeout=timeout)

    def ifup_then_bind(self, iface: str, addresses: list[str]) -> dict:
        """ifup, then bind() at once on each address and the link-local one (bindprobe.py)."""
        return self.ifup_then_bind_with(["ifup", "--state-dir", self.state_dir, iface], iface, addresses)

    def ifup_then_bind_with(self, command: list[str], iface: str, addresses: list[str]) -> dict:
        probe = str(CHECKOUT / "tests" / "bindprobe.py")
        result = self.exec("/usr/bin/python3", probe, iface, *addresses, "--", *command, timeout=120)
        return json.loads(result.stdout)

    def ifdown(self, iface: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.exec("ifdown", "-v", "--state-dir", self.state_dir, iface, check=check)

    def close(self) -> None:
        super().close()
        shutil.rmtree(TEST_BASE / self.name, ignore_errors=True)


def veth(left: Namespace, left_name: str, right: Namespace, right_name: str) -> None:
    """A veth pair with one end in each namespace (names are per namespace)."""
    # Created inside the namespaces: never an interface in the host's.
    run(
        "ip",
        "-n",
        left.name,
        "link",
        "add",
        left_name,
        "type",
        "veth",
        "peer",
        "name",
        right_name,
        "netns",
        right.name,
    )


def linked_pair(make_host, make_namespace, config: str = "") -> tuple[IfupdownHost, Namespace]:
    """An ifupdown host whose eth0 is a veth to a peer namespace, peer end up."""
    host = make_host("ngh", config)
    peer = make_namespace("ngp")
    veth(host, "eth0", peer, "eth0")
    peer.exec("ip", "link", "set", "eth0", "up")
    return host, peer


def ensure_etc_mountpoint(name: str) -> bool:
    """`ip netns exec` can only bind-mount over an existing /etc/NAME; True if created here."""
    target = Path("/etc") / name
    if target.exists():
        return False
    target.mkdir(mode=0o755)
    return True


class AddressMonitor:
    """`ip -ts monitor address` in a namespace: when did the kernel change a flag?

    Started before the action under test. `ip monitor` has no readiness
    signal, so a marker address is added on lo (again, until its event shows)
    to know the monitor is subscribed before the test goes on.
    """

    def __init__(self, namespace: Namespace) -> None:
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", namespace.name, "ip", "-ts", "monitor", "address"],
            stdout=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        self.fd = self.process.stdout.fileno()
        self.output = b""
        marker = f"2001:db8:ffff::{next(_counter) + 1:x}"
        deadline = time.monotonic() + 10
        while marker.encode() not in self.output:
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("ip monitor did not start")
            namespace.exec("ip", "-6", "addr", "replace", f"{marker}/128", "dev", "lo", "nodad")
            self._read(0.2)
            namespace.exec("ip", "-6", "addr", "del", f"{marker}/128", "dev", "lo", check=False)

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            self.output += os.read(self.fd, 65536)

    def stop(self) -> list[tuple[float, str]]:
        """Every event as (UNIX time, text)."""
        self.process.terminate()
        rest, _ = self.process.communicate(timeout=10)
        events = []
        for line in (self.output + rest).decode().splitlines():
            if line.startswith("["):
                stamp, text = line[1:].split("]", 1)
                events.append((datetime.datetime.fromisoformat(stamp).timestamp(), text))
        return events


def first_event(events: list[tuple[float, str]], address: str, *, has: str = "", lacks: str = "") -> float:
    for stamp, text in events:
        if f" {address}/" in text and (not has or has in text) and (not lacks or lacks not in text):
            return stamp
    raise AssertionError(f"no event for {address} (has {has!r}, lacks {lacks!r}) in {events}")


@contextlib.contextmanager
def throwaway_link(host_prefix: str, peer_prefix: str) -> Iterator[tuple[IfupdownHost, Namespace]]:
    """For the demo and benchmarks: an ifupdown host and a peer joined by eth0, removed on exit."""
    created = [name for name in ("netguard", "iproute2") if ensure_etc_mountpoint(name)]
    host = IfupdownHost(host_prefix)
    peer = Namespace(peer_prefix)
    try:
        veth(host, "eth0", peer, "eth0")
        peer.exec("ip", "link", "set", "eth0", "up")
        yield host, peer
    finally:
        host.close()
        peer.close()
        for name in created:
            os.rmdir(f"/etc/{name}")


SYSLOG_RECEIVER = textwrap.dedent(
    """\
    import socket, sys
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(sys.argv[1])
    receiver.settimeout(60)
    print("ready", flush=True)
    try:
        while True:
            message = receiver.recv(65536).decode(errors="replace")
            if message.endswith("netguard-test-end"):
                break
            print(message.replace("\\n", " | "), flush=True)
    except OSError:
        pass
    """
)


def private_syslog(directory: Path) -> tuple[str, str]:
    """Shell lines (before, after) for a private mount namespace whose /dev/log is a
    datagram socket of the test's, as journald or rsyslog offer it; what arrives is
    in directory/received once `after` has run (it ends the receiver)."""
    (directory / "receiver.py").write_text(SYSLOG_RECEIVER)
    socket_path, received = directory / "log.sock", directory / "received"
    before = textwrap.dedent(
        f"""\
        mkdir -p {directory}/olddev && mount --rbind /dev {directory}/olddev
        mount -t tmpfs tmpfs /dev
        for node in null zero urandom random; do touch /dev/$node; mount --bind {directory}/olddev/$node /dev/$node; done
        /usr/bin/python3 {directory}/receiver.py {socket_path} > {received} &
        n=0; while ! grep -q ready {received}; do n=$((n+1)); [ $n -lt 200 ] || exit 90; sleep 0.05; done
        ln -s {socket_path} /dev/log
        """
    )
    after = f"logger -u {socket_path} netguard-test-end; wait\n"
    return before, after
