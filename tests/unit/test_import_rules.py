"""The product's import rules, read from the source with `ast` (every import, also those inside functions;
not those under `if TYPE_CHECKING:`, which never run):

- `chesanto_comms`, the run-time base, imports none of the apps (`outbox`, `relay`, `consumers`) and so
  no channel; the record's wire format (chesanto_comms/records.py) is shared from there;
- `relay` and `consumers` do not import each other (eager delivery builds records with chesanto_comms);
- no two product modules import each other, directly or round a longer circle.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("chesanto_comms", "outbox", "relay", "scheduling", "consumers")
MAY_IMPORT = {  # each package, and the product packages it may import
    "chesanto_comms": set(),
    "outbox": {"chesanto_comms"},
    "relay": {"chesanto_comms", "outbox"},
    "consumers": {"chesanto_comms", "outbox"},
    "scheduling": {"chesanto_comms", "outbox", "relay"},  # relay.db: the leader's lock connection
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
            if "migrations" not in path.parts}


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _import_nodes(tree: ast.AST):
    for node in ast.iter_child_nodes(tree):
        if _type_checking(node):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _import_nodes(node)


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The product modules `name` imports (a name imported from a module counts as that module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imported(name, path, modules) for name, path in modules.items()}


def test_each_package_imports_only_what_lies_below_it():
    wrong = sorted(f"{module} imports {target}" for module, targets in _graph().items() for target in targets
                   if target.split(".")[0] != module.split(".")[0]
                   and target.split(".")[0] not in MAY_IMPORT[module.split(".")[0]])
    assert not wrong, "\n".join(wrong)


def test_no_product_modules_import_each_other_in_a_circle():
    graph = _graph()
    circles, index, low, stack, on_stack = [], {}, {}, [], set()

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            members = []
            while not members or members[-1] != module:
                members.append(stack.pop())
                on_stack.discard(members[-1])
            if len(members) > 1:
                circles.append(sorted(members))

    for module in graph:
        if module not in index:
            visit(module)
    assert not circles, circles


def test_the_checks_see_the_imports_they_forbid(tmp_path):
    """The reader finds a lazy import inside a function, and skips one under TYPE_CHECKING."""
    source = tmp_path / "chesanto_comms" / "probe.py"
    source.parent.mkdir()
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import relay.store\n"
                      "def f():\n    from consumers.sms import encoding\n")
    modules = {"chesanto_comms.probe": source, "consumers.sms.encoding": source, "relay.store": source}
    assert _imported("chesanto_comms.probe", source, modules) == {"consumers.sms.encoding"}
