"""apply.change_routes and state.netguard_routes against a namespace's kernel."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.netns

SCRIPT = """
import json, socket, sys
from netguard import apply, state
from netguard.prefixes.prefix import format_prefix, parse
spec = json.loads(sys.argv[1])
failures = apply.change_routes([parse(p) for p in spec["delete"]], [parse(p) for p in spec["add"]], 241)
have = sorted(format_prefix(r) for f in (socket.AF_INET, socket.AF_INET6) for r in state.netguard_routes(f, 241))
print(json.dumps({"failures": [[format_prefix(r), verb, code] for r, verb, code in failures], "have": have}))
"""


def change(namespace, add=(), delete=()):
    result = namespace.python(SCRIPT, json.dumps({"add": list(add), "delete": list(delete)}))
    return json.loads(result.stdout)


def test_add_dump_delete_many(make_namespace):
    namespace = make_namespace("ngr")
    prefixes = [f"2001:db8:{n:x}::/48" for n in range(3000)] + [f"198.51.{n}.0/24" for n in range(200)]
    result = change(namespace, add=prefixes)
    assert result["failures"] == []
    assert len(result["have"]) == 3200
    shown = namespace.exec("ip", "-6", "route", "show", "proto", "241").stdout.splitlines()
    assert len(shown) == 3000 and shown[0].startswith("unreachable 2001:db8::/48")
    result = change(namespace, delete=prefixes[:2900])
    assert result["failures"] == [] and len(result["have"]) == 300


def test_errors_map_back_to_their_prefix_and_foreign_routes_are_untouched(make_namespace):
    namespace = make_namespace("ngr")
    namespace.exec(
        "ip", "-6", "route", "add", "unreachable", "2001:db8:5::/48"
    )  # the admin's own (proto boot)
    result = change(namespace, add=["2001:db8:4::/48", "2001:db8:5::/48", "2001:db8:6::/48"])
    assert result["failures"] == [["2001:db8:5::/48", "add", 17]]  # EEXIST, named
    assert result["have"] == ["2001:db8:4::/48", "2001:db8:6::/48"]
    # Deleting a route that is gone is not a failure; the admin's route is not ours to delete.
    result = change(namespace, delete=["2001:db8:4::/48", "2001:db8:7::/48", "2001:db8:5::/48"])
    assert result["failures"] == []
    assert "2001:db8:5::/48" in namespace.exec("ip", "-6", "route", "show").stdout


PROTECTED = """
import json
from netguard import state
from netguard.prefixes.prefix import format_address
print(json.dumps(sorted(format_address(v, a) for v, a in state.protected_things([]).gateways)))
"""


def test_every_gateway_of_a_multipath_default_route_is_protected(make_namespace):
    """ECMP default routes (one route, RTA_MULTIPATH) as the kernel answers them: each
    nexthop's gateway is protected, as a single default route's is."""
    namespace = make_namespace("ngg")
    for near, far, v6, v4 in (
        ("ga", "gb", "2001:db8:1::2/64", "192.0.2.2/24"),
        ("gc", "gd", "2001:db8:2::2/64", "198.51.100.2/24"),
    ):
        namespace.exec("ip", "link", "add", near, "type", "veth", "peer", "name", far)
        namespace.exec("ip", "addr", "add", v6, "dev", near, "nodad")
        namespace.exec("ip", "addr", "add", v4, "dev", near)
        for link in (near, far):
            namespace.exec("ip", "link", "set", link, "up")
    namespace.exec(
        "ip",
        "-6",
        "route",
        "add",
        "default",
        "nexthop",
        "via",
        "2001:db8:1::1",
        "dev",
        "ga",
        "nexthop",
        "via",
        "2001:db8:2::1",
        "dev",
        "gc",
    )
    namespace.exec("ip", "route", "add", "default", "nexthop", "via", "192.0.2.1", "dev", "ga",
                   "nexthop", "via", "198.51.100.1", "dev", "gc")  # fmt: skip
    shown = namespace.exec("ip", "-6", "route", "show", "default").stdout
    assert (
        "nexthop via 2001:db8:1::1" in shown and "nexthop via 2001:db8:2::1" in shown
    )  # one multipath route
    gateways = json.loads(namespace.python(PROTECTED).stdout)
    assert gateways == ["192.0.2.1", "198.51.100.1", "2001:db8:1::1", "2001:db8:2::1"]


TABLES = """
import json, socket, sys
from netguard import apply, state
from netguard.prefixes.prefix import format_prefix, parse
spec = json.loads(sys.argv[1])
table = spec["table"]
failures = apply.change_routes(
    [parse(p) for p in spec["delete"]], [parse(p) for p in spec["add"]], 241, table
)
have = {
    str(t): sorted(format_prefix(r) for f in (socket.AF_INET, socket.AF_INET6) for r in state.netguard_routes(f, 241, t))
    for t in (254, 10, 100000)
}
print(json.dumps({"failures": failures, "have": have}))
"""


@pytest.mark.parametrize("table", [10, 100000])  # one fits rtm_table's 8 bits, one needs RTA_TABLE alone
def test_routes_in_a_vrf_table_are_apart_from_main(make_namespace, table):
    """A VRF's table: the routes go there (not main), dumps see each table alone, deletes reach them."""
    namespace = make_namespace("ngt")
    prefixes = [f"2001:db8:{n + 1:x}::/48" for n in range(600)] + ["198.51.100.0/24"]
    result = json.loads(
        namespace.python(TABLES, json.dumps({"table": table, "add": prefixes, "delete": []})).stdout
    )
    assert result["failures"] == []
    assert len(result["have"][str(table)]) == 601 and result["have"]["254"] == []
    other = "10" if table != 10 else "100000"
    assert result["have"][other] == []
    shown = namespace.exec(
        "ip", "-6", "route", "show", "table", str(table), "proto", "241"
    ).stdout.splitlines()
    assert len(shown) == 600 and shown[0].startswith("unreachable 2001:db8:1::/48")
    assert namespace.exec("ip", "-6", "route", "show", "proto", "241").stdout == ""  # main: none
    # the same prefix in main is another route: installing it there leaves the table's alone
    result = json.loads(
        namespace.python(TABLES, json.dumps({"table": 254, "add": prefixes[:1], "delete": []})).stdout
    )
    assert result["have"]["254"] == prefixes[:1] and len(result["have"][str(table)]) == 601
    result = json.loads(
        namespace.python(TABLES, json.dumps({"table": table, "add": [], "delete": prefixes})).stdout
    )
    assert (
        result["failures"] == []
        and result["have"][str(table)] == []
        and result["have"]["254"] == prefixes[:1]
    )
