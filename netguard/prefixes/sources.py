"""Where prefix data comes from: RIPEstat (announced) and IRR whois (registered).

Each fetch is bounded (timeout, response size cap), verifies TLS, names
itself in the User-Agent, and validates the answer before anything is
cached. One request at a time: RIPEstat allows at most 8 per IP, and a
fleet should point every host at one internal mirror instead (the base
URL and the whois server are configuration).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from netguard import __version__
from netguard.errors import NetguardError
from netguard.prefixes.setops import IPNetwork

USER_AGENT = f"netguard/{__version__} (Debian ifupdown hooks; reject-asn refresh)"


class FetchError(NetguardError):
    """A source failed or answered something unusable; the cache stays as it was."""


@dataclass(frozen=True)
class Fetched:
    source: str  # "ripestat" (announced) or "irr" (registered)
    data_time: str
    prefixes: tuple[IPNetwork, ...]


def _read_capped(response, limit: int, what: str) -> bytes:
    body = response.read(limit + 1)
    if len(body) > limit:
        raise FetchError(f"{what}: answer larger than {limit} bytes (Fetch-Max-Bytes); refused")
    return body


def _prefixes(texts: list, what: str) -> tuple[IPNetwork, ...]:
    found = []
    for text in texts:
        try:
            found.append(ipaddress.ip_network(str(text), strict=False))
        except ValueError:
            raise FetchError(f"{what}: answer holds {text!r}, not a prefix; refused") from None
    return tuple(sorted(set(found), key=lambda p: (p.version, p)))


def fetch_ripestat(base_url: str, asn: int, timeout: float, limit: int) -> Fetched:
    query = urllib.parse.urlencode(
        {
            "resource": f"AS{asn}",
            "list_prefixes": "true",
            "types": "o",
            "af": "v4,v6",
            "sourceapp": "netguard",
        }
    )
    url = f"{base_url}?{query}"
    what = f"RIPEstat AS{asn}"
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # verifies TLS by default
            body = _read_capped(response, limit, what)
    except urllib.error.HTTPError as err:
        raise FetchError(f"{what}: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise FetchError(f"{what}: {reason}") from None
    try:
        answer = json.loads(body)
        if answer.get("status") != "ok":
            raise FetchError(f"{what}: status {answer.get('status')!r}, not 'ok'")
        data = answer["data"]
        resource = str(data.get("resource", "")).upper().removeprefix("AS")
        if resource != str(asn):
            raise FetchError(f"{what}: the answer is about {data.get('resource')!r}; refused")
        lists = data["prefixes"]
        texts = [p["prefix"] for family in ("v4", "v6") for p in lists.get(family, {}).get("originating", [])]
        data_time = str(data.get("query_endtime") or answer.get("time") or "")
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise FetchError(f"{what}: malformed answer ({type(err).__name__}: {err})") from None
    return Fetched("ripestat", data_time, _prefixes(texts, what))


def _irr_reply(stream, what: str, limit: int) -> str:
    """One IRRd reply: A<len> + data + C, or C (empty), D (no such key), F error."""
    status = stream.readline(256).decode("ascii", "replace").strip()
    if status.startswith("A") and status[1:].isdigit():
        length = int(status[1:])
        if length > limit:
            raise FetchError(f"{what}: answer larger than {limit} bytes (Fetch-Max-Bytes); refused")
        data = stream.read(length)
        if len(data) < length:
            raise FetchError(f"{what}: connection closed mid-answer")
        end = stream.readline(256).decode("ascii", "replace").strip()
        if end != "C":
            raise FetchError(f"{what}: answer not terminated by C (got {end!r})")
        return data.decode("ascii", "replace")
    if status in ("C", "D"):
        return ""
    if status.startswith("F"):
        raise FetchError(f"{what}: server error: {status[1:].strip()}")
    raise FetchError(f"{what}: unexpected reply {status!r}")


def fetch_irr(host: str, port: int, sources: str, asn: int, timeout: float, limit: int) -> Fetched:
    what = f"IRR {host} AS{asn}"
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            stream = sock.makefile("rwb")
            stream.write(f"!!\n!s{sources}\n!gAS{asn}\n!6AS{asn}\n!q\n".encode("ascii"))
            stream.flush()
            _irr_reply(stream, what, limit)  # !s
            v4 = _irr_reply(stream, what, limit)
            v6 = _irr_reply(stream, what, limit)
    except (OSError, ValueError) as err:
        raise FetchError(f"{what}: {err}") from None
    return Fetched("irr", "", _prefixes(v4.split() + v6.split(), what))
