"""Hostile conditions that need root to stage: a full disk, an unprivileged user, syslog as the journal sees it.

Each: one line (or none), no traceback, nothing changed that should not be.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.sandbox import CHECKOUT, IMPORT_PATH, INSTALLED, hook_wrapper, private_syslog

pytestmark = pytest.mark.netns

COMMAND = ["/usr/sbin/netguard"] if INSTALLED else [sys.executable, "-m", "netguard"]
ENV = {**os.environ, "PYTHONPATH": IMPORT_PATH}


def test_disk_full_during_import_is_one_line_and_leaves_no_file(tmp_path, make_namespace):
    make_namespace()  # the tier's capability check (root)
    cache = tmp_path / "cache"
    cache.mkdir()
    config = tmp_path / "netguard.conf"
    config.write_text(f"Cache-Dir: {cache}\n")
    listing = tmp_path / "list"
    listing.write_text("".join(f"2001:db8:{n:x}::/48\n" for n in range(5000)))
    script = f'mount -t tmpfs -o size=16k tmpfs {cache} && exec "$@"'
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", *COMMAND, "--config", str(config), "import", "64500", str(listing)],
        env=ENV, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert (
        result.stderr
        == f"netguard: AS64500: cannot write to {cache}: No space left on device; the cache is as it was\n"
    )
    assert "Traceback" not in result.stderr
    assert os.listdir(cache) == []  # the tmpfs is gone with the mount namespace; nothing leaked underneath


@pytest.fixture
def open_dir():
    """A directory any user can read (pytest's tmp_path is root's alone)."""
    import shutil
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp(prefix="netguard-open-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_status_as_an_unprivileged_user_works(open_dir, make_namespace):
    namespace = make_namespace()
    tmp_path = open_dir
    state = tmp_path / "state"
    (state / "reject").mkdir(parents=True)
    (state / "reject" / "inet6.eth0").write_bytes(
        b"netguard-wants: 3\nasns: 64500\nexcept: \ngateway: \nprobes: \ninputs: x\ncount: 0\n\n"
    )
    config = tmp_path / "netguard.conf"
    config.write_text(f"State-Dir: {state}\nCache-Dir: {tmp_path / 'cache'}\n")
    interfaces = tmp_path / "interfaces"
    interfaces.write_text("iface eth0 inet6 manual\n    reject-asn 64500\n")
    for path in (tmp_path, state, state / "reject"):
        path.chmod(0o755)
    result = namespace.exec(
        "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", f"PYTHONPATH={CHECKOUT}",
        *COMMAND, "--config", str(config), "status", "-i", str(interfaces), check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "eth0" in result.stdout and "Traceback" not in result.stderr


def test_every_warning_and_error_of_a_hook_reaches_syslog(tmp_path, make_namespace):
    """/dev/log, as journald or rsyslog offer it, is a private socket here (a mount namespace of the test's)."""
    make_namespace()
    hook = tmp_path / "if-up.d" / "netguard"
    hook.parent.mkdir()
    hook.write_text(hook_wrapper() if not INSTALLED else Path("/usr/lib/netguard/netguard").read_text())
    hook.chmod(0o755)
    before, after = private_syslog(tmp_path)
    script = (
        "set -e\n"
        "mount -t tmpfs tmpfs /run\n"  # the hook's State-Dir (/run/netguard) stays out of the host's /run
        + before
        + textwrap.dedent(
            f"""\
            env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin IFACE=ngnosuch0 ADDRFAM=inet6 METHOD=manual PHASE=post-up \\
                IF_REJECT_ASN=64500 IF_WAIT_DAD=perhaps {hook} 2> {tmp_path}/stderr || true
            env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin IFACE=ngnosuch0 ADDRFAM=inet6 METHOD=manual PHASE=pre-up \\
                IF_DAD=off {hook} 2>> {tmp_path}/stderr || true
            """
        )
        + after
    )
    subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], check=True, timeout=60)
    said = [line for line in (tmp_path / "stderr").read_text().splitlines() if line.startswith("netguard")]
    received = (tmp_path / "received").read_text()
    assert len(said) >= 2, said
    for line in said:  # every line the user saw, the journal got, with its identifier
        assert line in received, (line, received)
    assert "netguard[" in received
