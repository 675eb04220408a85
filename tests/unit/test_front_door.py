"""README is the front door: short, and every page it sends a reader to is there.

From the checkout, and from /usr/share/doc/netguard when the package is
installed (README.md and docs/*.md are shipped uncompressed for this).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.sandbox import CHECKOUT, INSTALLED

BASE = Path("/usr/share/doc/netguard") if INSTALLED else CHECKOUT
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    found = set()
    for heading in re.findall(r"^#+ (.*)$", page.read_text(), flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        found.add(slug)
    return found


def links(page: Path) -> list[tuple[Path, str]]:
    found = []
    for target in LINK.findall(page.read_text()):
        if "://" in target:
            continue
        path, _, anchor = target.partition("#")
        found.append(((page.parent / path).resolve() if path else page, anchor))
    return found


def test_readme_is_at_most_300_lines():
    assert len((BASE / "README.md").read_text().splitlines()) <= 300


def test_every_link_of_readme_and_the_docs_pages_resolves():
    pages = [BASE / "README.md", *sorted((BASE / "docs").glob("*.md"))]
    assert len(pages) >= 7
    for page in pages:
        for target, anchor in links(page):
            assert target.is_file(), f"{page.name} links {target}, which is not there"
            if anchor:
                assert anchor in anchors(target), (
                    f"{page.name} links #{anchor}, not a heading of {target.name}"
                )


def test_readme_links_every_docs_page():
    linked = {target.name for target, _ in links(BASE / "README.md")}
    assert {page.name for page in (BASE / "docs").glob("*.md")} <= linked
