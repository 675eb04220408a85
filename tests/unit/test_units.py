"""The shipped systemd units: hardened (systemd-analyze security) and bounded in time."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require
from tests.sandbox import CHECKOUT, INSTALLED

UNITS = ["netguard-refresh.service", "netguard-probe.service"]


def unit_file(name: str, tmp_path: Path) -> Path:
    if INSTALLED:
        return next(
            p
            for p in (Path("/usr/lib/systemd/system") / name, Path("/lib/systemd/system") / name)
            if p.exists()
        )
    copy = tmp_path / name  # systemd-analyze judges a unit by its file name
    shutil.copy(CHECKOUT / "debian" / f"netguard.{name}", copy)
    return copy


@pytest.mark.parametrize("name", UNITS)
def test_exposure_is_ok(name, tmp_path):
    require(None if shutil.which("systemd-analyze") else "systemd-analyze (package systemd) not installed")
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(unit_file(name, tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    level = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert level, result.stdout + result.stderr
    assert float(level.group(1)) <= 2.5, result.stdout


@pytest.mark.parametrize("name", UNITS)
def test_a_oneshot_has_a_total_timeout(name, tmp_path):
    text = unit_file(name, tmp_path).read_text()
    assert re.search(r"^TimeoutStartSec=\d+min$", text, re.MULTILINE)
