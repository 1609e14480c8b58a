"""Rows of a plan, by index: values, keys, foreign keys, tiers (the generation half of a fill).

Every value is a function of the seed, the table, the column and the row's index, so
the same seed gives the same rows whatever the batch size, and a parent's key can be
*recomputed* from its index instead of being read back or kept in memory:

* keys and referenced columns use :meth:`Gen.at` (index only);
* a foreign key picks its parent's index by hashing the child's index (a skewed
  draw: some parents have many children, most have few), or by a permutation when it
  is one-to-one, or by counting through the product of the parents when it is part
  of a composite key (junction tables, time series per sensor);
* a self-reference is filled in tiers: roots with NULL parents, then each tier's rows
  point at the tier before (``depth`` tiers, ``branching`` children per parent);
* a foreign key that breaks a cycle is written NULL and set by an UPDATE pass after
  every table is in (``update``), or written at once inside a single transaction with
  the constraints deferred (``deferred``).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any

from healthcare_data.anyschema import columns as gens
from healthcare_data.anyschema.patterns import Permutation
from healthcare_data.anyschema.plan import ColumnPlan, ForeignKeyPlan, Plan, TablePlan
from healthcare_data.errors import ConfigurationError
from healthcare_data.randomness import Randomness

MASK = 2**64 - 1


def _mix(x: int) -> int:
    """splitmix64: a fast, well-spread hash of an integer (the parent draws' randomness)."""
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def _salt(*parts: object) -> int:
    return zlib.crc32(":".join(map(str, parts)).encode())


@dataclass
class _Dims:
    """A composite key counted through the product of its parts (all combinations distinct)."""

    fks: list[ForeignKeyPlan]
    free: str | None
    sizes: list[int | None]
    capacity: int | None
    permutation: Any


class TableRows:
    """Generates one table's rows by index; also answers 'what is column c of row j'."""

    def __init__(
        self,
        plan: Plan,
        table: TablePlan,
        runners: dict[str, TableRows],
        seed: int,
        today: date,
        offset: int = 0,
    ) -> None:
        self.plan, self.table, self.runners, self.seed = plan, table, runners, seed
        self.rows = table.rows
        # An append starts its row indices at ``offset`` (keys and unique values continue
        # after the rows already there) and draws from a stream of its own.
        self.offset = offset
        label = f"anyschema:{table.name}" + (f":append@{offset}" if offset else "")
        self.rng = Randomness(seed, today).child(label)
        self.writable = [c for c in table.columns.values() if c.generator not in gens.NOT_WRITTEN]
        self.names = [c.name for c in self.writable]
        self.gens: dict[str, gens.Gen] = {}
        for column in self.writable:
            if column.generator == "foreign_key" or table.fk_of(column.name):
                continue
            self.gens[column.name] = gens.build(column, table, _salt(seed, table.name, column.name), today)
            if column.after:
                self.gens[column.name] = self._after(column)
        referenced = {
            c
            for t in plan.tables.values()
            for fk in t.foreign_keys
            if fk.ref_table == table.name
            for c in fk.ref_columns
        }
        self.keyed = set(table.primary_key) | referenced
        self.notes: list[str] = []
        self.dims: dict[int, tuple[_Dims, int]] = {}  # id(fk) -> (dims, position)
        self.free_dim: tuple[_Dims, str] | None = None
        self.tiers: dict[int, tuple[list[int], int]] = {}  # id(fk) -> (tier starts, branching)
        self._picks: dict[int, Callable[[int], int | None]] = {}
        self._fk_fns: dict[int, Callable[[int], tuple[Any, ...] | None]] = {}
        self._key_fns: dict[str, Callable[[int], Any]] = {}
        self._by_shared: dict[int, dict[tuple[Any, ...], list[int]]] = {}

    def _after(self, column: ColumnPlan) -> gens.Gen:
        earlier = self.table.columns.get(column.after or "")
        if earlier is None:
            raise ConfigurationError(
                f"column {self.table.name}.{column.name}: after {column.after!r} is not a column of the table"
            )
        span = 30.0 if column.type in ("date", "datetime") else 100.0
        return gens.After(earlier.name, column.type, strict=False, span=span)

    # --- keys ---------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Decide how keys stay unique, and cut the row count to what the parents allow."""
        table = self.table
        keys = [k for k in [table.primary_key, *table.unique] if k]
        for key in keys:
            single = [c for c in key if not table.fk_of(c) and (len(key) == 1 or table.columns[c].unique)]
            if single:
                continue  # a column unique on its own (its generator counts)
            fks = [
                fk for fk in table.foreign_keys if set(fk.columns) <= set(key) and fk.ref_table != table.name
            ]
            if any(id(fk) in self.dims for fk in fks):
                continue
            overlapping = [c for fk in fks for c in self._shared(fk)]
            if overlapping:
                raise ConfigurationError(
                    f"{table.name}: key ({', '.join(key)}) is made of foreign keys sharing column(s) "
                    f"{', '.join(dict.fromkeys(overlapping))}, which the filler cannot count through; "
                    "add a surrogate primary key or fill the table yourself (rows: 0 in the plan)"
                )
            free = next((c for c in key if not table.fk_of(c)), None)
            sizes: list[int | None] = [self.runners[fk.ref_table].rows for fk in fks]
            if free is not None:
                sizes.append(self.gens[free].capacity)
            finite = all(s is not None for s in sizes)
            capacity: int | None = 1
            for s in sizes:
                capacity = capacity * s if s is not None and capacity is not None else None
            dims = _Dims(
                fks,
                free,
                sizes,
                capacity,
                # Junction tables scramble their pairs; a key with its own column (a time, a line
                # number) counts it in order: every parent's rows get consecutive values.
                Permutation(capacity, _salt(self.seed, table.name, *key))
                if finite and capacity and free is None
                else None,
            )
            for position, fk in enumerate(fks):
                self.dims[id(fk)] = (dims, position)
            if free is not None:
                self.free_dim = (dims, free)
            if capacity is not None and self.rows > capacity:
                self.notes.append(
                    f"{table.name}: {self.rows} rows asked, {capacity} distinct ({', '.join(key)}) exist; "
                    f"writing {capacity}"
                )
                self.rows = capacity
        for fk in table.foreign_keys:
            if fk.ref_table == table.name and fk.strategy == "tiers":
                self._tiers(fk)
        counted = self.keyed | ({self.free_dim[1]} if self.free_dim else set())
        for name in sorted(counted & self.gens.keys()):
            try:
                self.gens[name].at(0)
            except ConfigurationError:
                raise ConfigurationError(
                    f"{table.name}.{name} is part of a key, so its values must follow from the row index, "
                    f"and generator {table.columns[name].generator!r} cannot do that; use a pattern or "
                    "one of sequence, integer, code, uuid, email, username, npi, ssn"
                ) from None
        for name, gen in self.gens.items():
            column = table.columns[name]
            if (
                column.unique or name in self.keyed and len(table.primary_key) == 1
            ) and gen.capacity is not None:
                if self.offset + self.rows > gen.capacity:
                    held = f" after the {self.offset} already there" if self.offset else ""
                    raise ConfigurationError(
                        f"{table.name}.{name} must be unique but generator {column.generator!r} has only "
                        f"{gen.capacity} distinct values for {self.rows} rows{held}; lower the rows or set "
                        f"a pattern/generator with more values in the plan"
                    )
        for fk in table.foreign_keys:
            parent_rows = self.runners[fk.ref_table].rows if fk.ref_table != table.name else self.rows
            if parent_rows == 0 and not fk.nullable and self.rows:
                raise ConfigurationError(
                    f"{fk.label(table.name)}: {table.name} needs rows in {fk.ref_table}, which gets 0"
                )

    def _tiers(self, fk: ForeignKeyPlan) -> None:
        depth, branching = fk.depth or 1, fk.branching or 1
        if self.table.is_unique(fk.columns):
            branching = 1  # a unique self-reference: every row has at most one child
        width = sum(branching**k for k in range(depth))
        roots = max(1, -(-self.rows // width))
        starts, start, size = [], 0, roots
        for _ in range(depth):
            starts.append(start)
            start += size
            size *= branching
        self.tiers[id(fk)] = (starts, branching)

    def parent_index(self, fk: ForeignKeyPlan, i: int) -> int | None:
        """Which parent row (by index) row ``i`` points at through ``fk``, or None."""
        return self._pick(fk)(i)

    def fk_values(self, fk: ForeignKeyPlan, i: int) -> tuple[Any, ...] | None:
        """The referenced key values row ``i`` holds in ``fk``'s columns (None: NULL)."""
        return self._fk_fn(fk)(i)

    def key_at(self, column: str, j: int) -> Any:
        """Column ``column`` of row ``j``, from the index alone (keys and referenced columns)."""
        return self._key_fn(column)(j)

    # Compiled once per key and foreign key (after every table's row count is final):
    # the hot loop then calls one closure per foreign key instead of re-deciding per row.

    def _pick(self, fk: ForeignKeyPlan) -> Callable[[int], int | None]:
        pick = self._picks.get(id(fk))
        if pick is None:
            pick = self._picks[id(fk)] = self._compile_pick(fk)
        return pick

    def _compile_pick(self, fk: ForeignKeyPlan) -> Callable[[int], int | None]:
        if self._shared(fk):
            return self._matching_pick(fk)
        tiers = self.tiers.get(id(fk))
        if tiers is not None:  # roots first, then each tier under the one before
            starts, branching = tiers
            nullable = fk.nullable

            def tiered(i: int) -> int | None:
                tier = 0
                while tier + 1 < len(starts) and i >= starts[tier + 1]:
                    tier += 1
                if tier == 0:
                    return None if nullable else i
                return starts[tier - 1] + (i - starts[tier]) // branching

            return tiered
        parent_rows = self.runners[fk.ref_table].rows
        if parent_rows == 0:
            return lambda i: None
        salt = _salt(self.seed, self.table.name, *fk.columns)
        share = self.table.columns[fk.columns[0]].null_share if fk.nullable else 0.0
        placed = self.dims.get(id(fk))
        if placed is not None:  # one digit of a composite key counted through its parts
            dims, position = placed
            digits = self._digits

            def counted(i: int) -> int | None:
                if share and (_mix(salt ^ i) & 0xFFFF) / 65536 < share:
                    return None
                return digits(dims, i)[position]

            return counted
        eligible = self._eligible(fk)
        if eligible is not None:  # parents whose shared columns a later, overlapping key can match
            parent_rows = len(eligible)
            if not parent_rows:
                return lambda i: None
        permute = Permutation(parent_rows, _salt(self.seed, self.table.name, fk.columns))
        scatter: Callable[[int], int] = permute if eligible is None else lambda k: eligible[permute(k)]
        last = parent_rows - 1

        def skewed(i: int) -> int | None:
            h = _mix(salt ^ i)
            if share and (h & 0xFFFF) / 65536 < share:
                return None
            u = (h >> 16) / 281474976710656  # 2**48
            return scatter(min(int(parent_rows * u * u), last))  # a few busy parents, many quiet ones

        return skewed

    # --- two foreign keys sharing a column (tenant_id in (tenant_id, patient_id) and
    # (tenant_id, staff_id)): the first key picks its parent among those the later keys can
    # match; each later key picks among the parents holding the same shared values.

    def _shared(self, fk: ForeignKeyPlan) -> list[str]:
        """Columns of ``fk`` that an earlier foreign key of the table already fills."""
        return [c for c in fk.columns if self.table.fk_of(c) is not fk]

    def _dependents(self, fk: ForeignKeyPlan) -> list[ForeignKeyPlan]:
        """Later foreign keys sharing a column that ``fk`` fills."""
        return [
            other
            for other in self.table.foreign_keys
            if other is not fk and any(self.table.fk_of(c) is fk for c in self._shared(other))
        ]

    def _parents_by(self, fk: ForeignKeyPlan) -> dict[tuple[Any, ...], list[int]]:
        """``fk``'s parent rows (by index) grouped by their values in the shared columns.

        Memory grows with the parent table's rows (one index each), not the child's.
        """
        found = self._by_shared.get(id(fk))
        if found is None:
            parent = self.runners[fk.ref_table]
            keys = [parent._key_fn(fk.ref_columns[fk.columns.index(c)]) for c in self._shared(fk)]
            found = self._by_shared[id(fk)] = {}
            for j in range(parent.rows):
                found.setdefault(tuple(k(j) for k in keys), []).append(j)
        return found

    def _eligible(self, fk: ForeignKeyPlan) -> list[int] | None:
        """Parent indices of ``fk`` every dependent key can match (None: no dependents)."""
        dependents = self._dependents(fk)
        if not dependents or self._shared(fk):  # a key that itself follows another is not narrowed
            return None
        parent = self.runners[fk.ref_table]
        eligible = list(range(parent.rows))
        for other in dependents:
            shared = [c for c in self._shared(other) if self.table.fk_of(c) is fk]
            mine = [parent._key_fn(fk.ref_columns[fk.columns.index(c)]) for c in shared]
            spots = [self._shared(other).index(c) for c in shared]
            have = {tuple(key[p] for p in spots) for key in self._parents_by(other)}
            eligible = [j for j in eligible if tuple(k(j) for k in mine) in have]
        if not eligible and self.rows and not fk.nullable:
            others = "; ".join(d.label(self.table.name) for d in dependents)
            raise ConfigurationError(
                f"{fk.label(self.table.name)} shares columns with {others}, and no {fk.ref_table} row "
                "has shared values any of those parents hold; give the parent tables more rows"
            )
        return eligible

    def _matching_pick(self, fk: ForeignKeyPlan) -> Callable[[int], int | None]:
        groups = self._parents_by(fk)
        values = [self._key_fn(c) for c in self._shared(fk)]
        salt = _salt(self.seed, self.table.name, *fk.columns)

        def matching(i: int) -> int | None:
            found = groups.get(tuple(v(i) for v in values))
            if not found:
                return None
            return found[_mix(salt ^ i) % len(found)]

        return matching

    def _fk_fn(self, fk: ForeignKeyPlan) -> Callable[[int], tuple[Any, ...] | None]:
        fn = self._fk_fns.get(id(fk))
        if fn is None:
            pick = self._pick(fk)
            runner = self if fk.ref_table == self.table.name else self.runners[fk.ref_table]
            keys = [runner._key_fn(c) for c in fk.ref_columns]
            if len(keys) == 1:
                key = keys[0]

                def fn(i: int) -> tuple[Any, ...] | None:
                    parent = pick(i)
                    return None if parent is None else (key(parent),)
            else:

                def fn(i: int) -> tuple[Any, ...] | None:
                    parent = pick(i)
                    return None if parent is None else tuple(k(parent) for k in keys)

            self._fk_fns[id(fk)] = fn
        return fn

    def _key_fn(self, column: str) -> Callable[[int], Any]:
        fn = self._key_fns.get(column)
        if fn is None:
            fn = self._key_fns[column] = self._compile_key(column)
        return fn

    def _compile_key(self, column: str) -> Callable[[int], Any]:
        fk = self.table.fk_of(column)
        if fk is not None:
            values, position = self._fk_fn(fk), fk.columns.index(column)

            def through_fk(j: int) -> Any:
                found = values(j)
                return None if found is None else found[position]

            return through_fk
        gen = self.gens[column]
        if self.free_dim is not None and self.free_dim[1] == column:
            dims, digits = self.free_dim[0], self._digits
            if isinstance(gen, gens.Integer):  # line numbers 1, 2, 3 ... per parent
                return lambda j: gen.low + digits(dims, j)[-1]
            return lambda j: gen.at(digits(dims, j)[-1])
        offset = self.offset
        if isinstance(gen, gens.Integer) and gen.sequence:
            low, capacity = gen.low, gen.capacity
            return lambda j: low + offset + j if offset + j < capacity else gen.at(offset + j)
        return (lambda j: gen.at(offset + j)) if offset else gen.at

    def _digits(self, dims: _Dims, i: int) -> list[int]:
        number = dims.permutation(i) if dims.permutation is not None else i
        digits = []
        for size in dims.sizes:
            if size is None:
                digits.append(number)
                number = 0
            else:
                number, digit = divmod(number, size)
                digits.append(digit)
        return digits

    # --- rows ----------------------------------------------------------------------------------

    def batches(
        self, batch_size: int, *, nulls: tuple[ForeignKeyPlan, ...] = ()
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Rows in batches; foreign keys in ``nulls`` are written NULL (set later by UPDATE)."""
        setters = self._setters(nulls)
        get = itemgetter(*self.names) if len(self.names) > 1 else (lambda row: (row[self.names[0]],))
        for start in range(0, self.rows, batch_size):
            batch = []
            for i in range(start, min(start + batch_size, self.rows)):
                row: dict[str, Any] = {}
                for setter in setters:
                    setter(i, row)
                batch.append(get(row))
            yield batch

    def _setters(self, nulls: tuple[ForeignKeyPlan, ...]) -> list[Callable[[int, dict[str, Any]], None]]:
        setters: list[Callable[[int, dict[str, Any]], None]] = []
        done: set[str] = set()
        for fk in self.table.foreign_keys:
            own = [c for c in fk.columns if c not in done]
            if not own:
                continue
            done.update(own)
            setters.append(self._fk_setter(fk, fk in nulls, own))
        ordered = sorted(
            (c for c in self.writable if c.name not in done),
            key=lambda c: (c.after is not None, c.name in ("city", "state", "zip")),
        )
        rng = self.rng
        for column in ordered:
            setters.append(self._column_setter(column, rng))
        return setters

    def _fk_setter(
        self, fk: ForeignKeyPlan, null: bool, own: list[str]
    ) -> Callable[[int, dict[str, Any]], None]:
        """Sets ``own`` (``fk``'s columns no earlier key has set) from the parent ``fk`` picks."""
        if null:
            return lambda i, row: row.update(dict.fromkeys(own))
        fk_values = self._fk_fn(fk)
        if own == fk.columns:
            columns = own

            def setter(i: int, row: dict[str, Any]) -> None:
                values = fk_values(i)
                row.update(dict.fromkeys(columns) if values is None else zip(columns, values, strict=True))

            return setter
        spots = [(c, fk.columns.index(c)) for c in own]

        def shared_setter(i: int, row: dict[str, Any]) -> None:
            values = fk_values(i)
            row.update((c, None if values is None else values[p]) for c, p in spots)

        return shared_setter

    def _column_setter(self, column: ColumnPlan, rng: Randomness) -> Callable[[int, dict[str, Any]], None]:
        name = column.name
        gen = self.gens[name]
        if name in self.keyed or (self.free_dim is not None and self.free_dim[1] == name):
            key_at = self._key_fn(name)
            return lambda i, row: row.__setitem__(name, key_at(i))
        method = gen.unique if column.unique else gen.draw
        share = column.null_share if column.nullable else 0.0
        random = rng.random.random
        offset = self.offset
        if share:

            def setter(i: int, row: dict[str, Any]) -> None:
                row[name] = None if random() < share else method(offset + i, rng, row)

            return setter
        return lambda i, row: row.__setitem__(name, method(offset + i, rng, row))

    def update_batches(self, fk: ForeignKeyPlan, batch_size: int) -> Iterator[list[tuple[Any, ...]]]:
        """(fk values..., key values...) per row, for the UPDATE pass of a cycle-breaking key."""
        key = self.table.primary_key or next(iter(self.table.unique), [])
        if not key:
            raise ConfigurationError(f"{self.table.name} has no key to update {fk.label(self.table.name)} by")
        for start in range(0, self.rows, batch_size):
            batch = []
            for i in range(start, min(start + batch_size, self.rows)):
                values = self.fk_values(fk, i)
                if values is not None:
                    batch.append((*values, *(self.key_at(c, i) for c in key)))
            yield batch


def prepare(
    plan: Plan,
    *,
    seed: int,
    today: date,
    rows: int | None = None,
    offsets: dict[str, int] | None = None,
) -> dict[str, TableRows]:
    """Runners for every table in insert order, validated before anything is written.

    ``offsets`` (an append): each table's first row index, past the rows already there.
    """
    if rows is not None:
        if rows < 0:
            raise ConfigurationError(f"--rows {rows} must be >= 0")
        for table in plan.tables.values():
            table.rows = rows
    runners: dict[str, TableRows] = {}
    for name in plan.order:
        runners[name] = TableRows(plan, plan.tables[name], runners, seed, today, (offsets or {}).get(name, 0))
    for name in plan.order:
        runners[name].prepare()
    return runners
