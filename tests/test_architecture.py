"""The import contract (ARCHITECTURE.md): layers point one way, the build engine stands alone, only the CLI
imports typer and rich, and the package's own modules are imported at the top of a module.

Read from the source with ``ast``: nothing is imported to check it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "observatory"

# Lowest first. A module may import its own layer and the layers below it.
LAYERS: list[set[str]] = [
    {"_core", "errors", "resources"},
    {"config"},
    {"stats", "metadata", "ingest", "geo", "store", "demo"},
    {"profiles", "performance"},
    {"present"},
    {"publish", "apps", "onboarding", "national", "cli"},
    {"api", "__init__"},
]
ENGINE = {
    "publish.engine",
    "publish.lock",
    "publish.staleness",
    "publish.runner",
    "publish.kernel",
    "publish.worker",
    "publish.export",
    "publish.manifest",
    "publish.jobs",
    "publish.places",
}
"""The generic build engine: runs notebooks and writes packs, knows nothing of the observatory."""
PURE_STATS = {"_core", "errors", "stats"}
UI_LIBRARIES = {"typer", "rich", "click"}


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return found


MODULES = _modules()


def _resolve(name: str, node: ast.ImportFrom | None, module: str) -> str:
    if node is not None and node.level:
        base = module.split(".")
        is_package = (PACKAGE / module.replace(".", "/") / "__init__.py").exists()
        base = base if is_package else base[:-1]
        base = base[: len(base) - (node.level - 1)]
        name = ".".join(base + ([name] if name else []))
        return "observatory." + name
    return name


def _imports(module: str, tree: ast.Module):
    """(imported module, line, at module level?, the source line) for every import in ``tree``."""
    lines = (
        (PACKAGE / (module.replace(".", "/") + ".py")).read_text().splitlines()
        if (PACKAGE / (module.replace(".", "/") + ".py")).exists()
        else (PACKAGE / module.replace(".", "/") / "__init__.py").read_text().splitlines()
    )
    top, typing_only = set(), set()
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test):
            typing_only.update(id(n) for n in ast.walk(stmt))  # annotations only: never imported at run time
            continue
        for node in ast.walk(stmt) if isinstance(stmt, (ast.If, ast.Try)) else [stmt]:
            top.add(id(node))
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module or "", node, module)
            names = [base] + [f"{base}.{a.name}" for a in node.names if (base + "." + a.name).startswith("observatory.")]
        else:
            continue
        for name in names:
            yield name, node.lineno, id(node) in top, lines[node.lineno - 1]


def _owner(name: str) -> str | None:
    """The package part an ``observatory.x.y`` import belongs to (``x``), None for other libraries."""
    if not name.startswith("observatory"):
        return None
    parts = name.split(".")
    known = {part for layer in LAYERS for part in layer}
    return parts[1] if len(parts) > 1 and parts[1] in known else "__init__"


def _layer(part: str) -> int:
    for i, layer in enumerate(LAYERS):
        if part in layer:
            return i
    raise AssertionError(f"observatory.{part} is in no layer of the contract: add it to LAYERS")


def _internal(name: str) -> str | None:
    """The longest existing module an import names (``observatory.geo.areas.Geography`` → ``geo.areas``)."""
    parts = name.split(".")[1:]
    for k in range(len(parts), 0, -1):
        if ".".join(parts[:k]) in MODULES:
            return ".".join(parts[:k])
    return None


def test_every_part_of_the_package_is_in_a_layer():
    for module in MODULES:
        _layer(module.split(".")[0])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    here = _layer(module.split(".")[0])
    wrong = [
        f"line {line}: {name}"
        for name, line, _, _ in _imports(module, MODULES[module])
        if _owner(name) and _layer(_owner(name)) > here
    ]
    assert not wrong, f"observatory.{module} imports a higher layer: {wrong}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m in ENGINE))
def test_the_build_engine_imports_only_the_bottom_layer(module):
    wrong = [
        f"line {line}: {name}"
        for name, line, _, _ in _imports(module, MODULES[module])
        if _owner(name) and _owner(name) not in {"_core", "errors"} and not name.startswith("observatory.publish.")
    ]
    assert not wrong, f"observatory.{module} (the generic build engine) imports {wrong}"
    engine_deps = [n for n, *_ in _imports(module, MODULES[module]) if n.startswith("observatory.publish.")]
    assert all(_internal(n) in ENGINE for n in engine_deps), engine_deps


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.split(".")[0] == "stats"))
def test_statistics_import_no_geography_store_or_higher(module):
    wrong = [name for name, *_ in _imports(module, MODULES[module]) if _owner(name) and _owner(name) not in PURE_STATS]
    assert not wrong, f"observatory.{module} must stay pure numpy/pandas/scipy: imports {wrong}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.split(".")[0] != "cli"))
def test_only_the_cli_imports_typer_and_rich(module):
    wrong = [
        f"line {line}: {name}" for name, line, _, _ in _imports(module, MODULES[module]) if name.split(".")[0] in UI_LIBRARIES
    ]
    assert not wrong, f"observatory.{module} imports a command-line library: {wrong}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_own_modules_are_imported_at_the_top_unless_start_up_is_measured(module):
    deferred = [
        f"line {line}: {name}"
        for name, line, top, text in _imports(module, MODULES[module])
        if _owner(name) and not top and "start-up:" not in text
    ]
    assert not deferred, (
        f"observatory.{module} imports its own package inside functions: {deferred}; move them to the "
        "top, or justify each with a '# start-up: <measured cost>' comment"
    )


def test_no_import_cycles_between_modules():
    """Module-level imports form no cycle (a package and its own children aside: re-exports are not cycles)."""

    def related(a: str, b: str) -> bool:
        return a.startswith(b + ".") or b.startswith(a + ".")

    graph = {
        m: {d for n, _, top, _ in _imports(m, t) if top and (d := _internal(n)) and d != m and not related(m, d)}
        for m, t in MODULES.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                cycles.append(path[path.index(d) :] + [m, d] if d in path else [m, d])
            elif not state.get(d):
                visit(d, path + [m])
        state[m] = 2

    for m in sorted(graph):
        if not state.get(m):
            visit(m, [])
    assert not cycles, f"import cycles: {cycles[:5]}"


NOTEBOOKS = sorted((PACKAGE / "resources").glob("*/*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebooks_and_dashboards_import_only_the_public_facade(notebook):
    """Thin notebooks: ``import observatory as obs`` and calls into it; never an internal module."""
    import json

    cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    wrong = []
    for cell in cells:
        source = "".join(cell["source"])
        tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                wrong += [
                    a.name
                    for a in node.names
                    if a.name.startswith("observatory") and (a.name, a.asname) != ("observatory", "obs")
                ]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("observatory"):
                wrong.append(f"from {node.module} import ...")
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "obs":
                import observatory

                if node.attr not in dir(observatory):
                    wrong.append(f"obs.{node.attr} (not in the public API)")
    assert not wrong, f"{notebook.name} reaches past the facade: {wrong}"


def test_no_generator_script_can_drift_from_a_committed_notebook():
    """Each notebook's .ipynb is its one source: no script writes notebooks."""
    root = PACKAGE.parent
    writers = [
        p
        for p in root.rglob("*.py")
        if ".venv" not in p.parts
        and "nbformat.write" in p.read_text(errors="ignore")
        and "tests" not in p.parts
        and "observatory" not in p.relative_to(root).parts[:1]
    ]
    assert not writers, f"scripts that write notebooks: {writers}"
