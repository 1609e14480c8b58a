"""A small factory base in factory_boy's spirit: defaults, traits, build vs create.

* ``defaults`` come from a row *draft* function (``healthcare_data.rows``), the same
  code the bulk engine runs, so a factory-made row and a bulk row cannot disagree.
* A :class:`Trait` is data: a name, a description, ``overrides`` (inputs merged into the
  draft call, explicit keyword arguments win) and ``params`` that the draft function
  reads (e.g. which specialties a provider trait allows). Traits are looked up by name
  in a registry and applied by one mechanism, :meth:`Factory.resolve_traits`.
* ``build`` makes a plain dict without touching a database; ``create`` drafts with
  ``id = Database.next_id()`` inside one transaction, validates, inserts, and returns a
  detached ORM object with every column loaded. A UNIQUE clash becomes
  :class:`UniquenessViolation` naming the field and value, and nothing is written.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthcare_data.db import Database
from healthcare_data.errors import (
    UUID_CLASH_RECOVERY,
    BusinessRuleViolation,
    ConfigurationError,
    FormatValidationError,
    HealthcareDataError,
    UniquenessViolation,
)
from healthcare_data.randomness import Randomness, resolve
from healthcare_data.registry import Registry
from healthcare_data.schema import Base
from healthcare_data.traits import Trait, resolve_traits, trait_names  # noqa: F401 - re-exported
from healthcare_data.violations import FORMAT, ValidationReport, Violation

M = TypeVar("M", bound=Base)


def as_row(obj: Any) -> dict[str, Any]:
    """A plain column dict from an ORM object, a Row or a dict (copied)."""
    if isinstance(obj, Mapping):
        return dict(obj)
    mapping = getattr(obj, "_mapping", None)
    if mapping is not None:
        return dict(mapping)
    try:
        mapper = sa_inspect(obj).mapper
    except Exception:  # noqa: BLE001 - not an ORM object
        raise TypeError(f"expected a dict, Row or ORM object, got {type(obj).__name__}") from None
    return {c.key: getattr(obj, c.key) for c in mapper.column_attrs}


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?:\w+)\.(\w+)")
_PG_UNIQUE = re.compile(r"Key \((\w+)\)=\((.*?)\) already exists")


def uniqueness_error(
    entity: str, exc: IntegrityError, rows: Sequence[Mapping[str, Any]], recovery: Mapping[str, str]
) -> HealthcareDataError:
    """Translate a UNIQUE IntegrityError of SQLite or PostgreSQL into UniquenessViolation."""
    message = str(exc.orig)
    match = _SQLITE_UNIQUE.search(message) or _PG_UNIQUE.search(message)
    if not match:
        return HealthcareDataError(
            f"Insert into {entity} failed and was rolled back: {message.splitlines()[0]}",
            ["check foreign keys and NOT NULL columns of the row"],
        )
    column = match.group(1)
    value: object = match.group(2) if match.re is _PG_UNIQUE else None
    if value is None:
        values = [r.get(column) for r in rows]
        value = values[0] if len(values) == 1 else values
    hint = UUID_CLASH_RECOVERY if column == "uuid" else recovery.get(
        column, f"use a different {column} (omit it to derive one from the next id)"
    )
    return UniquenessViolation(entity, column, value, [hint, "nothing was written"])


class Factory(Generic[M]):
    """Base of every factory: subclasses set ``model``/``traits`` and implement ``draft``."""

    model: ClassVar[type[Base]]
    entity: ClassVar[str]
    traits: ClassVar[Registry[Trait] | None] = None
    uniqueness_recovery: ClassVar[Mapping[str, str]] = {}

    def __init__(self, database: Database | None = None, rng: Randomness | int | None = None) -> None:
        self.database = database
        self.rng = resolve(rng)
        self._sequence: Iterator[int] = itertools.count(1)

    # --- to implement -----------------------------------------------------------------
    def draft(self, serial: int, traits: tuple[Trait, ...], inputs: dict[str, Any]) -> dict[str, Any]:
        """The row for ``serial`` (``inputs``: trait overrides merged with explicit kwargs)."""
        raise NotImplementedError

    def check(self, row: Mapping[str, Any]) -> list[Violation]:
        """Violations that forbid persisting ``row`` (none by default)."""
        return []

    def prepare(self, conn: Connection, inputs: dict[str, Any]) -> None:
        """Hook run inside create()'s transaction before drafting (e.g. load calendars)."""

    # --- mechanism ------------------------------------------------------------------
    def resolve_traits(self, traits: Iterable[str | Trait]) -> tuple[Trait, ...]:
        names: list[str | Trait] = []
        for item in traits:
            names.extend(trait_names(item) if isinstance(item, str) else [item])
        if names and self.traits is None:
            raise ConfigurationError(f"{type(self).__name__} has no traits; got {names!r}")
        return resolve_traits(self.traits, names) if self.traits is not None else ()

    def _inputs(self, traits: tuple[Trait, ...], overrides: Mapping[str, Any]) -> dict[str, Any]:
        inputs: dict[str, Any] = {}
        for trait in traits:
            inputs.update(trait.overrides)
        inputs.update(overrides)
        return inputs

    def sequence(self) -> int:
        """The next build serial (1, 2, ...): builds never touch a database."""
        return next(self._sequence)

    def build(self, *traits: str | Trait, **overrides: Any) -> dict[str, Any]:
        """A row dict; no database access, nothing validated (invalid rows are allowed)."""
        resolved = self.resolve_traits(traits)
        serial = overrides.pop("id", None) or self.sequence()
        return self.draft(serial, resolved, self._inputs(resolved, overrides))

    def build_batch(self, count: int, *traits: str | Trait, **overrides: Any) -> list[dict[str, Any]]:
        return [self.build(*traits, **overrides) for _ in range(count)]

    def _require_database(self) -> Database:
        if self.database is None:
            raise ConfigurationError(
                f"{type(self).__name__}.create() needs a database; "
                f"pass one: {type(self).__name__}(database, rng) or use build()"
            )
        return self.database

    def create(self, *traits: str | Trait, **overrides: Any) -> M:
        """Draft, validate and insert one row in one transaction; returns a detached object."""
        return self.create_batch(1, *traits, **overrides)[0]

    def create_batch(self, count: int, *traits: str | Trait, **overrides: Any) -> list[M]:
        """``count`` rows in ONE transaction: all are written or none."""
        database = self._require_database()
        resolved = self.resolve_traits(traits)
        with database.session() as session:
            conn = session.connection()
            inputs = self._inputs(resolved, overrides)
            self.prepare(conn, inputs)
            first = database.next_id(conn, self.model.__tablename__)
            rows = []
            for offset in range(count):
                row = self.draft(first + offset, resolved, dict(inputs))
                self._raise_on_violations(row)
                rows.append(row)
            objects = [cast(M, self.model(**row)) for row in rows]  # model is the class M names
            session.add_all(objects)
            try:
                session.flush()
            except IntegrityError as exc:
                raise uniqueness_error(self.entity, exc, rows, self.uniqueness_recovery) from None
            for obj in objects:
                session.refresh(obj)
            self._sync_sequence(session)
        return objects

    def _raise_on_violations(self, row: Mapping[str, Any]) -> None:
        violations = self.check(row)
        if not violations:
            return
        report = ValidationReport(f"{self.entity} create", 1, list(violations))
        if all(v.category == FORMAT for v in violations):
            raise FormatValidationError(report)
        raise BusinessRuleViolation(report)

    def _sync_sequence(self, session: Session) -> None:
        """Explicit ids leave PostgreSQL's sequence behind; move it past the highest id."""
        if session.get_bind().dialect.name != "postgresql":
            return
        table = self.model.__tablename__
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )
