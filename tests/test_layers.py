"""Imports point one way: cli -> seeding/export -> generation -> builders/factories -> rows ->
rules/reference/schema (issue 9). Read with ``ast``, so in-function imports count too."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "healthcare_data"

# Layers from the top; a module may import its own layer and the layers below it only.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cli", "cli_anyschema", "cli_export", "cli_journeys", "cli_report", "cli_output", "__main__"),
    ("seeding", "seed_result", "connections", "export"),
    ("generation", "generation_plan", "dataset_spec", "shards", "bulk"),
    ("builders", "factories"),
    ("rows",),
    ("rules", "reference", "schema"),
)


def _layer(module: str) -> int | None:
    """The layer of ``healthcare_data.<top>...`` by its first component (None: not layered)."""
    parts = module.split(".")
    if parts[0] != "healthcare_data" or len(parts) < 2:
        return None
    for depth, names in enumerate(LAYERS):
        if parts[1] in names:
            return depth
    return None


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every healthcare_data import in ``path``, ``from healthcare_data import x``
    read as ``healthcare_data.x``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "healthcare_data":
                found += [(node.lineno, f"healthcare_data.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return found


def upward_imports(package: Path = PACKAGE) -> list[str]:
    """``file:line imports module`` for every import of a higher layer than the importing module's."""
    out = []
    for path in sorted(package.rglob("*.py")):
        module = "healthcare_data." + ".".join(path.relative_to(package).with_suffix("").parts)
        own = _layer(module)
        if own is None:
            continue
        for line, target in _imports(path):
            theirs = _layer(target)
            if theirs is not None and theirs < own:
                out.append(f"{path.relative_to(package.parent)}:{line} imports {target}")
    return out


def test_lower_layers_do_not_import_upper_ones():
    assert upward_imports() == []


def test_the_check_sees_an_upward_import(tmp_path):
    """A rows module importing generation (even inside a function) is reported."""
    (tmp_path / "rows").mkdir()
    (tmp_path / "rows" / "x.py").write_text("def f():\n    from healthcare_data.generation import Batch\n")
    (tmp_path / "generation.py").write_text("from healthcare_data.rows import x\n")
    assert upward_imports(tmp_path) == [f"{tmp_path.name}/rows/x.py:2 imports healthcare_data.generation"]
