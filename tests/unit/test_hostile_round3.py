"""Hostile round 3 (issue 21), classes that need no root: links, FIFOs, names, records, the shim.

Each case is written from its class: root must never write through a link,
never block on a FIFO, never put an unchecked interface name in a path, and
never trust a record beyond what netguard itself could have written.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from netguard import applied, outcome, sentinel
from netguard.context import context_from_env as _from_env
from netguard.context import iface_refusal
from netguard.errors import NetguardError
from netguard.safefile import UnsafeFile, own_directory
from tests.sandbox import IMPORT_PATH, SHIM, private_run
from tests.unit.test_cache import run_import


def context_from_env(env, script_path=""):
    """The hook's context, with the options the catalogue parses (as hook.py builds it)."""
    from netguard.catalogue import parse_options

    return _from_env(env, script_path, parse_options)


@pytest.fixture
def state(tmp_path):
    where = tmp_path / "state"
    where.mkdir(mode=0o755)
    return where


@pytest.mark.parametrize("subdir", ["applied", "outcome", "watch", "ipv4-dad", "reject"])
def test_a_subdirectory_planted_as_a_link_is_refused_and_nothing_is_written_through_it(
    state, tmp_path, subdir
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (state / subdir).symlink_to(elsewhere)
    with pytest.raises(UnsafeFile, match="not a directory"):
        own_directory(str(state / subdir))
    with pytest.raises(UnsafeFile):
        applied.save(
            str(state), "eth0", applied.Applied({}, {"inet6"})
        ) if subdir == "applied" else own_directory(str(state / subdir))
    outcome.record(str(state), "eth0", "pre-up", "ok", "")  # best effort: refused quietly
    assert list(elsewhere.iterdir()) == []


def test_a_subdirectory_others_can_write_is_refused(state):
    (state / "applied").mkdir(mode=0o777)
    os.chmod(state / "applied", 0o777)
    with pytest.raises(UnsafeFile, match="others can write it"):
        own_directory(str(state / "applied"))


def test_the_watchers_pid_file_is_never_written_through_a_link(state, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (state / "watch").mkdir()
    (state / "watch" / "eth0").symlink_to(victim)
    sentinel.start("eth0", 1, str(state))
    assert victim.read_text() == "precious\n"
    assert not (state / "watch" / "eth0").is_symlink()  # the link itself was replaced, not followed
    sentinel.stop(str(state), "eth0")


def test_a_fifo_as_the_watchers_pid_file_never_blocks(state):
    (state / "watch").mkdir()
    os.mkfifo(state / "watch" / "eth0")
    started = time.monotonic()
    sentinel.stop(str(state), "eth0")
    assert time.monotonic() - started < 1


def test_a_pid_whose_command_line_merely_mentions_the_watcher_gets_no_signal(state):
    decoy = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "netguard.sentinel", "eth0", str(state)]
    )
    try:
        (state / "watch").mkdir()
        (state / "watch" / "eth0").write_text(f"{decoy.pid}\n")
        sentinel.stop(str(state), "eth0")
        time.sleep(0.2)
        assert decoy.poll() is None  # still alive: not a watcher, so not signalled
    finally:
        decoy.kill()
        decoy.wait()


@pytest.mark.parametrize("name", ["..", ".", "a/b", "../../etc", "eth 0", "x" * 16, "tab\tx", "nl\nx"])
def test_an_interface_name_the_kernel_would_refuse_is_refused_before_any_path_is_made(name):
    assert iface_refusal(name)
    with pytest.raises(NetguardError, match="IFACE"):
        context_from_env({"IFACE": name, "ADDRFAM": "inet6", "PHASE": "pre-up", "IF_DAD": "off"})


@pytest.mark.parametrize("name", ["eth0", "eth0.100", "eth0:1", "br-lan", "wg0", "x" * 15, "enp0s31f6:10"])
def test_real_names_pass(name):
    assert iface_refusal(name) is None


