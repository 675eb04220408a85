"""Exactly the right reject routes under races, edits, kills and bad state (real ifupdown).

After every step the kernel must hold exactly the union of what the
interfaces that are up want: checked against `ip route show proto 241`,
not against netguard's own view.
"""

from __future__ import annotations

import ipaddress
import random
import subprocess
import time

import pytest

from tests.sandbox import CHECKOUT, IMPORT_PATH, veth

pytestmark = pytest.mark.ifupdown

LAB = "Reject-Allow-Special: yes\n"


def routes(host, family: str = "-6") -> set[str]:
    shown = host.exec("ip", family, "route", "show", "proto", "241").stdout
    return {line.split()[1] for line in shown.splitlines()}


def count(host) -> int:
    return int(host.exec("sh", "-c", "ip -6 route show proto 241 | wc -l").stdout)


def import_asn(host, asn: int, prefixes: list[str]) -> None:
    listing = host.netguard_state.parent / f"as{asn}.txt"
    listing.write_text("\n".join(prefixes) + "\n")
    host.netguard("import", str(asn), str(listing))


def stanza(iface: str, options: str, family: str = "inet6") -> str:
    return f"iface {iface} {family} manual\n    {options}\n"


def wants_files(host) -> list[str]:
    directory = host.netguard_state / "reject"
    return (
        sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))
        if directory.exists()
        else []
    )


def blocks(first: int, n: int) -> list[str]:
    """n /48s that never collapse (every other one)."""
    return [str(ipaddress.ip_network(f"2001:db8:{2 * k:x}::/48")) for k in range(first, first + n)]


@pytest.fixture
def host(make_host, make_namespace):
    host = make_host("ngy", LAB)
    peer = make_namespace("ngp")
    for n in range(2):
        veth(host, f"eth{n}", peer, f"eth{n}")
    return host


