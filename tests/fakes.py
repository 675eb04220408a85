"""Local stand-ins for the public prefix sources, built from their documented contracts.

RipestatServer answers /data/ris-prefixes/data.json as RIPEstat's
documentation describes the ris-prefixes data call (and as the recorded
answer tests/data/ris-prefixes-AS3333.json shows: the fake's answers are
checked to have exactly its shape): with list_prefixes=true,
data.prefixes.v4/v6.originating/transiting are lists of prefix *strings*;
`types` (o, t) and `af` (v4, v6) filter them. It can misbehave on purpose
(`fault`), including dripping a byte every 0.5 s. IrrServer speaks IRRd 4's
whois protocol byte for byte as measured against IRRd 4.5.4 (PLATFORM.md):
`!!` nothing, `!sSRC` C or F, `!gASn`/`!6ASn` A<len>/data/C or D, `!q`.
Both listen on loopback and run in a thread; `python3 tests/fakes.py DIR PORT
[DELAY]` serves DIR/AS<n>.json over HTTP in the foreground (inside a namespace).
"""

from __future__ import annotations

import datetime
import json
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RECORDED = Path(__file__).parent / "data" / "ris-prefixes-AS3333.json"
DRIP_INTERVAL = 0.5


def drip(stream, data: bytes) -> None:
    """A slow or hostile server: one byte every DRIP_INTERVAL."""
    for byte in data:
        stream.write(bytes([byte]))
        stream.flush()
        time.sleep(DRIP_INTERVAL)


