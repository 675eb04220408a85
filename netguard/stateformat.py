"""The one versioned format of netguard's records under State-Dir (and Cache-Dir's attempts).

A record is text, one entry per line; since format 2 its first line is
`netguard-state 2`. A record without that line is format 1 (written before
format 2 existed: the same lines, no header), read as it is. A record of a
newer format than this netguard knows is refused as a whole, with one
problem line: its lines may mean something else now, and guessing could undo
the wrong thing (a downgrade is the package's maintainer scripts' to handle).
"""

from __future__ import annotations

VERSION = 2
_MAGIC = b"netguard-state "


class NewerFormat(ValueError):
    """A record written by a newer netguard."""


def pack(lines: list[str]) -> bytes:
    """The record's bytes: header, then the lines (names are bytes: surrogateescape keeps them)."""
    body = "".join(line + "\n" for line in lines)
    return _MAGIC + str(VERSION).encode("ascii") + b"\n" + body.encode("utf-8", "surrogateescape")


def unpack(data: bytes) -> tuple[int, list[str]]:
    """(format, lines) of a record of any format this netguard reads; NewerFormat otherwise."""
    version = 1
    if data.startswith(_MAGIC):
        head, _, data = data.partition(b"\n")
        word = head[len(_MAGIC) :].strip()
        if not (word.isdigit() and len(word) <= 4):
            raise NewerFormat(f"an unknown record header {head[:40]!r}")
        version = int(word)
        if version > VERSION:
            raise NewerFormat(
                f"written by a newer netguard (format {version}; this one reads 1 to {VERSION})"
            )
    return version, [line for line in data.decode("utf-8", "surrogateescape").split("\n") if line]


def read(base: str, kind: str, name: str, limit: int) -> tuple[int, list[str]]:
    """(format, lines) of base/kind/name, entered through safefile.open_directory (no link
    followed at any level). Raises what it meets: FileNotFoundError, UnsafeFile, NewerFormat."""
    import os

    from netguard.safefile import UnsafeFile, one_name, open_directory, read_bounded

    if not one_name(name):
        raise UnsafeFile(f"{name!r} is not a record's name")
    where = open_directory(base, kind)
    try:
        return unpack(read_bounded(name, limit, dir_fd=where))
    finally:
        os.close(where)


def write(base: str, kind: str, name: str, lines: list[str]) -> None:
    """base/kind/name holds the lines in this format, whole (write_atomic through the directory's
    descriptor, made if absent; no fsync: State-Dir lives in /run)."""
    import os

    from netguard.safefile import UnsafeFile, one_name, open_directory, write_atomic

    if not one_name(name):
        raise UnsafeFile(f"{name!r} is not a record's name")
    where = open_directory(base, kind, make=True)
    try:
        write_atomic(os.path.join(base, kind), name, pack(lines), sync=False, dir_fd=where)
    finally:
        os.close(where)