def test_refresh_racing_ifdown_never_brings_the_routes_back(make_host, make_namespace):
    port = 8054
    host = make_host(
        "ngy",
        LAB
        + f"Refresh-Sources: ripestat\nRipestat-Url: http://127.0.0.1:{port}/data/ris-prefixes/data.json\n",
    )
    veth(host, "eth0", make_namespace("ngp"), "eth0")
    from tests.fakes import ripestat_answer

    data = host.netguard_state.parent / "ripestat"
    data.mkdir(parents=True)
    (data / "AS64500.json").write_bytes(ripestat_answer("64500", blocks(0, 50)))
    server = subprocess.Popen(
        ["ip", "netns", "exec", host.name, "/usr/bin/python3", str(CHECKOUT / "tests" / "fakes.py"), str(data), str(port), "1"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None and "serving" in server.stdout.readline()
        import_asn(host, 64500, blocks(0, 50))
        host.write_interfaces(stanza("eth0", "reject-asn 64500"))
        for _run in range(10):
            host.ifup("eth0")
            assert len(routes(host)) == 50
            refresh = subprocess.Popen(
                ["ip", "netns", "exec", host.name, "/usr/bin/python3", "-m", "netguard", "refresh"],
                env={"PYTHONPATH": IMPORT_PATH, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            time.sleep(0.3)  # the refresh is fetching (the stand-in answers after 1 s)
            host.ifdown("eth0")
            _out, err = refresh.communicate(timeout=60)
            assert refresh.returncode == 0, err
            assert routes(host) == set() and wants_files(host) == []
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize(
    "content",
    [b"\x00\xff random bytes \x80\n",
     b"netguard-wants: 3\nasns: 64999\nexcept: 2a0d::/abc\ngateway: \nprobes: \ninputs: x\ncount: 0\n\n",
     b"netguard-wants: 3\nasns: 64999\nexcept: \ngateway: \nprobes: \ninputs: x\ncount: 1\n\n" + bytes(16) + b"\xc8",
     b"netguard-wants: 3\nasns: 64999\nexcept: \ngateway: \nprobes: \ninputs: x\ncount: 2\n\n" + bytes(17)],
    ids=["random-bytes", "bad-prefix-text", "length-200", "short-records"],
)  # fmt: skip
def test_a_corrupt_wants_file_is_set_aside_and_never_stops_another_interface(host, content):
    import_asn(host, 64500, blocks(0, 3))
    import_asn(host, 64501, blocks(10, 3))
    host.write_interfaces(stanza("eth0", "reject-asn 64500") + stanza("eth1", "reject-asn 64501"))
    host.ifup("eth1")
    planted = host.netguard_state / "reject" / "inet6.eth9"
    planted.write_bytes(content)
    result = host.ifup("eth0")
    assert f"{planted}: corrupt, set aside as .bad.inet6.eth9." in result.stderr
    assert routes(host) == set(blocks(0, 3) + blocks(10, 3))
    assert not planted.exists() and any(
        p.name.startswith(".bad.inet6.eth9.") for p in planted.parent.iterdir()
    )
    host.ifdown("eth0")
    assert routes(host) == set(blocks(10, 3))
    host.ifdown("eth1")
    assert routes(host) == set()


def test_a_tampered_wants_file_cannot_install_a_default_route(host):
    from netguard import wants
    from netguard.prefixes.prefix import parse

    import_asn(host, 64500, blocks(0, 3))
    host.write_interfaces(stanza("eth0", "reject-asn 64500"))
    (host.netguard_state / "reject").mkdir(parents=True)
    tampered = wants.Wants(
        wants.StanzaRecord((64999,), (), ""), (parse("::/0"), parse("2001:db8:ff::/48")), "x"
    )
    (host.netguard_state / "reject" / "inet6.eth9").write_bytes(wants.format_wants(tampered))
    result = host.ifup("eth0")
    assert "a wants file holds ::/0: a default route; not installed" in result.stderr
    assert "::/0" not in routes(host) and "default" not in routes(host)
    assert set(blocks(0, 3)) <= routes(host)


def test_the_cap_counts_the_union_not_the_sum(make_host, make_namespace):
    host = make_host("ngy", LAB + "Reject-Max-Routes: 300\n")
    peer = make_namespace("ngp")
    for n in range(2):
        veth(host, f"eth{n}", peer, f"eth{n}")
    import_asn(host, 64500, blocks(0, 200))
    host.write_interfaces(stanza("eth0", "reject-asn 64500") + stanza("eth1", "reject-asn 64500"))
    host.ifup("eth0")
    second = host.ifup("eth1")
    assert "would exceed" not in second.stderr
    host.ifdown("eth0")
    assert len(routes(host)) == 200  # eth1 is up and wants them
    host.ifdown("eth1")
    assert routes(host) == set()


def test_an_interface_named_dot_x_keeps_its_routes(make_host, make_namespace):
    host = make_host("ngy", LAB)
    peer = make_namespace("ngp")
    veth(host, ".x", peer, "eth5")
    veth(host, "eth1", peer, "eth1")
    import_asn(host, 64500, blocks(0, 3))
    import_asn(host, 64501, blocks(10, 3))
    host.write_interfaces(stanza(".x", "reject-asn 64500") + stanza("eth1", "reject-asn 64501"))
    host.ifup(".x")
    host.ifup("eth1")
    assert routes(host) == set(blocks(0, 3) + blocks(10, 3))
    host.ifdown("eth1")
    assert routes(host) == set(blocks(0, 3))
    host.ifdown(".x")
    assert routes(host) == set()


@pytest.mark.parametrize(
    ("edited", "family"),
    [
        ("", "inet6"),
        ("    wait-dad perhaps\n    reject-asn 64500\n", "inet6"),
        ("    reject-asn 64500\n", "inet"),
    ],
    ids=["option-removed", "typo-added", "inet6-became-inet"],
)
def test_a_stanza_edited_while_up_leaves_nothing_behind(host, edited, family):
    import_asn(host, 64500, [*blocks(0, 3), "198.51.100.0/24"])
    host.write_interfaces(stanza("eth0", "reject-asn 64500"))
    host.ifup("eth0")
    assert routes(host) == set(blocks(0, 3))
    host.write_interfaces(f"iface eth0 {family} manual\n{edited}")
    down = host.ifdown("eth0")
    assert "Traceback" not in down.stderr
    assert routes(host) == set() and routes(host, "-4") == set()
    assert wants_files(host) == []
    assert not (host.netguard_state / "applied" / "eth0").exists()


def test_eight_interfaces_twenty_rounds_with_addresses_churning_elsewhere(make_host, make_namespace):
    host = make_host("ngy", LAB)
    peer = make_namespace("ngp")
    wanted: dict[str, set[str]] = {}
    text = ""
    for n in range(8):
        veth(host, f"eth{n}", peer, f"eth{n}")
        own = blocks(100 * n, 1000)
        shared = blocks(10000, 200)  # every interface wants these too
        import_asn(host, 64500 + n, own + shared)
        wanted[f"eth{n}"] = set(own + shared)
        text += stanza(f"eth{n}", f"reject-asn {64500 + n}")
    host.write_interfaces(text)
    veth(host, "churn0", peer, "churn0")
    host.exec("ip", "link", "set", "churn0", "up")
    churn = subprocess.Popen(
        ["ip", "netns", "exec", host.name, "sh", "-c",
         "while :; do for i in $(seq 1 50); do ip -6 addr add 2001:db8:c0de::$i/128 dev churn0 nodad; done; "
         "ip -6 addr flush dev churn0 scope global; done"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    command = ["ip", "netns", "exec", host.name]

    def parallel(verb: str, names: list[str]) -> None:
        processes = [
            subprocess.Popen(
                [*command, verb, "--state-dir", host.state_dir, name], stderr=subprocess.PIPE, text=True
            )
            for name in names
        ]
        for process in processes:
            _, err = process.communicate(timeout=300)
            assert process.returncode == 0, err
            assert "not netguard's" not in err and "warning" not in err, err

    def expect(up: list[str]) -> None:
        union = set().union(*(wanted[name] for name in up)) if up else set()
        assert routes(host) == union

    try:
        names = sorted(wanted)
        for _round in range(20):
            parallel("ifup", names)
            expect(names)
            parallel("ifdown", names[::2])
            expect(names[1::2])
            parallel("ifdown", names[1::2])
            expect([])
    finally:
        churn.terminate()
        churn.wait(timeout=10)
    assert count(host) == 0


@pytest.mark.parametrize("verb", ["ifup", "ifdown"])
def test_kill_9_at_random_instants_then_the_documented_recovery_converges(make_host, make_namespace, verb):
    host = make_host("ngy", LAB + "Reject-Max-Routes: 1000000\n")
    veth(host, "eth0", make_namespace("ngp"), "eth0")
    prefixes = [f"2001:db8:{2 * n >> 8:x}:{2 * n & 0xFF:x}00::/56" for n in range(200000)]
    import_asn(host, 64500, prefixes)
    host.write_interfaces(stanza("eth0", "reject-asn 64500"))
    generator = random.Random(20261127)
    for _trial in range(10):
        if verb == "ifdown":
            host.ifup("eth0")
        process = subprocess.Popen(
            ["ip", "netns", "exec", host.name, verb, "--state-dir", host.state_dir, "eth0"]
        )
        time.sleep(generator.uniform(0.05, 1.5))
        host.kill(b"netguard.hook")  # in this namespace only: never another test's hook
        process.wait(timeout=120)
        # The recovery README documents: ifdown --force, then ifup (and ifdown).
        host.exec("ifdown", "--force", "--state-dir", host.state_dir, "eth0", check=False)
        assert count(host) == 0
        host.ifup("eth0")
        assert count(host) == len(prefixes)
        host.ifdown("eth0")
        assert count(host) == 0
        leftovers = [p.name for p in (host.netguard_state / "reject").iterdir() if p.name.startswith(".tmp.")]
        assert leftovers == []


def test_a_pre_down_killed_mid_way_is_finished_by_post_down(make_host, make_namespace):
    """SIGKILL of netguard's pre-down while it deletes 200,000 routes: ifdown goes on to post-down,
    whose step finishes the withdrawal the record still names; no route of the interface is left."""
    host = make_host("ngy", LAB + "Reject-Max-Routes: 1000000\n")
    veth(host, "eth0", make_namespace("ngp"), "eth0")
    prefixes = [f"2001:db8:{2 * n >> 8:x}:{2 * n & 0xFF:x}00::/56" for n in range(200000)]
    import_asn(host, 64500, prefixes)
    host.write_interfaces(stanza("eth0", "reject-asn 64500"))
    host.ifup("eth0")
    assert count(host) == len(prefixes)
    network = host.etc / "network"
    real = network / "netguard-real"
    real.write_text((network / "if-down.d" / "netguard").read_text())
    real.chmod(0o755)
    killed = network / "if-down.d" / "netguard"  # the pre-down hook, SIGKILLed after 0.1 s
    killed.write_text(f"#!/bin/sh\ntimeout -s KILL 0.1 {real}\nexit 0\n")
    seen = host.netguard_state.parent / "after-pre-down"
    witness = network / "if-post-down.d" / "0count"  # runs before netguard's post-down
    witness.write_text(f"#!/bin/sh\nip -6 route show proto 241 | wc -l > {seen}\n")
    witness.chmod(0o755)
    done = host.exec("ifdown", "--state-dir", host.state_dir, "eth0", check=False)
    assert int(seen.read_text()) > 0, "pre-down was not killed before it finished: the test proves nothing"
    assert count(host) == 0, done.stderr
    assert wants_files(host) == []