def ripestat_answer(
    asn: str,
    originating: list[str],
    transiting: list[str] = (),  # type: ignore[assignment]
    status: str = "ok",
    resource: str | None = None,
    types: str = "o,t",
    af: str = "v4,v6",
) -> bytes:
    """A ris-prefixes answer with list_prefixes=true, every field the documented answer carries."""
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    dump = now.replace(hour=now.hour // 8 * 8, minute=0, second=0)  # RIS dumps: 00, 08, 16 UTC
    families = [f for f in ("v4", "v6") if f in af.split(",")]
    kinds = [k for k, letter in (("originating", "o"), ("transiting", "t")) if letter in types.split(",")]
    lists = {"originating": list(originating), "transiting": list(transiting)}
    prefixes = {
        family: {kind: [p for p in lists[kind] if (":" in p) == (family == "v6")] for kind in kinds}
        for family in families
    }
    counts = {family: {kind: len(prefixes[family][kind]) for kind in kinds} for family in families}
    return json.dumps(
        {
            "messages": [],
            "see_also": [],
            "version": "1.2",
            "data_call_name": "ris-prefixes",
            "data_call_status": "supported",
            "cached": False,
            "data": {
                "prefixes": prefixes,
                "resource": resource or asn.upper().removeprefix("AS"),
                "query_time": dump.isoformat(timespec="seconds").replace("+00:00", ""),
                "counts": counts,
                "list_prefixes": True,
                "af": families,
                "types": [letter for letter in ("o", "t") if letter in types.split(",")],
                "noise": ["keep"],
                "cache": None,
                "latest_time": dump.isoformat(timespec="seconds").replace("+00:00", ""),
                "earliest_time": "2000-08-01T00:00:00",
            },
            "query_id": f"{now:%Y%m%d%H%M%S}-fake",
            "process_time": 1,
            "server_id": "fake",
            "build_version": "fake",
            "status": status,
            "status_code": 200 if status == "ok" else 400,
            "time": now.isoformat().replace("+00:00", ""),
        }
    ).encode()


class RipestatServer:
    def __init__(
        self,
        prefixes: dict[int, list[str]] | None = None,
        directory: Path | None = None,
        port: int = 0,
        background: bool = True,
        transiting: dict[int, list[str]] | None = None,
    ) -> None:
        self.prefixes = prefixes or {}
        self.transiting = transiting or {}
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
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/data/ris-prefixes/data.json"
        if background:
            threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def body_for(self, query: dict[str, list[str]]) -> bytes:
        resource = query.get("resource", [""])[0]
        asn = resource.upper().removeprefix("AS")
        if self.directory is not None:
            path = self.directory / f"AS{asn}.json"
            return path.read_bytes() if path.exists() else ripestat_answer(asn, [])
        number = int(asn) if asn.isdigit() else 0
        return ripestat_answer(
            asn,
            self.prefixes.get(number, []),
            self.transiting.get(number, []),
            types=query.get("types", ["o,t"])[0],
            af=query.get("af", ["v4,v6"])[0],
        )

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlparse(handler.path).query)
        body = self.body_for(query)
        resource = query.get("resource", [""])[0]
        fault = self.fault
        if fault.startswith("delay:"):  # a slow server: the answer comes after N seconds
            time.sleep(float(fault.split(":", 1)[1]))
        if fault == "500":
            handler.send_error(500, "Internal Server Error")
            return
        if fault == "reset":
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            handler.connection.close()
            return
        if fault.startswith(("redirect:", "redirect-once:")):  # redirect:URL
            if fault.startswith("redirect-once:"):
                self.fault = ""
            handler.send_response(302)
            handler.send_header("Location", fault.split(":", 1)[1])
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if fault == "drip-status":  # the status line itself, a byte at a time
            drip(handler.wfile, b"HTTP/1.1 200 OK\r\n" * 100)
            return
        if fault == "truncated":
            body = body[: len(body) // 2]
        if fault == "status":
            body = ripestat_answer(resource, [], status="error")
        if fault == "wrong-asn":
            body = ripestat_answer(resource, ["2001:db8::/32"], resource="64999")
        if fault == "objects":  # the announced-prefixes call's shape, which ris-prefixes never has
            answer = json.loads(body)
            for family in answer["data"]["prefixes"].values():
                family["originating"] = [{"prefix": p, "timelines": []} for p in family["originating"]]
            body = json.dumps(answer).encode()
        if fault == "nested":
            body = b"[" * 200000 + b"]" * 200000
        if fault == "huge":
            body = b" " * (2 * 1024 * 1024) + body
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if fault == "drip":  # headers at once, then the body a byte every 0.5 s
            drip(handler.wfile, body)
            return
        handler.wfile.write(body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class IrrServer:
    """IRRd 4 whois: `!!` keep-alive, `!sSOURCES`, `!gASn` (IPv4), `!6ASn` (IPv6), `!q`."""

    SOURCES = frozenset({"RIPE", "ARIN", "APNIC", "LACNIC", "AFRINIC", "RADB"})

    def __init__(self, prefixes: dict[int, list[str]]) -> None:
        self.prefixes = prefixes
        self.queries: list[str] = []
        self.fault = ""
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
                    reply = owner.reply(query)
                    if owner.fault == "drip" and query[:2] in ("!g", "!6"):
                        drip(self.wfile, b"A1000000\n" + b"2001:db8::/32 " * 100)
                        return
                    self.wfile.write(reply)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reply(self, query: str) -> bytes:
        if query.startswith("!s"):
            if all(s.upper() in self.SOURCES for s in query[2:].split(",")):
                return b"C\n"
            return b"F One or more selected sources are unavailable.\n"
        if query[:2] in ("!g", "!6"):
            asn = int(query[2:].upper().removeprefix("AS"))
            wanted = [p for p in self.prefixes.get(asn, []) if (":" in p) == (query[:2] == "!6")]
            if not wanted:
                return b"D\n"
            data = " ".join(wanted).encode() + b"\n"
            return b"A%d\n" % len(data) + data + b"C\n"
        return b"F Unrecognised command.\n"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    foreground = RipestatServer(directory=Path(sys.argv[1]), port=int(sys.argv[2]), background=False)
    if len(sys.argv) > 3:
        foreground.fault = f"delay:{sys.argv[3]}"
    print(f"serving {sys.argv[1]} at {foreground.url}", flush=True)
    foreground.server.serve_forever()
