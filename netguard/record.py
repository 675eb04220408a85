"""typing.NamedTuple's class syntax without importing typing.

`import typing` (and the `re` it imports) is ~9 ms of a hook run that starts
in ~14 ms: every hook phase pays it, per interface, at every boot. Modules
write `from netguard.record import NamedTuple`, one line: at run time it is
this module's, and mypy reads record.pyi, where it is typing's. Other names
from typing are imported under `TYPE_CHECKING = False` / `if TYPE_CHECKING:`
(mypy takes the branch, Python never does). tests/unit/test_record.py
fails if typing (or re, enum, socket.py ...) is imported on a hook path.

At run time each class is a tuple subclass with namedtuple's fields,
defaults, methods and docstring, made directly (collections.namedtuple's
eval costs ~50 us a class); the same test holds it to typing's behaviour.
"""

from __future__ import annotations

from _collections import _tuplegetter  # the C field accessor collections.namedtuple uses

_SKIPPED = {"__module__", "__qualname__", "__annotations__", "__dict__", "__weakref__", "_root"}


def _methods(name: str, fields: tuple[str, ...], defaults: tuple) -> dict:
    """A namedtuple's methods, made without collections.namedtuple's eval (~50 us a class, ~17
    classes on every hook path): one generic __new__ that fills defaults and names the field."""
    count, required = len(fields), len(fields) - len(defaults)
    new_tuple = tuple.__new__

    def __new__(cls, *args, **kwargs):
        if kwargs or len(args) != count:
            if len(args) > count:
                raise TypeError(f"{name}() takes {count} arguments but {len(args)} were given")
            values = list(args)
            for index in range(len(args), count):
                field = fields[index]
                if field in kwargs:
                    values.append(kwargs.pop(field))
                elif index >= required:
                    values.append(defaults[index - required])
                else:
                    raise TypeError(f"{name}() missing required argument: {field!r}")
            if kwargs:
                raise TypeError(f"{name}() got an unexpected keyword argument {next(iter(kwargs))!r}")
            args = tuple(values)
        return new_tuple(cls, args)

    def _make(cls, iterable):
        made = new_tuple(cls, iterable)
        if len(made) != count:
            raise TypeError(f"Expected {count} arguments, got {len(made)}")
        return made

    def _replace(self, **changes):
        made = self._make(map(changes.pop, fields, self))
        if changes:
            raise ValueError(f"Got unexpected field names: {list(changes)!r}")
        return made

    def __repr__(self):
        return (
            f"{self.__class__.__name__}("
            + ", ".join(f"{f}={v!r}" for f, v in zip(fields, self, strict=True))
            + ")"
        )

    def _asdict(self):
        return dict(zip(fields, self, strict=True))

    def __getnewargs__(self):
        return tuple(self)

    body = {
        "__slots__": (),
        "_fields": fields,
        "_field_defaults": dict(zip(fields[required:], defaults, strict=True)),
        "__match_args__": fields,
        "__new__": __new__,
        "_make": classmethod(_make),
        "_replace": _replace,
        "__repr__": __repr__,
        "_asdict": _asdict,
        "__getnewargs__": __getnewargs__,
    }
    for index, field in enumerate(fields):
        body[field] = _tuplegetter(index, f"Alias for field number {index}")
    return body


class _Meta(type):
    def __new__(cls, name: str, bases: tuple, namespace: dict):  # type: ignore[misc]
        if namespace.get("_root"):
            return super().__new__(cls, name, bases, namespace)
        fields = tuple(namespace.get("__annotations__", {}))
        defaults = tuple(namespace[field] for field in fields if field in namespace)
        body = _methods(name, fields, defaults)
        body["__module__"] = namespace["__module__"]
        body["__qualname__"] = namespace.get("__qualname__", name)
        body["__doc__"] = namespace.get("__doc__") or f"{name}({', '.join(fields)})"
        body["__annotations__"] = namespace.get("__annotations__", {})
        for key, value in namespace.items():
            if key not in _SKIPPED and key not in fields and key not in body:
                body[key] = value
        return type.__new__(type, name, (tuple,), body)


class NamedTuple(metaclass=_Meta):
    """Subclass as typing.NamedTuple: `class Point(NamedTuple): x: int; y: int = 0`."""

    _root = True
