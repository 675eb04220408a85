"""The rtnetlink socket every dump and route batch uses.

Built on _socket, not socket: socket.py makes its enums (and imports enum
and selectors) on import, ~3 ms of every hook run that touches the kernel.
"""

from __future__ import annotations

import _socket

SO_BUFFER_BYTES = 1 << 22  # room for a 100k-route dump or batch's answers without overflow


class RouteSocket(_socket.socket):
    """A bound NETLINK_ROUTE socket, closed when its with block ends; `groups` subscribes
    it to the kernel's notifications (timeout 0: non-blocking, for select())."""

    def __init__(self, timeout: float | None = None, groups: int = 0) -> None:
        super().__init__(_socket.AF_NETLINK, _socket.SOCK_RAW | _socket.SOCK_CLOEXEC, _socket.NETLINK_ROUTE)
        for option in (_socket.SO_SNDBUF, _socket.SO_RCVBUF):
            self.setsockopt(_socket.SOL_SOCKET, option, SO_BUFFER_BYTES)
        self.bind((0, groups))
        self.settimeout(timeout)

    def __enter__(self) -> RouteSocket:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
