"""The VM tier's harness: Debian's own kernel booted under QEMU (TCG), udev and systemd running.

One Guest per release: the root that tests/vm/make-root made (kept under
out/vm/RELEASE) is copied once per test session into a work directory, the
checkout's .deb installed there, and each boot gets an ext4 image made from
it with the case's files written in (mkfs.ext4 -d; a few seconds). The
guest's NIC is QEMU's user network (its router advertisements give SLAAC a
prefix; its DHCP server sent the guest's dhclient no offer here, so no case
uses DHCP) at PCI slot 3, so udev renames eth0 to ens3 as on the Debian
installer's machines. QEMU runs in a network namespace of the test's own
with nothing but a loopback that is down, so the guest reaches nothing
beyond QEMU itself. The guest's checker (guest_check.py,
started by `systemd.wants=` on the kernel command line) prints one JSON line
on the serial console and powers off; every boot is bounded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from tests.sandbox import run, unique_name

HERE = Path(__file__).parent
BOOT_BOUND = 420  # seconds from QEMU's start to the checker's line (TCG; ~40-70 s measured)
MARK = "NETGUARD-VM-RESULT "
CHECK_UNIT = """\
[Unit]
Description=netguard VM tier: what a unit ordered after network-online.target finds
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/bin/python3 /usr/lib/netguard-vmtest/guest_check.py
"""


def write_in(tree: Path, relative: str, text: str) -> None:
    """Write a file of the guest's tree through a path resolved inside it: a symlink there
    (Debian's sites-enabled/default -> /etc/nginx/...) is replaced, never followed, since
    followed from the host it names the host's own file."""
    path = tree / relative
    if path.is_symlink():
        path.unlink()
    path.write_text(text)


class Guest:
    """A release's root with the package installed, booted once per case."""

    def __init__(self, root: Path, deb: Path, work: Path) -> None:
        self.work = work
        self.tree = work / "tree"
        if self.tree.exists():
            shutil.rmtree(self.tree)
        work.mkdir(parents=True, exist_ok=True)
        run("cp", "-a", str(root), str(self.tree))
        shutil.copy(deb, self.tree / "tmp/netguard.deb")
        run("chroot", str(self.tree), "dpkg", "-i", "/tmp/netguard.deb")
        (self.tree / "tmp/netguard.deb").unlink()
        (self.tree / "usr/lib/netguard-vmtest").mkdir(parents=True, exist_ok=True)
        shutil.copy(HERE / "guest_check.py", self.tree / "usr/lib/netguard-vmtest/guest_check.py")
        self.write("etc/systemd/system/netguard-vmcheck.service", CHECK_UNIT)
        (self.tree / "etc/netguard-vmtest").mkdir(exist_ok=True)
        # node_exporter's textfile directory: netguard writes its metrics where it exists
        (self.tree / "var/lib/prometheus/node-exporter").mkdir(parents=True, exist_ok=True)
        self.write("etc/fstab", "/dev/vda / ext4 rw,errors=remount-ro 0 1\n")
        boot = self.tree / "boot"
        self.kernel = next(boot.glob("vmlinuz-*"))
        self.initrd = next(boot.glob("initrd.img-*"))

    def write(self, relative: str, text: str) -> None:
        write_in(self.tree, relative, text)

    def boot(self, interfaces: str, case: dict, log_name: str) -> dict:
        """One boot with these interfaces(5) and case; the checker's result (with "boot_seconds")."""
        self.write("etc/network/interfaces", interfaces)
        self.write("etc/netguard-vmtest/case.json", json.dumps(case))
        image = self.work / "disk.img"
        run("mkfs.ext4", "-q", "-F", "-d", str(self.tree), str(image), "3G")
        console = self.work / f"{log_name}.console"
        netns = unique_name("ngvm")
        run("ip", "netns", "add", netns)
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                ["ip", "netns", "exec", netns, "qemu-system-x86_64", "-accel", "tcg", "-smp", "2",
                 "-m", "1536", "-display", "none", "-monitor", "none", "-no-reboot",
                 "-serial", f"file:{console}", "-kernel", str(self.kernel), "-initrd", str(self.initrd),
                 "-append", "root=/dev/vda rw console=ttyS0 quiet systemd.show_status=0 "
                            "systemd.wants=netguard-vmcheck.service",
                 "-drive", f"file={image},format=raw,if=none,id=disk",
                 "-device", "virtio-blk-pci,drive=disk,addr=0x4",
                 "-netdev", "user,id=net,ipv6=on,ipv6-prefix=2001:db8:7::,ipv6-prefixlen=64",
                 "-device", "virtio-net-pci,netdev=net,addr=0x3"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            try:
                _, stderr = process.communicate(timeout=BOOT_BOUND)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                raise AssertionError(f"no poweroff within {BOOT_BOUND} s; console: {console}") from None
        finally:
            run("ip", "netns", "del", netns, check=False)
        took = time.monotonic() - started
        text = console.read_text(errors="replace")
        lines = [line for line in text.splitlines() if line.startswith(MARK)]
        assert lines, f"no result line (qemu: {stderr.decode(errors='replace')[-500:]}); console: {console}"
        result = json.loads(lines[-1][len(MARK) :])
        assert "error" not in result, result
        result["boot_seconds"] = round(took, 1)
        return result


def guest_of(name: str, work: Path) -> Guest:
    """The named root (NETGUARD_VM_ROOTS) with this checkout's .deb (NETGUARD_DEB), after
    checking that both, QEMU and mkfs.ext4 are there (a missing one fails in CI)."""
    from tests.conftest import require

    root = release_roots().get(name)
    deb = Path(os.environ.get("NETGUARD_DEB", "/nonexistent"))
    if root is None or not (root / ".netguard-vm-root").exists():
        require(f"no VM root {name} (NETGUARD_VM_ROOTS; make check makes it with tests/vm/make-root)")
    if not deb.is_file():
        require("NETGUARD_DEB names no .deb of this checkout (make check builds it)")
    for tool in ("qemu-system-x86_64", "mkfs.ext4"):
        if not any(
            Path(d, tool).exists() for d in [*os.environ.get("PATH", "").split(":"), "/sbin", "/usr/sbin"]
        ):
            require(f"{tool} is not installed (packages qemu-system-x86, e2fsprogs)")
    assert root is not None
    return Guest(root, deb, work)


def release_roots() -> dict[str, Path]:
    """NETGUARD_VM_ROOTS="bookworm=/path,trixie=/path" (make check sets it)."""
    roots = {}
    for item in os.environ.get("NETGUARD_VM_ROOTS", "").split(","):
        name, _, path = item.partition("=")
        if name and path:
            roots[name] = Path(path)
    return roots
