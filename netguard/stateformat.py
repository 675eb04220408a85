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
