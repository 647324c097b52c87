"""The house's shape, enforced: stages as folders over a root contract, no cycles, no private names.

Read from the source with `ast` (nothing is imported), counting imports inside functions too;
only imports under `if TYPE_CHECKING:` are exempt, since they never run.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reportgen"
# The contract every stage shares; it imports no stage.
CONTRACT = {"schema", "codes", "problems", "errors", "models", "normalize", "labels", "dates", "numerals", "cells",
            "templates"}
STAGES = ("read", "check", "write")
# What each stage may not import: read is first, check and write never know each other.
FORBIDDEN = {
    "read": {"check", "write", "web", "api", "cli"},
    "check": {"write", "web", "api", "cli"},
    "write": {"check", "web", "api", "cli"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(sub) for stmt in node.body for sub in ast.walk(stmt))
    return skipped


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for each import that runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("reportgen"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub, "", node.lineno) if sub in modules else (target, alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((a.name, "", node.lineno) for a in node.names if a.name.startswith("reportgen"))
    return found


@functools.cache
def _every_import() -> dict[str, list[tuple[str, str, int]]]:
    """Each module's imports, every file parsed once for all the tests here."""
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {target for target, _, _ in found if target in modules and target != name}
            for name, found in _every_import().items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _area(module: str) -> str:
    """`reportgen.read.reader` → read; `reportgen.schema` → schema; `reportgen` → reportgen."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "reportgen"


def test_no_import_cycle_anywhere():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_stages_import_only_what_comes_before_them():
    wrong = []
    for module, targets in _graph().items():
        area = _area(module)
        for target in targets:
            if area in FORBIDDEN and _area(target) in FORBIDDEN[area]:
                wrong.append(f"{module} → {target}")
            if area in CONTRACT and _area(target) not in CONTRACT:
                wrong.append(f"{module} (contract) → {target}")
    assert wrong == []


def test_stages_are_folders_and_the_contract_is_at_the_root():
    for stage in (*STAGES, "web"):
        assert (PACKAGE / stage / "__init__.py").is_file(), stage
    flat = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert flat <= CONTRACT | {"api", "cli", "progress"}, sorted(flat - CONTRACT)


def test_no_private_name_is_imported_from_another_module():
    private = [f"{name}:{line} imports {target}.{imported}"
               for name, found in _every_import().items()
               for target, imported, line in found
               if imported.startswith("_") and not imported.startswith("__")]
    assert private == []
