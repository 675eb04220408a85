"""Depends is true: every Python package it names is imported at run time, and every
third-party module a runtime file imports is covered by Depends (or Suggests, where the
import is optional). docs/design.md's dependency table says why each is used or written by hand."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import netguard
from tests.sandbox import CHECKOUT, INSTALLED

# Debian package -> the top-level module it provides.
PROVIDES = {"python3-pyroute2": "pyroute2", "python3-mako": "mako", "python3-debian": "debian",
            "ifupdown2": "ifupdown2"}  # fmt: skip
# The installed package's files under autopkgtest, the checkout's otherwise.
ADDON = (
    Path("/usr/share/ifupdown2/addons/netguard_ifupdown2.py")
    if INSTALLED
    else CHECKOUT / "ifupdown-hooks/ifupdown2/netguard_ifupdown2.py"
)
RUNTIME = [*sorted(Path(netguard.__file__).parent.rglob("*.py")), ADDON]


def field(name: str) -> set[str]:
    """A field of the package: dpkg's word for the installed one, debian/control's otherwise."""
    if INSTALLED:
        text = subprocess.run(
            ["dpkg-query", "-W", f"-f=${{{name}}}", "netguard"], capture_output=True, text=True, check=True
        ).stdout
    else:
        control = (CHECKOUT / "debian" / "control").read_text()
        package = control.split("\nPackage: netguard\n", 1)[1]
        found = re.search(rf"\n{name}:((?:.*\n)(?:\s+.*\n)*)", package)
        text = found.group(1) if found else ""
    words = re.split(r"[,|\s]+", text)
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
    # ifupdown2's own packages, in the addon (its older layout has them top-level)
    covered = {PROVIDES[p] for p in declared if p in PROVIDES} | {"ifupdownaddons", "ifupdown"}
    assert set(third_party_imports()) <= covered, third_party_imports()


def test_python3_debian_is_not_a_runtime_dependency():
    assert "python3-debian" not in field("Depends")


def source_tree_only():
    assert "python3-debian" in (CHECKOUT / "debian" / "tests" / "control").read_text()
    design = (CHECKOUT / "docs" / "design.md").read_text()
    for what in ("netlink", "deb822", "HTTP", "IRR whois", "ARP"):
        assert re.search(rf"\n\| {what}[^|]*\|", design), what


if not INSTALLED:  # the README and debian/ are not installed: from the checkout only (not skipped there)
    test_the_tests_need_python3_debian_and_the_design_page_has_the_table = source_tree_only
