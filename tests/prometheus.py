"""Debian's node_exporter and promtool for the metrics tests (unpacked by `make check`: NETGUARD_PROMETHEUS).

The scraped text is read by a parser of the tests' own, written from the
exposition format's documentation, not from netguard's writer.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import require

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def tool(name: str) -> Path:
    root = os.environ.get("NETGUARD_PROMETHEUS", "")
    found = Path(root) / "usr" / "bin" / name
    if not root or not found.is_file():
        require(
            f"{name} not found: set NETGUARD_PROMETHEUS (make check unpacks Debian's prometheus packages)"
        )
    return found


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """{(name, {(label, value)}): value} of every sample line."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        pairs = frozenset(
            (k, bytes(v, "utf-8").decode("unicode_escape")) for k, v in LABEL.findall(labels or "")
        )
        samples[(name, pairs)] = float(value)
    return samples


def value(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def named(samples: dict, name: str) -> dict[frozenset, float]:
    return {labels: v for (n, labels), v in samples.items() if n == name}


@contextmanager
def node_exporter(namespace, directory: Path, port: int = 9101) -> Iterator[str]:
    """Debian's node_exporter inside the namespace, textfile collector only: its URL."""
    binary = tool("prometheus-node-exporter")
    process = subprocess.Popen(
        ["ip", "netns", "exec", namespace.name, str(binary), f"--web.listen-address=127.0.0.1:{port}",
         "--collector.disable-defaults", "--collector.textfile", f"--collector.textfile.directory={directory}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while namespace.exec("ss", "-Hltn", f"sport = :{port}").stdout.strip() == "":
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "node_exporter did not listen"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/metrics"
    finally:
        process.terminate()
        process.wait(timeout=10)


def scrape(namespace, url: str) -> str:
    """GET the metrics from inside the namespace (its own loopback)."""
    code = "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"
    return namespace.exec("/usr/bin/python3", "-c", code, url).stdout


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(tool("promtool")), *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )
