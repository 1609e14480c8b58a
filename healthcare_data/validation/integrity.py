"""Whole-database integrity checks: set-based SQL, one query per rule.

Every check is built with SQLAlchemy Core from ``Base.metadata`` (foreign keys and
UNIQUE constraints are read from the schema, not repeated here), so it runs unchanged
on SQLite and PostgreSQL and stays fast on a million rows: the database does the
joins and grouping, Python only turns the few offending rows into violations.
The only dialect switch is date arithmetic (:func:`epoch_seconds`, :func:`day_of`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Date,
    Integer,
    Table,
    and_,
    cast,
    extract,
    func,
    literal,
    or_,
    select,
)

from healthcare_data.errors import ConfigurationError
from healthcare_data.rules import declared
from healthcare_data.schema import Base
from healthcare_data.violations import BUSINESS, INTEGRITY, Violation

# The column a violation names a record by, per table (the primary key elsewhere).
BUSINESS_KEYS: dict[str, str] = {
    "patients": "patient_id",
    "providers": "npi_number",
    "insurance_claims": "claim_number",
}

# Identifiers that must be unique but carry no UNIQUE constraint in the seed schema:
# a policy number belongs to one patient (reference/payers.toml).
EXTRA_IDENTIFIERS: tuple[tuple[str, str], ...] = (("patients", "insurance_policy_number"),)

# Appointments that no longer hold their slot; they cannot double-book a provider.
RELEASED_STATUSES: tuple[str, ...] = ("cancelled", "canceled", "rescheduled")

# Duplicated values whose holders' ids are looked up and named in the message.
MAX_DETAILED = 1000

# Default length of a visit when duration_minutes is NULL (the schema's default).
DEFAULT_DURATION_MINUTES = 30

# Packs (end_second, appointment id) into one BIGINT so a single running MAX finds the
# latest-ending earlier appointment *and* its id; ids must stay below this factor.
_ID_FACTOR = 1_000_000_000


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _pk(table: Table) -> Column[Any]:
    return next(iter(table.primary_key.columns))


def key_column(table: Table) -> Column[Any]:
    """The column a violation uses as the record's key: business key, else primary key."""
    name = BUSINESS_KEYS.get(table.name)
    return table.c[name] if name else _pk(table)


def epoch_seconds(column: ColumnElement[Any], dialect: str) -> ColumnElement[int]:
    """Whole seconds since 1970 of a DATETIME column, as an integer on every backend.

    Integer seconds (not julianday floats) make back-to-back visits compare exactly.
    """
    if dialect == "sqlite":
        return cast(func.strftime("%s", column), Integer)
    if dialect == "postgresql":
        return cast(extract("epoch", column), BigInteger)
    if dialect in ("mysql", "mariadb"):
        return cast(func.unix_timestamp(column), BigInteger)
    raise ConfigurationError(
        f"No date arithmetic for database {dialect!r}; supported: sqlite, postgresql, mysql"
    )


