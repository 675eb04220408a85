"""bash completion: commands and options complete (needs the bash-completion package)."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import STRICT
from tests.sandbox import CHECKOUT, INSTALLED

LIBRARY = "/usr/share/bash-completion/bash_completion"
SCRIPT = (
    "/usr/share/bash-completion/completions/netguard"
    if INSTALLED
    else str(CHECKOUT / "docs" / "netguard.bash-completion")
)


def complete(line: str) -> list[str]:
    if not os.path.exists(LIBRARY):
        if STRICT:
            pytest.fail("bash-completion is not installed")
        pytest.skip("bash-completion is not installed")
    words = line.split(" ")
    program = (
        f"source {LIBRARY}; source {SCRIPT}; COMP_WORDS=({' '.join(repr(w) for w in words)}); "
        f"COMP_CWORD={len(words) - 1}; COMP_LINE={line!r}; COMP_POINT={len(line)}; "
        "_netguard; printf '%s\\n' \"${COMPREPLY[@]}\""
    )
    result = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return result.stdout.split()


def test_commands_complete():
    assert complete("netguard st") == ["status"]
    assert set(complete("netguard ")) == {
        "wait",
        "import",
        "refresh",
        "probe",
        "status",
        "check",
        "options",
        "undo",
    }
    assert complete("netguard undo --a") == ["--all"]


def test_subcommand_options_complete():
    assert complete("netguard status --j") == ["--json"]
    assert complete("netguard refresh --fo") == ["--force"]
    assert complete("netguard check --s") == ["--strict"]
    assert complete("netguard probe --r") == ["--rounds"]
