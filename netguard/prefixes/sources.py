"""Where prefix data comes from: RIPEstat (announced), IRR whois (registered), a fleet mirror.

Every fetch has one total deadline (Fetch-Timeout: connect, TLS, headers,
body; whois: connect to the last `C`), whatever the server does, enforced by
a timer signal on top of socket timeouts; answers are capped at
Fetch-Max-Bytes and validated with the one prefix grammar before anything
is cached. TLS is verified; redirects are followed only within the same
scheme and host. One request at a time: RIPEstat allows at most 8 per IP,
and a fleet should point every host at one mirror instead (`mirror`: a
directory of cache entries, as any static web server serves it).
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import urllib.parse
from contextlib import contextmanager

from netguard import __version__
from netguard.errors import NetguardError, shown
from netguard.prefixes.prefix import Prefix, PrefixError, parse, parse_all, sort_prefixes
from netguard.record import NamedTuple

TYPE_CHECKING = False  # no typing at run time: netguard/record.py
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

USER_AGENT = f"netguard/{__version__} (Debian ifupdown hooks; reject-asn refresh)"
MAX_REDIRECTS = 3


class FetchError(NetguardError):
    """A source failed or answered something unusable; the cache stays as it was."""


class _Expired(BaseException):
    """Raised by the timer signal; a BaseException so no library's `except Exception` can swallow it."""


class Fetched(NamedTuple):
    source: str  # "ripestat" (announced), "irr" (registered), "mirror:..." (another host's cache)
    data_time: str
    prefixes: tuple[Prefix, ...]


