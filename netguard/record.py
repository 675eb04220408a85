"""typing.NamedTuple's class syntax without importing typing.

`import typing` (and the `re` it imports) is ~9 ms of a hook run that starts
in ~14 ms: every hook phase pays it, per interface, at every boot. Modules
take NamedTuple from here at run time and from typing under TYPE_CHECKING,
so mypy checks them as typing.NamedTuple classes; at run time each class is
a collections.namedtuple with the declared fields, defaults, methods and
docstring (tests/unit/test_record.py holds it to typing's behaviour).
"""

from __future__ import annotations

import collections

_SKIPPED = {"__module__", "__qualname__", "__annotations__", "__dict__", "__weakref__", "_root"}


class _Meta(type):
    def __new__(cls, name: str, bases: tuple, namespace: dict):  # type: ignore[misc]
        if namespace.get("_root"):
            return super().__new__(cls, name, bases, namespace)
        fields = list(namespace.get("__annotations__", {}))
        defaults = [namespace[field] for field in fields if field in namespace]
        made = collections.namedtuple(name, fields, defaults=defaults, module=namespace["__module__"])  # type: ignore[misc]
        made.__qualname__ = namespace.get("__qualname__", name)
        made.__annotations__ = namespace.get("__annotations__", {})
        for key, value in namespace.items():
            if key not in _SKIPPED and key not in fields:
                setattr(made, key, value)
        return made


class NamedTuple(metaclass=_Meta):
    """Subclass as typing.NamedTuple: `class Point(NamedTuple): x: int; y: int = 0`."""

    _root = True
