"""The house's layers, from the modules' own imports (lazy and type-only ones included).

Every module of the package stands on one layer, lowest first; an import may
go to its own layer or down, never up, and no set of modules imports itself
round in a circle. The graph is read from the source with ast, so an import
inside a function (the hook's lazy imports) or under TYPE_CHECKING counts
as much as one at the top; the catalogue's discovery of features/*.py
counts as an import of each. docs/design.md draws the same layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import netguard

# The package that runs: the checkout, or the installed one under autopkgtest.
PACKAGE = Path(netguard.__file__).parent

# Lowest first. A new module must be placed here (the test names any that is not),
# except a new feature module, which is the features layer's by being in features/.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "ground: words of the kernel, records, errors, safe files",
        (
            "netguard",
            "netguard.errors",
            "netguard.record",
            "netguard.kernel",
            "netguard.netlink",
            "netguard.safefile",
            "netguard.log",
            "netguard.stateformat",
            "netguard.actions",
            "netguard.arp",
            "netguard.prefixes",
            "netguard.prefixes.prefix",
            "netguard.prefixes.setops",
            "netguard.prefixes.safety",
        ),
    ),
    ("grammar: what an option is and how its values parse", ("netguard.options",)),
    (
        "records and readers: configuration, state, caches, plans",
        (
            "netguard.config",
            "netguard.context",
            "netguard.hookrun",
            "netguard.outcome",
            "netguard.applied",
            "netguard.metrics",
            "netguard.state",
            "netguard.rtnl",
            "netguard.usable",
            "netguard.watch",
            "netguard.wants",
            "netguard.rejectplan",
            "netguard.probing",
            "netguard.probestate",
            "netguard.boot",
            "netguard.prefixes.cache",
            "netguard.prefixes.sources",
            "netguard.cachemetrics",
        ),
    ),
    (
        "the kernel writer and the orchestrators",
        ("netguard.apply", "netguard.sentinel", "netguard.reconcile"),
    ),
    ("features: one module per option family", ("netguard.features",)),
    ("the catalogue", ("netguard.catalogue",)),
    ("interfaces(5) and boot paths", ("netguard.interfaces", "netguard.bootpaths")),
    (
        "entry points: hook, CLI, addon, generator",
        (
            "netguard.hook",
            "netguard.ifupdown2",
            "netguard.generator",
            "netguard.commands",
            "netguard.cli",
            "netguard.__main__",
        ),
    ),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every netguard module `path` imports anywhere in its body."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                whole = f"{base}.{alias.name}"
                found.add(whole if whole in known else base)
    return {module for module in found if module in known and module != name}


def graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    assert len(paths) > 40, PACKAGE
    known = {module_name(path) for path in paths}
    edges = {module_name(path): imports_of(path, known) for path in paths}
    # The catalogue imports each feature module by name from a directory listing.
    edges["netguard.catalogue"] |= {m for m in known if m.startswith("netguard.features.")}
    return edges


def layer_of(module: str) -> int | None:
    for number, (_, members) in enumerate(LAYERS):
        for member in members:
            if module == member or (
                member in ("netguard.features", "netguard.commands") and module.startswith(member + ".")
            ):
                return number
    return None


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def up_imports(edges: dict[str, set[str]]) -> list[str]:
    return [
        f"{source} (layer {layer_of(source)}) imports {target} (layer {layer_of(target)})"
        for source, targets in sorted(edges.items())
        for target in sorted(targets)
        if (layer_of(source) or 0) < (layer_of(target) or 0)
    ]


def test_every_module_has_a_layer():
    assert [module for module in sorted(graph()) if layer_of(module) is None] == []


def test_no_circle():
    assert circles(graph()) == []


def test_no_import_runs_up_a_layer():
    assert up_imports(graph()) == []


def test_the_graph_sees_lazy_and_type_only_imports():
    """The reading is not blind: imports known to sit inside functions or under
    TYPE_CHECKING are edges."""
    edges = graph()
    assert "netguard.metrics" in edges["netguard.hook"]  # inside functions only
    assert "netguard.hookrun" in edges["netguard.apply"]  # under TYPE_CHECKING only
    assert "netguard.features.dad" in edges["netguard.catalogue"]  # discovered by listing
    assert "netguard.catalogue" in edges["netguard.hook"]


def test_the_checks_catch_what_they_are_for():
    """The same checks on graphs with the faults the issue found: the grammar reaching up to
    the catalogue (a circle and an up-import), a feature calling the hook."""
    edges = {module: set(targets) for module, targets in graph().items()}
    edges["netguard.options"].add("netguard.catalogue")
    assert any("netguard.options" in circle for circle in circles(edges))
    assert "netguard.options (layer 1) imports netguard.catalogue (layer 5)" in up_imports(edges)
    edges = {module: set(targets) for module, targets in graph().items()}
    edges["netguard.features.reject"].add("netguard.hook")
    assert circles(edges) and up_imports(edges)
