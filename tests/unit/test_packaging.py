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