def test_the_hook_given_a_climbing_iface_writes_nothing_outside_state_dir(tmp_path):
    config = tmp_path / "netguard.conf"
    state = tmp_path / "state"
    config.write_text(f"State-Dir: {state}\n")
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": IMPORT_PATH,
        "IFACE": "../../escaped",
        "ADDRFAM": "inet6",
        "PHASE": "pre-up",
        "IF_DAD": "maybe",
    }
    done = subprocess.run(
        private_run([sys.executable, "-m", "netguard.hook", "/etc/network/if-pre-up.d/netguard"]),
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "IFACE '../../escaped' is not an interface name" in done.stderr
    assert not (tmp_path / "escaped").exists()


def test_a_record_names_only_what_netguard_could_have_written(state):
    (state / "applied").mkdir()
    (state / "applied" / "eth0").write_text(
        "sysctl /proc/sys/net/ipv6/conf/eth0/../../ipv4/ip_forward 1\n"
        "sysctl /proc/sys/net/ipv6/conf/eth1/accept_dad 0\n"
        "sysctl /proc/sys/net/ipv6/conf/eth0/forwarding 1\n"
        "sysctl /proc/sys/net/ipv6/conf/eth0/accept_dad 99999999999\n"
        "sysctl /proc/sys/net/ipv6/conf/eth0/accept_dad 1\n"
    )
    assert applied.load(str(state), "eth0").sysctls == {"/proc/sys/net/ipv6/conf/eth0/accept_dad": 1}


def shim_decides(config_text: bytes | None, state, fifo: bool = False) -> str:
    """Whether the shim (Python swapped for `true`) would run Python for eth0 with no option set."""
    conf = state.parent / "netguard.conf"
    if fifo:
        os.mkfifo(conf)
    elif config_text is not None:
        conf.write_bytes(config_text)
    script = SHIM.read_text().replace("exec /usr/bin/python3", "exec true")
    script = script.replace("/etc/netguard/netguard.conf", str(conf))
    env = {"PATH": "/usr/bin:/bin", "IFACE": "eth0", "PHASE": "pre-down"}
    done = subprocess.run(
        ["sh", "-x", "-c", script, str(SHIM)], env=env, capture_output=True, text=True, timeout=5
    )
    return "python" if "+ exec true" in done.stderr else "none"


@pytest.mark.parametrize(
    "text",
    [b"State-Dir: {s}", b"State-Dir : {s}\n", b"state-dir:{s}\n", b"# x\nCache-Dir: /x\nState-Dir:  {s}  \n"],
    ids=["no-final-newline", "space-before-colon", "no-space", "padded"],
)
def test_the_shim_finds_the_record_where_python_does(state, text):
    from netguard.config import parse_config

    body = text.replace(b"{s}", str(state).encode())
    assert parse_config(body.decode()).state_dir == str(state)  # Python's reading
    (state / "applied").mkdir()
    (state / "applied" / "eth0").write_text("reject inet6\n")
    assert shim_decides(body, state) == "python"


def test_a_fifo_as_netguard_conf_never_blocks_the_shim(state):
    started = time.monotonic()
    shim_decides(None, state, fifo=True)  # (whatever the default State-Dir of this host holds)
    assert time.monotonic() - started < 2


def test_import_never_wipes_a_good_entry_with_an_empty_list_or_a_silent_pipe(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("".join(f"2001:db8:{n:x}::/48\n" for n in range(10)))
    assert run_import(tmp_path, "64500", str(good)).returncode == 0
    before = (tmp_path / "cache" / "AS64500").read_bytes()
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    silent = tmp_path / "fifo"
    os.mkfifo(silent)
    for source in (empty, silent):
        result = run_import(tmp_path, "64500", str(source))
        assert result.returncode == 2 and b"no prefix in it" in result.stderr, result.stderr
        assert (tmp_path / "cache" / "AS64500").read_bytes() == before
    shrunk = tmp_path / "shrunk.txt"
    shrunk.write_text("2001:db8::/48\n")
    result = run_import(tmp_path, "64500", str(shrunk))
    assert result.returncode == 2 and b"shrank by more than half; cache kept" in result.stderr
    assert (tmp_path / "cache" / "AS64500").read_bytes() == before
    assert run_import(tmp_path, "64500", str(shrunk), "--force").returncode == 0
    assert (tmp_path / "cache" / "AS64500").read_bytes() != before


def test_status_lines_never_carry_a_terminal_escape():
    from netguard.commands.status import render

    report = {
        "interfaces": {
            "eth0\x1b]2;pwned\x07": {
                "exists": False, "carrier": False, "options": {"wait-dad": "5"}, "outcomes": {},
                "addresses": [], "ipv4_dad": {}, "waits": {}, "reject": {},
            }
        },
        "routes": {}, "problems": ["\x1b[2Jcleared"], "cache": {},
        "rules": {"implementation": "ifupdown", "chosen": "detected", "not_rendered": []},
    }  # fmt: skip
    text = render(report)
    assert "\x1b" not in text and "\x07" not in text
    assert "eth0\\x1b]2;pwned\\x07 (absent)" in text


def test_fetch_errors_never_echo_credentials():
    from netguard.prefixes.sources import FetchError, http_get

    with pytest.raises(FetchError) as refused:
        http_get("http://user:secret@127.0.0.1:9/netguard/AS1", 2, 1000, "mirror")
    assert "secret" not in refused.value.message and "user" not in refused.value.message
    assert "http://...@127.0.0.1:9/netguard/AS1" in refused.value.message


def test_check_given_a_fifo_or_a_fifo_in_a_source_directory_never_blocks(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    parts = tmp_path / "interfaces.d"
    parts.mkdir()
    os.mkfifo(parts / "eth9")
    main = tmp_path / "interfaces"
    main.write_text(f"source-directory {parts}\niface eth0 inet6 manual\n    wait-dad 5\n")
    config = tmp_path / "netguard.conf"
    config.write_text(f"Cache-Dir: {tmp_path / 'cache'}\n")
    for target in (fifo, main):
        done = subprocess.run(
            [sys.executable, "-m", "netguard", "--config", str(config), "check", "-i", str(target)],
            env={**os.environ, "PYTHONPATH": IMPORT_PATH},
            capture_output=True,
            text=True,
            timeout=10,
        )
        assert done.returncode == 2 and "is not a regular file; refused" in done.stderr, done.stderr
        assert len(done.stderr.splitlines()) == 1


def test_a_fifo_as_resolv_conf_never_blocks_the_locked_reconcile(tmp_path):
    from netguard.state import nameservers

    fifo = tmp_path / "resolv.conf"
    os.mkfifo(fifo)
    started = time.monotonic()
    assert nameservers(str(fifo)) == []
    assert time.monotonic() - started < 1
    real = tmp_path / "real.conf"
    real.write_text("nameserver 2001:db8::53\n")
    (tmp_path / "link.conf").symlink_to(real)
    assert nameservers(str(tmp_path / "link.conf")) == ["2001:db8::53"]
