"""The plan: what to generate for every table, readable and editable as YAML.

A plan holds each table's columns (type, length, nullability, key and the generator
chosen for it), keys, foreign keys and CHECK constraints, the row counts, and the
decisions taken for the foreign-key graph: the insert order, which self-references
are filled in tiers, and how each cycle is broken. :func:`resolve` makes those
decisions; :func:`save` / :func:`load` move a plan to and from YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from healthcare_data.errors import ConfigurationError

PLAN_VERSION = 1
STRATEGIES = ("insert", "tiers", "update", "deferred")
COLUMN_KEYS = (
    "type",
    "length",
    "precision",
    "scale",
    "nullable",
    "primary_key",
    "unique",
    "default",
    "generator",
    "choices",
    "range",
    "null_share",
    "pattern",
    "after",
    "items",
    "note",
)
DEFAULT_ROWS = 100
DEFAULT_TIERS = {"depth": 4, "branching": 3}


@dataclass
class ColumnPlan:
    """One column: its shape from the database and the generator that fills it."""

    name: str
    type: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    nullable: bool = True
    primary_key: bool = False
    unique: bool = False
    default: bool = False
    generator: str = "text"
    choices: list[Any] | dict[Any, float] | None = None
    range: list[Any] | None = None
    null_share: float = 0.0
    pattern: str | None = None
    after: str | None = None  # another column this one is >= (CHECK end >= start)
    items: str | None = None  # an array's element type (PostgreSQL text[], int[] ...)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        for key in COLUMN_KEYS[1:]:
            value = getattr(self, key)
            if value not in (None, False, 0.0) or (key == "nullable" and value is False):
                out[key] = value
        return out


@dataclass
class ForeignKeyPlan:
    """A foreign key and how it is filled: plain insert, tiers, update pass or deferred."""

    columns: list[str]
    ref_table: str
    ref_columns: list[str]
    name: str | None = None
    nullable: bool = False
    deferrable: bool = False
    strategy: str = "insert"
    depth: int | None = None
    branching: int | None = None

    def label(self, table: str) -> str:
        return f"{table}({', '.join(self.columns)}) -> {self.ref_table}({', '.join(self.ref_columns)})"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "columns": self.columns,
            "references": f"{self.ref_table}({', '.join(self.ref_columns)})",
        }
        if self.name:
            out["name"] = self.name
        out["nullable"] = self.nullable
        if self.deferrable:
            out["deferrable"] = True
        out["strategy"] = self.strategy
        if self.strategy == "tiers":
            out["tiers"] = {"depth": self.depth, "branching": self.branching}
        return out


@dataclass
class TablePlan:
    """One table: row count, columns, keys, foreign keys and CHECK constraints."""

    name: str
    columns: dict[str, ColumnPlan]
    primary_key: list[str] = field(default_factory=list)
    unique: list[list[str]] = field(default_factory=list)
    foreign_keys: list[ForeignKeyPlan] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    rows: int = DEFAULT_ROWS

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rows": self.rows}
        if self.primary_key:
            out["primary_key"] = self.primary_key
        if self.unique:
            out["unique"] = self.unique
        if self.foreign_keys:
            out["foreign_keys"] = [fk.to_dict() for fk in self.foreign_keys]
        if self.checks:
            out["checks"] = self.checks
        out["columns"] = {name: c.to_dict() for name, c in self.columns.items()}
        return out

    def fk_of(self, column: str) -> ForeignKeyPlan | None:
        """The foreign key a column belongs to (the first, if several)."""
        return next((fk for fk in self.foreign_keys if column in fk.columns), None)

    def is_unique(self, columns: list[str]) -> bool:
        """True when ``columns`` (or a subset) are declared unique by a key or a UNIQUE column."""
        keys = [self.primary_key, *self.unique, *([c.name] for c in self.columns.values() if c.unique)]
        return any(key and set(key) <= set(columns) for key in keys)


@dataclass
class Plan:
    """Every table to fill, in insert order, with the cycle decisions that allow it."""

    tables: dict[str, TablePlan]
    backend: str = "sqlite"
    source: str | None = None
    seed: int = 0
    order: list[str] = field(default_factory=list)
    cycles: list[dict[str, Any]] = field(default_factory=list)

    def table(self, name: str) -> TablePlan:
        try:
            return self.tables[name]
        except KeyError:
            raise ConfigurationError(
                f"Unknown table {name!r}; tables in the plan: {', '.join(self.tables)}"
            ) from None

    @property
    def deferred(self) -> bool:
        """True when a cycle relies on deferred constraints (the run is then one transaction)."""
        return any(fk.strategy == "deferred" for t in self.tables.values() for fk in t.foreign_keys)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": PLAN_VERSION,
            "backend": self.backend,
            "source": self.source,
            "seed": self.seed,
            "order": self.order,
            "cycles": self.cycles,
            "tables": {name: self.tables[name].to_dict() for name in self.order or self.tables},
        }


HEADER = """\
# healthcare-data any-schema plan: edit freely, then
#   healthcare-data generate --database-url URL --schema THIS_FILE
# Per column you may set: generator (see docs/any-schema.md), choices (a list, or a
# mapping value: weight), range [min, max], null_share (0..1), pattern (# digit,
# X letter, A alphanumeric, H hex, [a,b] choice, {d:N} digits, {l:N} letters, \\ escape).
# Per table: rows. Per self-referencing foreign key: tiers {depth, branching}.
"""


def save(plan: Plan, path: str | Path) -> Path:
    """Write ``plan`` as commented YAML."""
    target = Path(path)
    if target.parent and not target.parent.exists():
        target.parent.mkdir(parents=True)
    target.write_text(dumps(plan), "utf-8")
    return target


class _Flow(dict):  # type: ignore[type-arg, unused-ignore]
    """A mapping written on one line (a column, a foreign key): one line per thing."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)


