"""Fixtures for the three tiers: unit (no root), netns, ifupdown.

Locally a missing capability skips the root tiers with the reason; in CI
(CI=true or NETGUARD_REQUIRE_ROOT=1) it fails them, so a skipped suite can
never be reported as a pass.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests import sandbox

STRICT = os.environ.get("CI") == "true" or os.environ.get("NETGUARD_REQUIRE_ROOT") == "1"
# NETGUARD_BUILD=1: a package build (debian/rules): whoever builds, the build host is left alone.
BUILD = os.environ.get("NETGUARD_BUILD") == "1"


TRACEBACK = "Traceback (most recent call last)"
SCANNED = {"runs": 0}


def _runs_netguard(args) -> bool:
    words = [str(w) for w in (args if isinstance(args, list | tuple) else [args])]
    return any("netguard" in w or os.path.basename(w) in ("ifup", "ifdown", "bindprobe.py") for w in words)


def _no_traceback(args, *outputs) -> None:
    """Every run of a hook or the CLI in the whole suite: no traceback may reach the user."""
    if not _runs_netguard(args):
        return
    SCANNED["runs"] += 1
    for output in outputs:
        text = output.decode(errors="replace") if isinstance(output, bytes) else output or ""
        if TRACEBACK in text:
            raise AssertionError(f"a traceback reached the user from {str(args)[:300]}:\n{text[-3000:]}")


def _scan_subprocess_output() -> None:
    real_run, real_communicate = subprocess.run, subprocess.Popen.communicate

    def run(*args, **kwargs):
        result = real_run(*args, **kwargs)
        _no_traceback(result.args, result.stdout, result.stderr)
        return result

    def communicate(self, *args, **kwargs):
        out, err = real_communicate(self, *args, **kwargs)
        _no_traceback(self.args, out, err)
        return out, err

    subprocess.run = run  # type: ignore[assignment]
    subprocess.Popen.communicate = communicate  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    """Markers live here, not in pyproject.toml: autopkgtest runs a copy of tests/ alone."""
    config.addinivalue_line("markers", "netns: needs root and network namespaces")
    config.addinivalue_line("markers", "ifupdown: runs the real ifup/ifdown inside namespaces")
    config.addinivalue_line("markers", "hostile: hostile inputs: one line, no traceback, nothing changed")
    _scan_subprocess_output()
    if BUILD:  # a package build (debian/rules): a loaded buildd must not fail a test on time alone
        from hypothesis import settings

        settings.register_profile("build", database=None, deadline=None)
        settings.load_profile("build")
    elif not os.access(config.rootpath, os.W_OK):  # CI's unit tier runs as nobody in a read-only copy
        from hypothesis import settings

        settings.register_profile("read-only", database=None)
        settings.load_profile("read-only")


def pytest_terminal_summary(terminalreporter) -> None:
    terminalreporter.write_line(
        f"traceback check: {SCANNED['runs']} runs of hooks and the CLI scanned, 0 tracebacks (any would fail its test)"
    )


def _missing_capability() -> str | None:
    if BUILD:
        return "a package build runs the unit tier only (debian/rules); root tiers run in make check"
    if os.geteuid() != 0:
        return "not root"
    if not shutil.which("ip"):
        return "iproute2 (ip) not installed"
    if not os.path.isdir("/proc/sys/net/ipv6"):
        return "kernel without IPv6"
    return None


def _missing_ifupdown() -> str | None:
    for tool in ("ifup", "ifdown", "run-parts"):
        if not shutil.which(tool):
            return f"{tool} not installed (apt-get install ifupdown)"
    if not os.path.isdir("/etc/network"):
        return "/etc/network missing (ifupdown not installed)"
    return None


def require(reason: str | None) -> None:
    if reason is None:
        return
    if STRICT:
        pytest.fail(f"required capability missing in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _netguard_etc_mountpoint() -> Iterator[None]:
    """/etc/netguard and /etc/iproute2 must exist for `ip netns exec` to bind-mount a sandbox's over them."""
    created = [
        name
        for name in ("netguard", "iproute2")
        if os.geteuid() == 0
        and not BUILD
        and sandbox.ensure_etc_mountpoint(name)  # never the build host's /etc
    ]
    host_state = sandbox.host_state()
    yield
    assert sandbox.host_state() == host_state, (
        "a test wrote to the host's /run/netguard (use sandbox.private_run)"
    )
    for name in created:
        with contextlib.suppress(OSError):
            os.rmdir(f"/etc/{name}")
    if os.geteuid() == 0 and not BUILD:
        leaked = sandbox.leftovers()
        assert not leaked, f"tests left namespaces or /etc/netns entries behind: {leaked}"


@pytest.fixture
def make_namespace() -> Iterator:
    require(_missing_capability())
    made: list[sandbox.Namespace] = []

    def factory(prefix: str = "ng") -> sandbox.Namespace:
        namespace = sandbox.Namespace(prefix)
        made.append(namespace)
        return namespace

    yield factory
    for namespace in made:
        namespace.close()


@pytest.fixture
def make_host() -> Iterator:
    require(_missing_capability() or _missing_ifupdown())
    made: list[sandbox.Namespace] = []

    def factory(prefix: str = "ng", config: str = "") -> sandbox.IfupdownHost:
        host = sandbox.IfupdownHost(prefix, config)
        made.append(host)
        return host

    yield factory
    for host in made:
        host.close()
