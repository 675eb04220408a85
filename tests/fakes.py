"""Local stand-ins for the public prefix sources (the tests never reach the internet).

RipestatServer answers /data/ris-prefixes/data.json like RIPEstat, from a
dict of ASN -> prefixes, or misbehaves on purpose (`fault`). IrrServer
speaks the IRRd whois protocol (!s, !g, !6, !q). Both listen on loopback
and run in a thread; `python3 tests/fakes.py DIR PORT` serves
DIR/AS<n>.json over HTTP in the foreground (for use inside a namespace).
"""

from __future__ import annotations

import json
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def ripestat_answer(asn: str, prefixes: list[str], status: str = "ok", resource: str | None = None) -> bytes:
    """The shape of RIPEstat's ris-prefixes answer, with the parts netguard reads."""
    v4 = [{"prefix": p, "timelines": []} for p in prefixes if ":" not in p]
    v6 = [{"prefix": p, "timelines": []} for p in prefixes if ":" in p]
    return json.dumps(
        {
            "status": status,
            "time": "2026-11-26T00:00:00",
            "data": {
                "resource": resource or asn.removeprefix("AS"),
                "query_endtime": "2026-11-26T00:00:00",
                "prefixes": {"v4": {"originating": v4}, "v6": {"originating": v6}},
            },
        }
    ).encode()


class RipestatServer:
    def __init__(
        self,
        prefixes: dict[int, list[str]] | None = None,
        directory: Path | None = None,
        port: int = 0,
        background: bool = True,
    ) -> None:
        self.prefixes = prefixes or {}
        self.directory = directory
        self.fault = ""
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                owner.requests.append(self.path)
                owner.answer(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/data/ris-prefixes/data.json"
        if background:
            threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def body_for(self, resource: str) -> bytes:
        asn = resource.upper().removeprefix("AS")
        if self.directory is not None:
            path = self.directory / f"AS{asn}.json"
            return path.read_bytes() if path.exists() else ripestat_answer(asn, [])
        return ripestat_answer(asn, self.prefixes.get(int(asn), []))

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlparse(handler.path).query)
        resource = query.get("resource", [""])[0]
        body = self.body_for(resource)
        fault = self.fault
        if fault == "500":
            handler.send_error(500, "Internal Server Error")
            return
        if fault == "reset":
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            handler.connection.close()
            return
        if fault == "timeout":
            time.sleep(3)
        if fault == "truncated":
            body = body[: len(body) // 2]
        if fault == "status":
            body = ripestat_answer(resource, [], status="error")
        if fault == "wrong-asn":
            body = ripestat_answer(resource, ["2001:db8::/32"], resource="64999")
        if fault == "huge":
            body = b" " * (2 * 1024 * 1024) + body
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class IrrServer:
    """IRRd whois: `!!` keep-alive, `!sSOURCES`, `!gASn` (IPv4), `!6ASn` (IPv6), `!q`."""

    def __init__(self, prefixes: dict[int, list[str]]) -> None:
        self.prefixes = prefixes
        self.queries: list[str] = []
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                for raw in self.rfile:
                    query = raw.decode().strip()
                    owner.queries.append(query)
                    if query == "!q":
                        return
                    if query == "!!":
                        continue
                    self.wfile.write(owner.reply(query))

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reply(self, query: str) -> bytes:
        if query.startswith("!s"):
            return b"C\n"
        if query[:2] in ("!g", "!6"):
            asn = int(query[2:].upper().removeprefix("AS"))
            if asn not in self.prefixes:
                return b"D\n"
            wanted = [p for p in self.prefixes[asn] if (":" in p) == (query[:2] == "!6")]
            if not wanted:
                return b"C\n"
            data = " ".join(wanted).encode() + b"\n"
            return b"A%d\n" % len(data) + data + b"C\n"
        return b"F unrecognized command\n"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    foreground = RipestatServer(directory=Path(sys.argv[1]), port=int(sys.argv[2]), background=False)
    print(f"serving {sys.argv[1]} at {foreground.url}", flush=True)
    foreground.server.serve_forever()
