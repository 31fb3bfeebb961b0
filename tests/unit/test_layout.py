"""The code base's shape: imports run one way (catalog <- finetune <- assistant) with no cycles at any depth,
every package says what it owns, and no module grows past ~400 lines.

The import graph is built from the source with :mod:`ast`, so function-level (lazy) imports count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("catalog", "finetune", "assistant")
LAYER = {name: i for i, name in enumerate(PACKAGES)}
MAX_LINES = 400


def module_files() -> dict[str, Path]:
    """Every module of the three packages, by dotted name (a package by its ``__init__``)."""
    mods: dict[str, Path] = {}
    for top in PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            mods[name.removesuffix(".__init__")] = path
    return mods


def imported_names(module: str, path: Path) -> set[str]:
    """Every dotted name an ``import`` anywhere in the module refers to (relative imports resolved)."""
    names: set[str] = set()
    package_parts = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package_parts[: len(package_parts) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the three packages it imports (a package's own parents and children aside)."""
    mods = module_files()
    graph: dict[str, set[str]] = {}
    for mod, path in mods.items():
        deps = {d for d in imported_names(mod, path) if d in mods}
        graph[mod] = {d for d in deps if d != mod and not d.startswith(mod + ".") and not mod.startswith(d + ".")}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One path per strongly connected group of modules (Tarjan), as ``a -> b -> ... -> a``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_graph_sees_lazy_imports() -> None:
    """A function-level import is an edge: the test would miss half the cycles otherwise."""
    graph = import_graph()
    assert "finetune.train.model" in graph["finetune.train.main"]  # imported inside fit()
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles (lazy imports included):\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_imports_run_one_way() -> None:
    """catalog imports neither finetune nor assistant; finetune never imports assistant."""
    upward = [f"{mod} -> {dep}" for mod, deps in import_graph().items() for dep in deps
              if LAYER[dep.split(".")[0]] > LAYER[mod.split(".")[0]]]
    assert not upward, "upward imports:\n" + "\n".join(sorted(upward))


def test_lower_packages_never_import_the_ui_or_agent_libraries() -> None:
    bad = [f"{mod} imports {name}" for mod, path in module_files().items() if not mod.startswith("assistant")
           for name in imported_names(mod, path) if name.split(".")[0] in ("gradio", "langchain", "langchain_core")]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("package", sorted(m for m, p in module_files().items() if p.name == "__init__.py"))
def test_every_package_says_what_it_owns(package: str) -> None:
    path = module_files()[package]
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert len(doc.split()) >= 8, f"{path} needs a docstring saying what it owns and may import"


def test_no_module_passes_400_lines() -> None:
    long = {f"{p.relative_to(ROOT)}: {n}" for p in module_files().values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules past {MAX_LINES} lines (split by responsibility):\n" + "\n".join(sorted(long))


def test_readme_layout_names_every_subpackage() -> None:
    """README's Layout section stays current: every subpackage of the three packages is named in it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):]
    packages = sorted({p.parent.relative_to(ROOT).as_posix() for top in PACKAGES for p in (ROOT / top).rglob("__init__.py")})
    missing = [pkg for pkg in packages if "/" in pkg and f"{pkg.rsplit('/', 1)[1]}/" not in layout]
    assert not missing, f"README Layout does not name: {missing}"
