"""A real IRRd 4 whois server inside a test namespace: PostgreSQL and Redis from Debian, IRRd from PyPI.

Test-only: IRRd lives in a venv under out/ (`make out/irrd-venv`), never a
runtime dependency. PostgreSQL runs a private cluster and Redis a private
instance, both on unix sockets in the test's directory; IRRd's whois server
listens on the namespace's loopback. What IRRd needs here, measured
(PLATFORM.md): `user`/`group` when started as root, `rpki.roa_source: null`
(no downloads), and after start a nudge on Redis so its whois workers load
the prefix preload they may have missed. One whois worker (max_connections 1):
with two, the readiness probe could reach the worker that had its preload
while netguard's query reached the one that had not, and waited out its
Fetch-Timeout (a CI run, once).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

from tests.sandbox import CHECKOUT

VENV = CHECKOUT / "out" / "irrd-venv"
IRRD_VERSION = "4.5.4"
PG_BIN = Path("/usr/lib/postgresql")
WHOIS_PORT = 8043


def missing() -> str | None:
    """Why the IRRd tier cannot run here, or None."""
    if not (VENV / "bin" / "irrd").exists():
        return f"IRRd not installed in {VENV} (make out/irrd-venv)"
    if not any(PG_BIN.glob("*/bin/postgres")):
        return "PostgreSQL not installed (apt-get install postgresql)"
    if not shutil.which("redis-server"):
        return "Redis not installed (apt-get install redis-server)"
    return None


def _wait_for(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout:g} s")
        time.sleep(0.1)


def _query(namespace, text: str) -> str:
    result = namespace.exec(
        "/usr/bin/python3", "-c",
        "import socket, sys; s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5); "
        "s.sendall(sys.argv[2].encode() + b'\\n!q\\n'); data = b''\n"
        "while chunk := s.recv(65536): data += chunk\n"
        "sys.stdout.write(data.decode())",
        str(WHOIS_PORT), text, check=False,
    )  # fmt: skip
    return result.stdout


@contextlib.contextmanager
def irrd_server(namespace, base: Path, rpsl: str, probe_asn: int) -> Iterator[int]:
    """IRRd serving `rpsl` as source TEST on the namespace's 127.0.0.1:WHOIS_PORT; yields the port."""
    postgres = next(PG_BIN.glob("*/bin/postgres")).parent
    base.mkdir(parents=True)
    base.chmod(0o755)
    for name in ("pg", "pgsock", "redis", "pid", "gnupg"):
        (base / name).mkdir()
    shutil.chown(base / "pg", "postgres")
    shutil.chown(base / "pgsock", "postgres")
    for name in ("redis", "pid", "gnupg"):
        (base / name).chmod(0o777)
    processes: list[subprocess.Popen] = []

    def start(*argv: str, user: str | None = None) -> None:
        prefix = ["runuser", "-u", user, "--"] if user else []
        processes.append(
            subprocess.Popen(
                ["ip", "netns", "exec", namespace.name, *prefix, *argv],
                stdout=subprocess.DEVNULL,
                stderr=open(base / f"{Path(argv[0]).name}.log", "w"),  # noqa: SIM115 - closed with the process
            )
        )

    try:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(postgres / "initdb"), "-D", str(base / "pg"), "-U", "irrd",
             "--auth=trust", "-E", "UTF8"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        start(str(postgres / "postgres"), "-D", str(base / "pg"), "-k", str(base / "pgsock"),
              "-c", "listen_addresses=", "-c", "fsync=off", user="postgres")  # fmt: skip
        _wait_for(lambda: (base / "pgsock" / ".s.PGSQL.5432").exists(), "PostgreSQL")
        namespace.exec("runuser", "-u", "postgres", "--", str(postgres / "createdb"), "-h", str(base / "pgsock"),
                       "-U", "irrd", "irrd")  # fmt: skip
        redis_socket = base / "redis" / "redis.sock"
        start("redis-server", "--port", "0", "--unixsocket", str(redis_socket), "--unixsocketperm", "777",
              "--save", "", "--appendonly", "no", "--dir", str(base / "redis"))  # fmt: skip
        _wait_for(redis_socket.exists, "Redis")
        config = base / "irrd.yaml"
        config.write_text(
            textwrap.dedent(
                f"""\
                irrd:
                    database_url: 'postgresql://irrd@/irrd?host={base / "pgsock"}'
                    redis_url: 'unix://{redis_socket}'
                    piddir: {base / "pid"}
                    user: nobody
                    group: nogroup
                    rpki:
                        roa_source: null
                    server:
                        http:
                            interface: 127.0.0.1
                            port: 8044
                            url: http://127.0.0.1:8044/
                        whois:
                            interface: 127.0.0.1
                            port: {WHOIS_PORT}
                            max_connections: 1
                    auth:
                        gnupg_keyring: {base / "gnupg"}
                    email:
                        from: irrd@example.invalid
                        smtp: localhost
                    sources_default: [TEST]
                    sources:
                        TEST:
                            authoritative: false
                            keep_journal: false
                """
            )
        )
        (base / "test.rpsl").write_text(rpsl)
        irrd_bin = VENV / "bin"
        namespace.exec(str(irrd_bin / "irrd_database_upgrade"), "--config", str(config), timeout=180)
        namespace.exec(str(irrd_bin / "irrd_load_database"), "--config", str(config), "--source", "TEST",
                       str(base / "test.rpsl"), timeout=180)  # fmt: skip
        start(str(irrd_bin / "irrd"), "--config", str(config), "--foreground")
        _wait_for(lambda: _listening(namespace), "IRRd whois", timeout=120)
        redis_cli = ["redis-cli", "-s", str(redis_socket)]

        def preloaded() -> bool:
            subscribed = namespace.exec(
                *redis_cli, "PUBSUB", "NUMSUB", "irrd-preload-reload-channel"
            ).stdout.split()
            if len(subscribed) >= 2 and int(subscribed[1]) > 0:
                namespace.exec(*redis_cli, "PUBLISH", "irrd-preload-reload-channel", "reload")
            return _query(namespace, f"!gAS{probe_asn}").startswith("A")

        _wait_for(preloaded, "IRRd's prefix preload", timeout=120)
        yield WHOIS_PORT
    finally:
        for process in reversed(processes):
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def _listening(namespace) -> bool:
    return f"127.0.0.1:{WHOIS_PORT}" in namespace.exec("ss", "-ltn", check=False).stdout


def version() -> str:
    result = subprocess.run([str(VENV / "bin" / "python"), "-c", "import irrd; print(irrd.__version__)"],
                            capture_output=True, text=True, check=True)  # fmt: skip
    return result.stdout.strip()
