"""netguard.record.NamedTuple behaves as typing.NamedTuple for every use netguard makes of it."""

from __future__ import annotations

import subprocess
import typing

import pytest

from netguard import record
from tests.sandbox import IMPORT_PATH


def declare(base):
    class Point(base):
        """A point."""

        x: int
        y: int = 0
        label: str = ""

        @property
        def norm(self) -> int:
            return abs(self.x) + abs(self.y)

        def moved(self, dx: int) -> Point:
            return self._replace(x=self.x + dx)

        LIMIT = 3  # a class attribute that is not a field

    return Point


@pytest.mark.parametrize("base", [typing.NamedTuple, record.NamedTuple], ids=["typing", "record"])
def test_behaves_as_typing_namedtuple(base):
    point_class = declare(base)
    point = point_class(2, label="a")
    assert point == (2, 0, "a") and isinstance(point, tuple)
    assert point_class._fields == ("x", "y", "label")
    assert point_class._field_defaults == {"y": 0, "label": ""}
    assert point.norm == 2 and point.moved(1) == point_class(3, 0, "a") and point_class.LIMIT == 3
    assert repr(point) == "Point(x=2, y=0, label='a')"
    assert point_class.__doc__ == "A point." and point_class.__module__ == __name__
    assert point_class.__qualname__.endswith("Point")
    assert point._asdict() == {"x": 2, "y": 0, "label": "a"}
    with pytest.raises(AttributeError):
        point.x = 5


def test_a_hook_run_imports_neither_typing_nor_contextlib():
    """The point of record.py (and of netlink.py's _socket): every hook path, reject-asn's and
    wait-dad's included, started as the shim starts it, stays off typing's 9 ms, the enums of re,
    socket and signal, subprocess, runpy, contextlib, datetime, json, urllib, pyroute2 and
    python-debian."""
    slow = (
        "typing", "re", "contextlib", "dataclasses", "socket", "enum", "datetime", "selectors", "signal",
        "subprocess", "runpy", "json", "urllib", "pyroute2", "debian",
    )  # fmt: skip
    code = (
        'import sys; sys.path.insert(0, sys.argv[1]); sys.path.append("/usr/lib/python3/dist-packages"); '
        "import netguard.hook; "
        "from netguard.features import dad, waitdad, reject, ipv4dad; import netguard.arp, netguard.config, netguard.applied, "
        "netguard.outcome, netguard.reconcile, netguard.state, netguard.netlink, netguard.apply, "
        "netguard.wants, netguard.prefixes.cache, netguard.prefixes.safety, netguard.sentinel, netguard.watch; "
        f"print(' '.join(m for m in {slow!r} if m in sys.modules))"
    )

    loaded = subprocess.run(
        ["/usr/bin/python3", "-I", "-S", "-c", code, IMPORT_PATH],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert loaded == []
