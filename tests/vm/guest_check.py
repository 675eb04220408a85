"""Inside the VM (python3 of the guest; started by netguard-vmcheck.service After= and
Wants=network-online.target): what a service ordered after network-online.target finds,
then the case's further steps, as one JSON line on the serial console; then poweroff.

The case is /etc/netguard-vmtest/case.json: {"iface": ..., "addresses": [...],
"global_prefix": "2001:db8:7::/64" or null, "steps": ["restart-networking", ...]}.
"""

import ipaddress
import json
import os
import socket
import subprocess
import time
from pathlib import Path

CASE = "/etc/netguard-vmtest/case.json"
GENERATOR = "/usr/lib/systemd/system-generators/netguard-generator"


def sh(*argv, timeout=120):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        return done.stdout
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"<{err}>"


def uptime():
    with open("/proc/uptime") as handle:
        return float(handle.read().split()[0])


def addresses(iface):
    """[{address, prefixlen, flags, scope}] of the interface's IPv6 addresses, from ip -j."""
    try:
        links = json.loads(sh("ip", "-j", "-6", "addr", "show", "dev", iface) or "[]")
    except ValueError:
        return []
    found = []
    for link in links:
        for info in link.get("addr_info", []):
            flags = [key for key in ("tentative", "dadfailed", "optimistic", "nodad") if info.get(key)]
            found.append(
                {
                    "address": info["local"],
                    "prefixlen": info["prefixlen"],
                    "scope": info.get("scope"),
                    "flags": flags,
                }
            )
    return found


def bind(address):
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        sock.bind((address, 0))
        return 0
    except OSError as err:
        return err.errno
    finally:
        sock.close()


def look(case):
    """The interface's addresses and a bind() to each wanted one (and each global one)."""
    iface = case["iface"]
    found = addresses(iface)
    wanted = list(case.get("addresses", []))
    prefix = case.get("global_prefix")
    if prefix:
        net = ipaddress.ip_network(prefix)
        wanted += [a["address"] for a in found if ipaddress.ip_address(a["address"]) in net]
    said = sh("journalctl", "-b", "-o", "cat", "--no-pager", "-t", "netguard")
    return {
        "at": uptime(),
        "addresses": found,
        "binds": {address: bind(address) for address in wanted},
        "usable_lines": said.count("every IPv6 address usable"),  # netguard's waits that ended well
    }


def interface_state(name, case):
    """One interface: its addresses (IPv6 with DAD flags, IPv4 with labels), accept_dad, binds."""
    sysctls = {}
    for key in ("accept_dad", "dad_transmits"):
        try:
            with open(f"/proc/sys/net/ipv6/conf/{name}/{key}") as handle:
                sysctls[key] = int(handle.read())
        except OSError:
            sysctls[key] = None
    accept_dad = sysctls["accept_dad"]
    four = []
    try:
        for link in json.loads(sh("ip", "-j", "-4", "addr", "show", "dev", name) or "[]"):
            four += [{"address": i["local"], "label": i.get("label")} for i in link.get("addr_info", [])]
    except ValueError:
        pass
    six = addresses(name)
    wanted = case.get("binds", {}).get(name, [])
    return {
        "accept_dad": accept_dad,
        "dad_transmits": sysctls["dad_transmits"],
        "inet6": six,
        "inet": four,
        "binds": {a: bind(a) for a in wanted},
    }


def unit_times():
    names = ["network-online.target", "networking.service"]
    names += [
        line.split()[0]
        for line in sh(
            "systemctl", "list-units", "--all", "--plain", "--no-legend", "ifup@*", "netguard-wait@*"
        ).splitlines()
        if line.split()
    ]
    shown = {}
    for name in names:
        props = dict(
            line.partition("=")[::2]
            for line in sh(
                "systemctl",
                "show",
                name,
                "-p",
                "ActiveState",
                "-p",
                "Result",
                "-p",
                "ActiveEnterTimestampMonotonic",
                "-p",
                "InactiveExitTimestampMonotonic",
                "-p",
                "DropInPaths",
                "-p",
                "Type",
            ).splitlines()
        )
        shown[name] = props
    return shown


def main():
    with open(CASE) as handle:
        case = json.load(handle)
    result = {"case": case, "online": look(case)}
    result["units"] = unit_times()
    result["generated"] = sorted(
        os.path.join(d, f)[len("/run/systemd/generator/") :]
        for d, _, files in os.walk("/run/systemd/generator")
        for f in files
        if "netguard" in f or "netguard" in d
    )
    if os.path.exists(GENERATOR):
        os.makedirs("/tmp/gen", exist_ok=True)
        started = time.monotonic()
        sh(GENERATOR, "/tmp/gen", "/tmp/gen", "/tmp/gen")
        result["generator_seconds"] = round(time.monotonic() - started, 3)
    result["status"] = sh("netguard", "status", "--json")
    journal = ["journalctl", "-b", "-o", "short-monotonic", "--no-pager"]
    result["journal"] = (
        sh(*journal, "-t", "netguard") + sh(*journal, "-u", "netguard-wait@*", "-u", "ifup@*")
    )[-8000:]
    result["networking"] = sh(*journal, "-u", "networking.service")[-4000:]  # ifup -a's own lines
    result["metrics"] = (
        {
            name: Path("/var/lib/prometheus/node-exporter", name).read_text()
            for name in sorted(os.listdir("/var/lib/prometheus/node-exporter"))
        }
        if os.path.isdir("/var/lib/prometheus/node-exporter")
        else {}
    )
    if case.get("netguard_wait"):  # a service's ExecStartPre=netguard wait, run as a unit would
        waited = subprocess.run(["netguard", "wait", "--timeout", "15", *case["addresses"]],
                                capture_output=True, text=True, check=False)  # fmt: skip
        result["netguard_wait"] = {"code": waited.returncode, "stderr": waited.stderr, **look(case)}
    if case.get("nginx"):  # a service ordered after network-online.target that binds an address
        result["nginx"] = {
            "active": sh("systemctl", "is-active", "nginx.service").strip(),
            "log": sh("journalctl", "-b", "-o", "short-monotonic", "--no-pager", "-u", "nginx.service")[
                -2000:
            ],
        }
    for name in case.get("interfaces", []):  # the topology boot: each interface's state at network-online
        result.setdefault("interfaces", {})[name] = interface_state(name, case)
    for number, command in enumerate(case.get("commands", [])):  # then real ifup/ifdown, in order
        done = subprocess.run(
            ["/bin/sh", "-c", command], capture_output=True, text=True, timeout=120, check=False
        )
        result.setdefault("commands", []).append(
            {
                "command": command,
                "rc": done.returncode,
                "out": done.stdout[-2000:],
                "err": done.stderr[-2000:],
            }
        )
        for name in case.get("after", {}).get(str(number), []):
            result.setdefault("after", {}).setdefault(str(number), {})[name] = interface_state(name, case)
    for step in case.get("steps", []):
        if step == "restart-networking":
            sh("systemctl", "restart", "networking.service")
        elif step == "restart-ifup":
            sh("systemctl", "restart", f"ifup@{case['iface']}.service")
        result[step] = look(case)
    return result


if __name__ == "__main__":
    try:
        line = "NETGUARD-VM-RESULT " + json.dumps(main())
    except Exception as err:  # the host must read something, whatever happened
        line = "NETGUARD-VM-RESULT " + json.dumps({"error": repr(err)})
    with open("/dev/ttyS0", "w") as console:
        console.write("\n" + line + "\n")
    subprocess.run(["systemctl", "poweroff", "--no-block"], check=False)
