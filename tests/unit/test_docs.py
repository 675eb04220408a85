"""The docs follow the declarations: an undocumented option, command or key fails here."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from netguard.catalogue import OPTIONS
from netguard.cli import build_parser
from netguard.config import Config
from tests.sandbox import CHECKOUT, INSTALLED


def man_page(name: str, section: int) -> str:
    if INSTALLED:
        return gzip.decompress(Path(f"/usr/share/man/man{section}/{name}.{section}.gz").read_bytes()).decode()
    return (CHECKOUT / "docs" / f"{name}.{section}").read_text()


def plain(roff: str) -> str:
    """Drop font escapes so `\\fBwait-dad\\fP 5` reads as `wait-dad 5`."""
    for escape in ("\\fB", "\\fI", "\\fR", "\\fP", "\\-"):
        roff = roff.replace(escape, "-" if escape == "\\-" else "")
    return roff.replace("\n.B ", "\n").replace("\n.BI ", "\n")


@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: o.name)
def test_every_option_is_in_the_man_page_with_its_example(option):
    page = plain(man_page("netguard-interfaces", 5))
    assert f'\n"{option.name} "' in page or f"\n{option.name} " in page, f"{option.name} has no .TP entry"
    assert f"\n{option.example}\n" in page, f"example {option.example!r} missing"


@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: o.name)
def readme_lists(option):
    assert f"| `{option.name}` |" in (CHECKOUT / "README.md").read_text()


def test_every_subcommand_is_in_netguard_8_and_the_readme():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    page = plain(man_page("netguard", 8))
    for name in commands:
        assert f'\n"{name} ' in page or f"\n{name}\n" in page or f"\n{name} " in page, (
            f"{name} not in netguard(8)"
        )


def test_every_configuration_key_is_in_netguard_8():
    page = man_page("netguard", 8)
    for field in Config._fields:
        assert Config.key(field) in page.replace("\n", " "), f"{Config.key(field)} not in netguard(8)"


def readme_examples_pass_check(tmp_path):
    import re

    from netguard.commands.check import check_stanza
    from netguard.interfaces import read_interfaces

    pages = [CHECKOUT / "README.md", *sorted((CHECKOUT / "docs").glob("*.md"))]
    blocks = [b for page in pages for b in re.findall(r"```\n(.*?)```", page.read_text(), flags=re.S)]
    examples = [b for b in blocks if "\niface " in "\n" + b]
    readme = re.findall(r"```\n(.*?)```", (CHECKOUT / "README.md").read_text(), flags=re.S)
    assert len([b for b in readme if "\niface " in "\n" + b]) >= 4  # one per option family
    for number, block in enumerate(examples):
        path = tmp_path / f"example{number}"
        path.write_text(block)
        findings = [f for stanza in read_interfaces(str(path)) for f in check_stanza(stanza, None)]
        assert not [f for f in findings if f.error], (block, [f.text() for f in findings])


if not INSTALLED:  # the README is not installed: these run from the checkout only (not skipped there)
    test_every_option_is_in_the_readme = readme_lists
    test_the_readmes_stanza_examples_pass_netguard_check = readme_examples_pass_check


def test_the_man_pages_phases_section_is_the_declared_steps():
    from netguard.catalogue import steps_of
    from netguard.options import PHASES

    page = man_page("netguard-interfaces", 5)
    section = page.split("\n.SH PHASES\n", 1)[1].split("\n.SH ", 1)[0]
    for phase in PHASES:
        block = section.split(f"\n.B {phase}\n", 1)[1].split("\n.TP", 1)[0]
        listed = [line for line in block.split("\n") if line and line != ".br"]
        assert listed == [
            f"{s.option}{' [--all]' if s.meta else ''} ({s.policy}): {s.does}" for s in steps_of(phase)
        ], phase


def test_every_metric_is_in_netguard_8_with_its_type_and_help():
    from netguard import metrics

    page = plain(man_page("netguard", 8))
    for name, (kind, text) in metrics.METRICS.items():
        assert f"\n{name}\n({kind}) {text}" in page.replace("\n" + text, " " + text), name