def dumps(plan: Plan) -> str:
    """The plan as YAML: one line per column and per foreign key."""
    data = plan.to_dict()
    for table in data["tables"].values():
        table["columns"] = {name: _Flow(c) for name, c in table["columns"].items()}
        table["foreign_keys"] = [_Flow(fk) for fk in table.get("foreign_keys", [])] or None
        if table["foreign_keys"] is None:
            del table["foreign_keys"]
    data["cycles"] = [_Flow(c) for c in data["cycles"]]
    return HEADER + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=200)


def load(path: str | Path) -> Plan:
    """Read a plan file; a missing file or a malformed entry is one ConfigurationError."""
    source = Path(path)
    try:
        data = yaml.safe_load(source.read_text("utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"Cannot read plan {str(source)!r}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(
            f"Plan {str(source)!r} is not valid YAML: {' '.join(str(exc).split())}"
        ) from None
    return from_dict(data, where=str(source))


def from_dict(data: Any, where: str = "plan") -> Plan:
    """A plan from its dictionary form, every key checked."""
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict):
        raise ConfigurationError(f"{where}: expected a mapping with 'tables'; write one with introspect")
    tables: dict[str, TablePlan] = {}
    for tname, tdata in data["tables"].items():
        _keys(
            tdata,
            ("rows", "primary_key", "unique", "foreign_keys", "checks", "columns"),
            f"{where}: table {tname!r}",
        )
        columns = {}
        for cname, cdata in (tdata.get("columns") or {}).items():
            _keys(cdata, COLUMN_KEYS, f"{where}: column {tname}.{cname}")
            columns[cname] = ColumnPlan(name=cname, **cdata)
        fks = []
        for fdata in tdata.get("foreign_keys") or []:
            _keys(
                fdata,
                ("columns", "references", "name", "nullable", "deferrable", "strategy", "tiers"),
                f"{where}: foreign key of {tname!r}",
            )
            ref = str(fdata.get("references", ""))
            ref_table, _, rest = ref.partition("(")
            ref_columns = [c.strip() for c in rest.rstrip(")").split(",") if c.strip()]
            if not ref_table or not ref_columns:
                raise ConfigurationError(
                    f"{where}: {tname} foreign key references {ref!r}; write table(col, ...)"
                )
            tiers = fdata.get("tiers") or {}
            fks.append(
                ForeignKeyPlan(
                    columns=list(fdata["columns"]),
                    ref_table=ref_table.strip(),
                    ref_columns=ref_columns,
                    name=fdata.get("name"),
                    nullable=bool(fdata.get("nullable", False)),
                    deferrable=bool(fdata.get("deferrable", False)),
                    strategy=fdata.get("strategy", "insert"),
                    depth=tiers.get("depth"),
                    branching=tiers.get("branching"),
                )
            )
        rows = tdata.get("rows", DEFAULT_ROWS)
        if not isinstance(rows, int) or rows < 0:
            raise ConfigurationError(f"{where}: {tname}.rows is {rows!r}; use a whole number >= 0")
        tables[tname] = TablePlan(
            name=tname,
            columns=columns,
            primary_key=list(tdata.get("primary_key") or []),
            unique=[list(u) for u in tdata.get("unique") or []],
            foreign_keys=fks,
            checks=list(tdata.get("checks") or []),
            rows=rows,
        )
    plan = Plan(
        tables=tables,
        backend=data.get("backend", "sqlite"),
        source=data.get("source"),
        seed=int(data.get("seed") or 0),
        cycles=list(data.get("cycles") or []),
    )
    return resolve(plan, keep_strategies=True)


def _keys(data: Any, allowed: tuple[str, ...], where: str) -> None:
    if not isinstance(data, dict):
        raise ConfigurationError(f"{where} must be a mapping, not {data!r}")
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise ConfigurationError(f"{where}: unknown key {unknown[0]!r}; valid keys: {', '.join(allowed)}")


# --- the foreign-key graph ---------------------------------------------------------------------


def _sccs(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan), each in the order its nodes were given."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            result.append(sorted(component, key=nodes.index))

    for node in nodes:
        if node not in index:
            visit(node)
    return result


def _edges(plan: Plan) -> dict[str, set[str]]:
    """child -> parents over foreign keys that must exist before the child's insert."""
    edges: dict[str, set[str]] = {name: set() for name in plan.tables}
    for name, table in plan.tables.items():
        for fk in table.foreign_keys:
            if fk.ref_table != name and fk.ref_table in plan.tables and fk.strategy == "insert":
                edges[name].add(fk.ref_table)
    return edges


def resolve(plan: Plan, *, keep_strategies: bool = False) -> Plan:
    """Decide tiers and cycle breaks, then the insert order; error naming an unbreakable cycle.

    Cycle breaking is greedy and cheapest first: a DEFERRABLE foreign key costs nothing
    extra (the run becomes one transaction and the database checks at commit); a
    nullable one costs an UPDATE of the child's rows after every table is written. A
    cycle whose keys are all NOT NULL and not deferrable has no valid order.
    """
    for name, table in plan.tables.items():
        for fk in table.foreign_keys:
            if fk.ref_table not in plan.tables:
                raise ConfigurationError(
                    f"{fk.label(name)} points at table {fk.ref_table!r}, which is not in the plan; "
                    f"tables: {', '.join(plan.tables)}"
                )
            missing = [c for c in (*fk.columns,) if c not in table.columns]
            missing += [c for c in fk.ref_columns if c not in plan.tables[fk.ref_table].columns]
            if missing:
                raise ConfigurationError(f"{fk.label(name)} names unknown column(s) {missing}")
            if fk.strategy not in STRATEGIES:
                raise ConfigurationError(
                    f"{fk.label(name)}: unknown strategy {fk.strategy!r}; valid: {', '.join(STRATEGIES)}"
                )
            if fk.ref_table == name:
                if fk.strategy == "insert":
                    fk.strategy = "tiers"
                if fk.strategy == "tiers":
                    fk.depth = int(fk.depth or DEFAULT_TIERS["depth"])
                    fk.branching = int(fk.branching or DEFAULT_TIERS["branching"])
                    if fk.depth < 1 or fk.branching < 1:
                        raise ConfigurationError(
                            f"{fk.label(name)}: tiers depth {fk.depth} and branching {fk.branching} "
                            "must be >= 1"
                        )
            elif not keep_strategies or fk.strategy == "tiers":
                fk.strategy = "insert"
            if fk.strategy == "update" and not fk.nullable:
                raise ConfigurationError(f"{fk.label(name)}: strategy 'update' needs nullable columns")
            if fk.strategy == "deferred" and not fk.deferrable:
                raise ConfigurationError(
                    f"{fk.label(name)}: strategy 'deferred' needs a DEFERRABLE constraint"
                )
    nodes = list(plan.tables)
    if not keep_strategies:
        plan.cycles = []
    while True:
        edges = _edges(plan)
        cyclic = [c for c in _sccs(nodes, edges) if len(c) > 1]
        if not cyclic:
            break
        component = cyclic[0]
        candidates = [
            (0 if fk.deferrable and plan.backend == "postgresql" else plan.tables[child].rows + 1, child, fk)
            for child in component
            for fk in plan.tables[child].foreign_keys
            if fk.ref_table in component
            and fk.ref_table != child
            and fk.strategy == "insert"
            and ((fk.deferrable and plan.backend == "postgresql") or fk.nullable)
        ]
        if not candidates:
            keys = [
                fk.label(child)
                for child in component
                for fk in plan.tables[child].foreign_keys
                if fk.ref_table in component and fk.ref_table != child
            ]
            raise ConfigurationError(
                f"Cannot order the cycle {' <-> '.join(component)}: every foreign key in it is NOT NULL "
                f"and not deferrable ({'; '.join(keys)}); make one nullable or DEFERRABLE"
            )
        cost, child, fk = min(candidates, key=lambda c: (c[0], nodes.index(c[1])))
        fk.strategy = "deferred" if cost == 0 else "update"
        plan.cycles.append(
            {
                "tables": component,
                "broken_by": fk.label(child),
                "strategy": fk.strategy,
                "why": "DEFERRABLE: checked at commit, the run is one transaction"
                if fk.strategy == "deferred"
                else "nullable: inserted NULL, then filled by an UPDATE pass",
            }
        )
    if keep_strategies and not plan.cycles:
        plan.cycles = [
            {"tables": [name, fk.ref_table], "broken_by": fk.label(name), "strategy": fk.strategy}
            for name, t in plan.tables.items()
            for fk in t.foreign_keys
            if fk.strategy in ("update", "deferred")
        ]
    plan.order = _topological(nodes, _edges(plan))
    return plan


def _topological(nodes: list[str], edges: dict[str, set[str]]) -> list[str]:
    """Parents before children, otherwise in the given order (stable, deterministic)."""
    done: list[str] = []
    placed: set[str] = set()
    while len(done) < len(nodes):
        ready = next((n for n in nodes if n not in placed and edges[n] <= placed), None)
        if ready is None:  # resolve() breaks every cycle first; this is a bug guard
            raise ConfigurationError(f"no insert order for {sorted(set(nodes) - placed)}")
        done.append(ready)
        placed.add(ready)
    return done
