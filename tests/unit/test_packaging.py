"""The build lists every Python package of the checkout (a missing one fails only at run time)."""

from __future__ import annotations

import tomllib

from tests.sandbox import CHECKOUT, INSTALLED


def every_python_package_is_listed_for_the_build():
    root = CHECKOUT / "netguard"
    found = {".".join(path.parent.relative_to(CHECKOUT).parts) for path in root.rglob("__init__.py")}
    listed = set(tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    assert found == listed


if not INSTALLED:  # checks the checkout's build configuration, which the installed package has not
    test_every_python_package_is_listed_for_the_build = every_python_package_is_listed_for_the_build


def the_version_is_the_changelogs():
    """One version: debian/changelog's top entry; the package and the man pages say the same."""
    import netguard

    top = (CHECKOUT / "debian" / "changelog").read_text().split("\n", 1)[0]
    version = top.split("(", 1)[1].split(")", 1)[0]
    assert netguard.__version__ == version
    for page in ("netguard.8", "netguard-interfaces.5"):
        assert f'"netguard {version}"' in (CHECKOUT / "docs" / page).read_text().split("\n", 1)[0], page


if not INSTALLED:  # debian/changelog is the checkout's
    test_the_version_is_the_changelogs = the_version_is_the_changelogs
