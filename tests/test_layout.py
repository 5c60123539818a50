"""The package's shape: one folder per Kafka role, folders in layers, imports only downward.

Read from the source with `ast` (nothing is imported), so a new module or an import that goes up
fails here before anybody has to find the cycle by hand.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "minikafka"

# Bottom to top. A module may import its own layer and the layers below it, at run time; an
# import that only a type checker runs (`if TYPE_CHECKING:`) may go anywhere.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("kernel", ("minikafka.sim", "minikafka.metrics")),
    ("storage", ("minikafka.storage",)),
    ("common", ("minikafka.errors", "minikafka.config", "minikafka.protocol")),
    ("raft", ("minikafka.raft",)),
    ("metadata", ("minikafka.metadata",)),
    ("controller", ("minikafka.controller",)),
    ("coordinators", ("minikafka.coordinator",)),
    ("server", ("minikafka.server",)),
    ("clients", ("minikafka.clients",)),
    ("wire", ("minikafka.serve",)),
    ("facade", ("minikafka", "minikafka.cluster", "minikafka.cluster_args", "minikafka.cluster_metrics",
                "minikafka.cluster_views", "minikafka.cluster_quorum", "minikafka.seams", "minikafka.invariants")),
    ("tools", ("minikafka.chaos", "minikafka.viz", "minikafka.serve.__main__")),
    ("course", ("minikafka.course",)),
    ("widgets", ("minikafka.widgets",)),
)
MAX_LINES = 500


def layer_of(module: str) -> int:
    """The layer of a dotted module name: its longest listed prefix decides."""
    best, rank = "", -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > len(best):
                best, rank = p, i
    return rank


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def runtime_imports(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every minikafka import that runs when the code runs."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "minikafka":
                continue
            for alias in node.names:       # `from minikafka import protocol` imports a module
                sub = f"{target}.{alias.name}"
                found.append((node.lineno, sub if sub in modules() else target))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "minikafka"]
    return found


def test_every_module_belongs_to_a_layer():
    unplaced = [m for m in modules() if layer_of(m) < 0]
    assert not unplaced, f"add these to LAYERS: {unplaced}"


def test_imports_only_go_down_the_layers():
    upward = []
    for module, path in modules().items():
        mine = layer_of(module)
        for line, target in runtime_imports(module, path):
            theirs = layer_of(target)
            if theirs > mine:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} ({LAYERS[mine][0]}) imports "
                              f"{target} ({LAYERS[theirs][0]})")
    assert not upward, "imports that go up a layer:\n" + "\n".join(upward)


def test_the_layering_check_catches_an_upward_import(tmp_path):
    """The rule above can fail: a storage module importing the broker is reported."""
    bad = tmp_path / "log.py"
    bad.write_text("from minikafka.server.broker import Broker\n")
    imports = runtime_imports("minikafka.storage.log", bad)
    assert imports == [(1, "minikafka.server.broker")]
    assert layer_of("minikafka.server.broker") > layer_of("minikafka.storage.log")


def test_type_only_imports_may_go_up(tmp_path):
    ok = tmp_path / "log.py"
    ok.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from minikafka.cluster import Cluster\n")
    assert runtime_imports("minikafka.storage.log", ok) == []


@pytest.mark.parametrize("module", sorted(modules()))
def test_no_module_is_over_500_lines(module):
    lines = len(modules()[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines: split it where its ideas part"


def test_every_module_opens_with_a_docstring():
    missing = [m for m, p in modules().items() if ast.get_docstring(ast.parse(p.read_text())) is None]
    assert not missing, f"modules without a docstring stating their rules: {missing}"
