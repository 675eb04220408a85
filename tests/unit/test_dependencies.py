"""Depends is true: every Python package it names is imported at run time, and every
third-party module a runtime file imports is covered by Depends (or Suggests, where the
import is optional). README's dependency table says why each is used or written by hand."""

from __future__ import annotations

import ast
import re
import sys

from tests.sandbox import CHECKOUT

# Debian package -> the top-level module it provides.
PROVIDES = {"python3-pyroute2": "pyroute2", "python3-mako": "mako", "python3-debian": "debian",
            "ifupdown2": "ifupdown2"}  # fmt: skip
RUNTIME = [
    *sorted((CHECKOUT / "netguard").rglob("*.py")),
    CHECKOUT / "ifupdown-hooks/ifupdown2/netguard_ifupdown2.py",
]


def field(name: str) -> set[str]:
    control = (CHECKOUT / "debian" / "control").read_text()
    package = control.split("\nPackage: netguard\n", 1)[1]
    found = re.search(rf"\n{name}:((?:.*\n)(?:\s+.*\n)*)", package)
    words = re.split(r"[,|\s]+", found.group(1)) if found else []
    return {w for w in words if w and not w.startswith(("$", "("))}


def third_party_imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in RUNTIME:
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "netguard" and not top.startswith("_"):
                    found.setdefault(top, set()).add(path.name)
    return found


def test_every_python_package_in_depends_is_imported_at_run_time():
    imported = third_party_imports()
    for package in field("Depends"):
        if package.startswith("python3-"):
            assert PROVIDES[package] in imported, f"{package} is in Depends but no runtime module imports it"


def test_every_runtime_import_is_covered_by_depends_or_suggests():
    declared = field("Depends") | field("Suggests")
    covered = {PROVIDES[p] for p in declared if p in PROVIDES} | {
        "ifupdownaddons"
    }  # ifupdown2's, in the addon
    assert set(third_party_imports()) <= covered, third_party_imports()


def test_python3_debian_is_a_test_dependency_only():
    assert "python3-debian" not in field("Depends")
    assert "python3-debian" in (CHECKOUT / "debian" / "tests" / "control").read_text()


def test_the_readme_has_the_dependency_table():
    readme = (CHECKOUT / "README.md").read_text()
    for what in ("netlink", "deb822", "HTTP", "IRR whois", "ARP"):
        assert re.search(rf"\n\| {what}[^|]*\|", readme), what