@contextmanager
def deadline(seconds: float, what: str) -> Iterator[None]:
    """The whole block ends within `seconds`, or raises FetchError: a server that drips cannot hold us."""

    def expire(_signum: int, _frame: object) -> None:
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise FetchError(
            f"{what}: no complete answer within {seconds:g} s (Fetch-Timeout); gave up"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _prefixes(texts: list[str], what: str) -> tuple[Prefix, ...]:
    every = parse_all(texts)  # in C, when every text is a prefix
    if every is not None:
        return tuple(sort_prefixes(set(every)))
    found = set()
    for text in texts:
        try:
            found.add(parse(text))
        except PrefixError as err:
            raise FetchError(
                f"{what}: the answer holds {shown(text)}, not a prefix ({err}); refused"
            ) from None
    return tuple(sort_prefixes(found))


def public_url(url: str) -> str:
    """The URL as messages show it: no user:password@, nothing a terminal would act on."""
    parts = urllib.parse.urlsplit(url)
    if "@" in parts.netloc:
        parts = parts._replace(netloc="...@" + parts.netloc.rpartition("@")[2])
    text = urllib.parse.urlunsplit(parts)
    return text if text.isprintable() else shown(text)


def http_get(url: str, timeout: float, limit: int, what: str) -> bytes:
    """GET with the total deadline, the size cap, and redirects only within the same scheme and host."""
    with deadline(timeout, what):
        for _hop in range(MAX_REDIRECTS + 1):
            parts = urllib.parse.urlsplit(url)
            said = public_url(url)
            connection_class = (
                http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            )
            connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            try:
                connection.request("GET", target, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
                response = connection.getresponse()
                if response.status in (301, 302, 303, 307, 308):
                    location = urllib.parse.urljoin(url, response.getheader("Location", ""))
                    moved = urllib.parse.urlsplit(location)
                    if (moved.scheme, moved.netloc) != (parts.scheme, parts.netloc):
                        raise FetchError(
                            f"{what}: {said} redirects to {shown(public_url(location))}, another scheme or host; "
                            "not followed (point the configuration at the final URL)"
                        )
                    url = location
                    continue
                if response.status != 200:
                    raise FetchError(f"{what}: {said}: HTTP {response.status} {shown(response.reason[:60])}")
                body = bytearray()
                while chunk := response.read1(65536):
                    body += chunk
                    if len(body) > limit:
                        raise FetchError(
                            f"{what}: {said}: answer larger than {limit} bytes (Fetch-Max-Bytes); refused"
                        )
                return bytes(body)
            except (OSError, http.client.HTTPException) as err:
                raise FetchError(f"{what}: {said}: {type(err).__name__}: {shown(str(err))}") from None
            finally:
                connection.close()
    raise FetchError(f"{what}: more than {MAX_REDIRECTS} redirects; refused")


def _field(mapping: object, key: str, kind: type, where: str) -> Any:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    if not isinstance(value, kind):
        raise ValueError(f"{where}.{key} is {type(value).__name__}, expected {kind.__name__}")
    return value


def parse_ripestat(body: bytes, asn: int, what: str) -> Fetched:
    """ris-prefixes with list_prefixes=true: data.prefixes.v4/v6.originating are lists of strings."""
    try:
        answer = json.loads(body)
        status = _field(answer, "status", str, "answer")
        if status != "ok":
            raise FetchError(f"{what}: status {shown(status)}, not 'ok'; {answer.get('messages', '')!s:.80}")
        data = _field(answer, "data", dict, "answer")
        resource = str(data.get("resource", "")).upper().removeprefix("AS")
        if resource != str(asn):
            raise FetchError(f"{what}: the answer is about {shown(str(data.get('resource')))}; refused")
        lists = _field(data, "prefixes", dict, "data")
        texts: list[str] = []
        for family in ("v4", "v6"):
            originating = _field(lists, family, dict, "data.prefixes").get("originating", [])
            if not isinstance(originating, list) or not all(isinstance(t, str) for t in originating):
                raise ValueError(f"data.prefixes.{family}.originating is not a list of prefix strings")
            texts.extend(originating)
        data_time = str(data.get("latest_time") or data.get("query_time") or "")
    except (ValueError, RecursionError) as err:  # json's errors are ValueErrors
        raise FetchError(
            f"{what}: malformed answer ({type(err).__name__}: {str(err)[:100]}); refused"
        ) from None
    return Fetched("ripestat", data_time, _prefixes(texts, what))


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
    what = f"RIPEstat AS{asn}"
    return parse_ripestat(http_get(f"{base_url}?{query}", timeout, limit, what), asn, what)


def fetch_mirror(base_url: str, asn: int, timeout: float, limit: int) -> Fetched:
    """BASE/AS<n>: another netguard host's cache entry, validated exactly like a local one."""
    from netguard.prefixes.cache import CacheError, parse_entry

    url = f"{base_url.rstrip('/')}/AS{asn}"
    what = f"mirror AS{asn}"
    body = http_get(url, timeout, limit, what)
    try:
        entry = parse_entry(body.decode("ascii"), asn, url)
    except UnicodeDecodeError:
        raise FetchError(f"{what}: {public_url(url)}: not ASCII; refused") from None
    except CacheError as err:
        raise FetchError(f"{what}: {err.message}") from None
    if entry.bad_lines:
        raise FetchError(f"{what}: {public_url(url)}: {shown(entry.bad_lines[0])} is not a prefix; refused")
    origin = entry.source.split(":", 1)[-1] if entry.source.startswith("mirror:") else entry.source
    return Fetched(f"mirror:{origin}", entry.data_time, entry.prefixes)


def _irr_reply(stream, what: str, limit: int) -> str:
    """One IRRd reply: A<len> + data + C, or C (empty), D (no such key), F error."""
    status = stream.readline(256).decode("ascii", "replace").strip()
    if status.startswith("A") and status[1:].isascii() and status[1:].isdigit():
        length = int(status[1:])
        if length > limit:
            raise FetchError(f"{what}: answer larger than {limit} bytes (Fetch-Max-Bytes); refused")
        data = stream.read(length)
        if len(data) < length:
            raise FetchError(f"{what}: connection closed mid-answer")
        end = stream.readline(256).decode("ascii", "replace").strip()
        if end != "C":
            raise FetchError(f"{what}: answer not terminated by C (got {shown(end)})")
        return data.decode("ascii", "replace")
    if status in ("C", "D"):
        return ""
    if status.startswith("F"):
        raise FetchError(f"{what}: server error: {status[1:].strip()[:80]}")
    raise FetchError(f"{what}: unexpected reply {shown(status)}")


def fetch_irr(host: str, port: int, sources: str, asn: int, timeout: float, limit: int) -> Fetched:
    what = f"IRR {host} AS{asn}"
    with deadline(timeout, what):
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