def day_of(column: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """The calendar day of a DATETIME column, comparable with a DATE column."""
    if dialect in ("sqlite", "mysql", "mariadb"):
        return func.date(column)  # on SQLite 'YYYY-MM-DD', the way it stores DATE values
    return cast(column, Date)


# --- Orphans ------------------------------------------------------------------------


def find_orphans(conn: Connection) -> list[Violation]:
    """Child rows whose foreign key points at no parent row, for every FK in the schema.

    Databases enforce these constraints, but data loaded with checks off (bulk loads,
    restores, SQLite without ``PRAGMA foreign_keys``) can still break them.
    """
    violations: list[Violation] = []
    for child in Base.metadata.sorted_tables:
        for fk in sorted(child.foreign_key_constraints, key=lambda c: tuple(c.column_keys)):
            parent = fk.referred_table
            pairs = [(element.parent, element.column) for element in fk.elements]
            joined = and_(*(local == remote for local, remote in pairs))
            present = and_(*(local.isnot(None) for local, _ in pairs))
            parent_pk = _pk(parent)
            key = key_column(child)
            query = (
                select(key, *(local for local, _ in pairs))
                .select_from(child.outerjoin(parent, joined))
                .where(present, parent_pk.is_(None))
                .order_by(_pk(child))
            )
            for row in conn.execute(query):
                values = ", ".join(
                    f"{local.name}={value!r}" for (local, _), value in zip(pairs, row[1:], strict=True)
                )
                field = ",".join(local.name for local, _ in pairs)
                target = ",".join(f"{parent.name}.{remote.name}" for _, remote in pairs)
                violations.append(
                    Violation(
                        entity=child.name,
                        key=row[0],
                        field=field,
                        rule=declared.ORPHAN_FOREIGN_KEY.name,
                        message=f"{child.name} {row[0]!r} has {values}, which matches no {target}",
                        recovery=f"point {field} at an existing {parent.name} row or delete the row",
                        category=INTEGRITY,
                    )
                )
    return violations


# --- Double bookings -----------------------------------------------------------------


def find_double_bookings(conn: Connection) -> list[Violation]:
    """Appointments overlapping an earlier one of the same provider.

    Intervals are ``[appointment_date, appointment_date + duration)``, so back-to-back
    visits do not clash. Cancelled and rescheduled appointments release their slot and
    are ignored. See :func:`_overlaps` for the query.
    """
    return _overlaps(conn, "provider_id", "provider")


def find_patient_double_bookings(conn: Connection) -> list[Violation]:
    """Appointments overlapping an earlier one of the same patient (with any provider):
    a patient cannot be in two visits at once."""
    return _overlaps(conn, "patient_id", "patient")


def _overlaps(conn: Connection, owner_column: str, owner: str) -> list[Violation]:
    """Active appointments starting before an earlier one of the same owner has ended.

    One window query, O(n log n), no self-join: for each appointment, the latest end
    among the owner's earlier appointments (ordered by start, then id). The end and
    the id are packed into one BIGINT (end * F + id) so the same running MAX also names
    the appointment overlapped.
    """
    appointments = _table("appointments")
    dialect = conn.dialect.name
    start = epoch_seconds(appointments.c.appointment_date, dialect)
    minutes = func.coalesce(appointments.c.duration_minutes, DEFAULT_DURATION_MINUTES)
    active = or_(appointments.c.status.is_(None), appointments.c.status.not_in(RELEASED_STATUSES))
    timed = (
        select(
            appointments.c.id,
            appointments.c[owner_column].label("owner"),
            appointments.c.appointment_date,
            start.label("start_s"),
            (start + minutes * 60).label("end_s"),
        )
        .where(active)
        .subquery("timed")
    )
    factor = literal(_ID_FACTOR, BigInteger)
    packed = cast(timed.c.end_s, BigInteger) * factor + timed.c.id
    latest = func.max(packed).over(
        partition_by=timed.c.owner, order_by=(timed.c.start_s, timed.c.id), rows=(None, -1)
    )
    earlier = select(timed, latest.label("latest")).subquery("earlier")
    # end > start  <=>  end * F + id >= (start + 1) * F, as 0 <= id < F. No division:
    # integer versus true division differs between backends.
    query = (
        select(earlier)
        .where(earlier.c.latest.isnot(None), earlier.c.latest >= (earlier.c.start_s + 1) * factor)
        .order_by(earlier.c.owner, earlier.c.start_s, earlier.c.id)
    )
    violations = []
    for row in conn.execute(query):
        other = int(row.latest) % _ID_FACTOR
        violations.append(
            Violation(
                entity="appointments",
                key=row.id,
                field="appointment_date",
                rule=declared.DOUBLE_BOOKED[owner].name,
                message=(
                    f"appointment {row.id} of {owner} {row.owner} at {row.appointment_date} "
                    f"overlaps appointment {other}"
                ),
                recovery=f"move one of the appointments to a free slot of the {owner}",
                category=BUSINESS,
            )
        )
    return violations


# --- Cross references ----------------------------------------------------------------


def find_cross_reference_mismatches(conn: Connection) -> list[Violation]:
    """Records and claims that disagree with the appointment they reference.

    A medical record or claim must name the appointment's own patient and provider;
    a claim cannot be submitted before the visit; a record is dated on the visit day;
    nobody has a visit before they were born.
    """
    dialect = conn.dialect.name
    appointments = _table("appointments")
    violations: list[Violation] = []
    for name in ("medical_records", "insurance_claims"):
        child = _table(name)
        key = key_column(child)
        joined = child.join(appointments, child.c.appointment_id == appointments.c.id)
        for field in ("patient_id", "provider_id"):
            query = (
                select(key, child.c.appointment_id, child.c[field], appointments.c[field])
                .select_from(joined)
                .where(child.c[field] != appointments.c[field])
                .order_by(_pk(child))
            )
            owner = field.removesuffix("_id")
            for row in conn.execute(query):
                violations.append(
                    Violation(
                        entity=name,
                        key=row[0],
                        field=field,
                        rule=declared.MISMATCH[owner].name,
                        message=(
                            f"{name} {row[0]!r} has {field}={row[2]!r} but appointment "
                            f"{row[1]} belongs to {owner} {row[3]!r}"
                        ),
                        recovery=f"use the appointment's {field} ({row[3]!r}) or link the right appointment",
                        category=INTEGRITY,
                    )
                )
    violations.extend(_visits_before_birth(conn, dialect))
    violations.extend(_claims_before_visit(conn, dialect))
    violations.extend(_records_off_visit_day(conn, dialect))
    return violations


def _visits_before_birth(conn: Connection, dialect: str) -> Iterable[Violation]:
    appointments, patients = _table("appointments"), _table("patients")
    visit_day = day_of(appointments.c.appointment_date, dialect)
    query = (
        select(appointments.c.id, visit_day.label("day"), patients.c.patient_id, patients.c.date_of_birth)
        .select_from(appointments.join(patients, appointments.c.patient_id == patients.c.id))
        .where(visit_day < patients.c.date_of_birth)
        .order_by(appointments.c.id)
    )
    for row in conn.execute(query):
        yield Violation(
            entity="appointments",
            key=row.id,
            field="appointment_date",
            rule=declared.APPOINTMENT_BEFORE_BIRTH.name,
            message=(
                f"appointment {row.id} on {row.day} is before patient {row.patient_id} "
                f"was born ({row.date_of_birth})"
            ),
            recovery=f"book the appointment on or after {row.date_of_birth}",
            category=INTEGRITY,
        )


def _claims_before_visit(conn: Connection, dialect: str) -> Iterable[Violation]:
    claims, appointments = _table("insurance_claims"), _table("appointments")
    visit_day = day_of(appointments.c.appointment_date, dialect)
    query = (
        select(claims.c.claim_number, claims.c.submitted_date, appointments.c.id, visit_day.label("day"))
        .select_from(claims.join(appointments, claims.c.appointment_id == appointments.c.id))
        .where(claims.c.submitted_date < visit_day)
        .order_by(claims.c.id)
    )
    for row in conn.execute(query):
        yield Violation(
            entity="insurance_claims",
            key=row.claim_number,
            field="submitted_date",
            rule=declared.CLAIM_BEFORE_APPOINTMENT.name,
            message=(
                f"claim {row.claim_number!r} submitted {row.submitted_date} before its "
                f"appointment {row.id} on {row.day}"
            ),
            recovery=f"submit the claim on or after {row.day}",
            category=INTEGRITY,
        )


def _records_off_visit_day(conn: Connection, dialect: str) -> Iterable[Violation]:
    records, appointments = _table("medical_records"), _table("appointments")
    record_day = day_of(records.c.record_date, dialect)
    visit_day = day_of(appointments.c.appointment_date, dialect)
    query = (
        select(records.c.id, record_day.label("record_day"), appointments.c.id, visit_day.label("day"))
        .select_from(records.join(appointments, records.c.appointment_id == appointments.c.id))
        .where(records.c.record_date.isnot(None), record_day != visit_day)
        .order_by(records.c.id)
    )
    for record_id, record_day_value, appointment_id, day in conn.execute(query):
        yield Violation(
            entity="medical_records",
            key=record_id,
            field="record_date",
            rule=declared.RECORD_DATE_NOT_APPOINTMENT_DAY.name,
            message=(
                f"medical record {record_id} is dated {record_day_value} but its appointment "
                f"{appointment_id} is on {day}"
            ),
            recovery=f"date the record {day}",
            category=INTEGRITY,
        )


# --- Duplicate identifiers -----------------------------------------------------------


def identifier_columns() -> list[Column[Any]]:
    """Every single-column UNIQUE column of the schema plus :data:`EXTRA_IDENTIFIERS`."""
    columns: list[Column[Any]] = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if column.unique and not column.primary_key:
                columns.append(column)
        for constraint in sorted(table.constraints, key=lambda c: str(c.name)):
            cols = list(getattr(constraint, "columns", ()))
            if type(constraint).__name__ == "UniqueConstraint" and len(cols) == 1:
                if cols[0] not in columns:
                    columns.append(cols[0])
    for table_name, column_name in EXTRA_IDENTIFIERS:
        column = _table(table_name).c[column_name]
        if column not in columns:
            columns.append(column)
    return columns


def find_duplicate_identifiers(conn: Connection) -> list[Violation]:
    """Identifier values (NPI, SSN, patient id, claim and policy numbers, ...) held twice.

    One violation per duplicated value, naming how many rows share it and their ids.
    UNIQUE constraints normally prevent this; policy numbers have no constraint.
    """
    violations: list[Violation] = []
    for column in identifier_columns():
        table = column.table
        pk = _pk(table)
        counted = (
            select(column, func.count().label("n"))
            .where(column.isnot(None))
            .group_by(column)
            .having(func.count() > 1)
            .order_by(column)
        )
        duplicates = {value: n for value, n in conn.execute(counted)}
        if not duplicates:
            continue
        ids: dict[Any, list[Any]] = {value: [] for value in duplicates}
        named = list(duplicates)[:MAX_DETAILED]  # ids for the first values only: bounded IN list
        holders = select(column, pk).where(column.in_(named)).order_by(pk)
        for value, row_id in conn.execute(holders):
            ids[value].append(row_id)
        for value, n in duplicates.items():
            shown = f" (ids {', '.join(str(i) for i in ids[value][:10])})" if ids[value] else ""
            violations.append(
                Violation(
                    entity=table.name,
                    key=value,
                    field=column.name,
                    rule=declared.DUPLICATE_IDENTIFIER.name,
                    message=f"{table.name}.{column.name} {value!r} is shared by {n} rows{shown}",
                    recovery=f"regenerate {column.name} for all but one of those rows",
                    category=INTEGRITY,
                )
            )
    return violations
