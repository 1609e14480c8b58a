"""Whole-database validation: the ``VALIDATORS`` registry and the functions that run it.

The five validation types of the acceptance suite are registry entries, each with
its scope, compliance standard and a ``run(db_or_conn, today)`` returning a
:class:`ValidationReport`. Three of them read the per-row validators' verdicts
(FORMAT, BUSINESS, HIPAA); those come from one streaming pass over the database
(keyset pages of ``CHUNK_SIZE`` rows, one query per page and related table, patients
together with their conditions and profile), shared by every validator run in the
same :class:`ValidationContext`, so :func:`run_all` reads each table once.

:func:`validate_records` applies the same row rules to in-memory row dicts, so the
bulk engine can check a batch before writing it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from time import perf_counter
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select

from healthcare_data.registry import Registry
from healthcare_data.rules import Subject, evaluate, key_of, rules_for
from healthcare_data.rules.common import CONTACT_SAFETY_RULES
from healthcare_data.schema import Base
from healthcare_data.validation import integrity, statistics
from healthcare_data.validation.appointments import check_appointment
from healthcare_data.validation.claims import check_claim
from healthcare_data.validation.patients import check_patient
from healthcare_data.validation.providers import check_provider
from healthcare_data.validation.records import check_medical_record
from healthcare_data.violations import BUSINESS, FORMAT, HIPAA, ValidationReport, Violation

CHUNK_SIZE = 5_000

Row = Mapping[str, Any]
RowCheck = Callable[..., list[Violation]]

# entity -> its row validator.
ROW_VALIDATORS: dict[str, RowCheck] = {
    "patients": check_patient,
    "providers": check_provider,
    "appointments": check_appointment,
    "medical_records": check_medical_record,
    "insurance_claims": check_claim,
}



def check_contact_safety(entity: str, row: Row) -> list[Violation]:
    """The HIPAA contact rules alone (fictional phones, reserved e-mail domains, issuable
    SSNs) on one stored person; the row validators run the same rules among the others."""
    chosen = [rule for rule in rules_for(entity, CONTACT_SAFETY_RULES) if rule.applies_to(entity)]
    return evaluate(chosen, Subject(entity, row, key_of(entity, row)))


# --- checking batches of rows ---------------------------------------------------------


@dataclass
class RowFindings:
    """What the row rules found: rows checked per entity, violations per category."""

    checked: dict[str, int] = field(default_factory=dict)
    violations: dict[str, list[Violation]] = field(default_factory=dict)

    def count(self, entity: str, n: int) -> None:
        self.checked[entity] = self.checked.get(entity, 0) + n

    def add(self, found: Iterable[Violation]) -> None:
        for violation in found:
            self.violations.setdefault(violation.category, []).append(violation)

    def total(self, entities: Collection[str] | None = None) -> int:
        return sum(n for e, n in self.checked.items() if entities is None or e in entities)

    def of(self, category: str) -> list[Violation]:
        found = self.violations.get(category, [])
        if category != HIPAA:
            return list(found)
        # Row validators and check_contact_safety may both flag one field: report it once.
        seen: set[tuple[str, object, str]] = set()
        unique = []
        for violation in found:
            marker = (violation.entity, violation.key, violation.field)
            if marker not in seen:
                seen.add(marker)
                unique.append(violation)
        return unique


def _group(rows: Iterable[Row], column: str) -> dict[Any, list[Row]]:
    grouped: dict[Any, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row.get(column), []).append(row)
    return grouped


def check_patients(
    findings: RowFindings,
    patients: Sequence[Row],
    conditions_by_patient: Mapping[Any, Sequence[Row]],
    profiles_by_patient: Mapping[Any, Row],
    today: date,
) -> None:
    """Run the patient rules with each patient's history and profile."""
    for patient in patients:
        serial = patient.get("id")
        findings.add(
            check_patient(
                patient, conditions_by_patient.get(serial, ()), profiles_by_patient.get(serial), today=today
            )
        )
    findings.count("patients", len(patients))
    findings.count("patient_conditions", sum(len(c) for c in conditions_by_patient.values()))
    findings.count("patient_profiles", len(profiles_by_patient))


def check_providers(findings: RowFindings, providers: Sequence[Row]) -> None:
    for provider in providers:
        findings.add(check_provider(provider))
    findings.count("providers", len(providers))


def check_appointments(
    findings: RowFindings, appointments: Sequence[Row], providers_by_id: Mapping[Any, Row]
) -> None:
    for appointment in appointments:
        findings.add(check_appointment(appointment, providers_by_id.get(appointment.get("provider_id"))))
    findings.count("appointments", len(appointments))


def check_records(findings: RowFindings, records: Sequence[Row], patients_by_id: Mapping[Any, Row]) -> None:
    for record in records:
        findings.add(check_medical_record(record, patients_by_id.get(record.get("patient_id"))))
    findings.count("medical_records", len(records))


def check_claims(findings: RowFindings, claims: Sequence[Row]) -> None:
    for claim in claims:
        findings.add(check_claim(claim))
    findings.count("insurance_claims", len(claims))


def validate_records(
    *,
    today: date,
    patients: Sequence[Row] = (),
    patient_conditions: Iterable[Row] = (),
    patient_profiles: Iterable[Row] = (),
    providers: Sequence[Row] = (),
    appointments: Sequence[Row] = (),
    medical_records: Sequence[Row] = (),
    insurance_claims: Sequence[Row] = (),
    known_providers: Mapping[Any, Row] | None = None,
    known_patients: Mapping[Any, Row] | None = None,
    categories: Collection[str] = (FORMAT, BUSINESS, HIPAA),
    name: str = "batch_validation",
) -> ValidationReport:
    """Validate in-memory row dicts (a batch about to be written) with the row rules.

    Keywords are table names, so ``validate_records(today=d, **rows_by_table)`` works.
    Conditions and profiles are matched to patients by ``patient_id`` (the patient's
    ``id``); appointments and records find their provider/patient in the batch or in
    ``known_providers`` / ``known_patients`` (id -> row) for rows written earlier.
    Only violations of ``categories`` are reported; ``checked`` counts every row.
    """
    started = perf_counter()
    findings = RowFindings()
    if patients:
        profiles_by_patient = {row.get("patient_id"): row for row in patient_profiles}
        conditions_by_patient = _group(patient_conditions, "patient_id")
        check_patients(findings, patients, conditions_by_patient, profiles_by_patient, today)
    if providers:
        check_providers(findings, providers)
    if appointments:
        by_id = {**(known_providers or {}), **{p.get("id"): p for p in providers}}
        check_appointments(findings, appointments, by_id)
    if medical_records:
        by_id = {**(known_patients or {}), **{p.get("id"): p for p in patients}}
        check_records(findings, medical_records, by_id)
    if insurance_claims:
        check_claims(findings, insurance_claims)
    report = ValidationReport(name=name, checked=findings.total())
    for category in categories:
        report.add(findings.of(category))
    report.seconds = perf_counter() - started
    return report


# --- streaming the database -----------------------------------------------------------


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def stream(
    conn: Connection, table: Table, chunk_size: int | None = None, query: Any = None
) -> Iterator[list[dict[str, Any]]]:
    """Every row of ``table`` (or of ``query`` over it) in primary-key order, a page at a time.

    Keyset pagination (``WHERE pk > last ORDER BY pk LIMIT n``): constant memory, no
    server-side cursor, the same on every backend, each page an index range scan.
    """
    size = chunk_size or CHUNK_SIZE
    pk = next(iter(table.primary_key.columns))
    base: Any = query if query is not None else select(table)
    last = None
    while True:
        page = base.order_by(pk).limit(size)
        if last is not None:
            page = page.where(pk > last)
        rows = fetch_dicts(conn, page)
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = rows[-1][pk.name]


def fetch_dicts(conn: Connection, query: Any) -> list[dict[str, Any]]:
    """Rows of ``query`` as plain dicts: the row validators read columns with ``.get``,
    which is several times faster on a dict than on a RowMapping."""
    result = conn.execute(query)
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.fetchall()]


def _in_range(conn: Connection, table: Table, first: Any, last: Any) -> list[dict[str, Any]]:
    column = table.c.patient_id
    query = select(table).where(column >= first, column <= last).order_by(column)
    return fetch_dicts(conn, query)


# What check_medical_record reads of a record's patient (its age rules): joined to each
# page of records instead of looked up with an IN list of thousands of ids.
RECORD_PATIENT_COLUMNS: tuple[str, ...] = ("id", "patient_id", "date_of_birth", "gender", "status")
_PATIENT_PREFIX = "patient__"


def _records_with_patients(conn: Connection) -> Iterator[tuple[list[dict[str, Any]], dict[Any, Row]]]:
    records, patients = _table("medical_records"), _table("patients")
    extra = [patients.c[name].label(_PATIENT_PREFIX + name) for name in RECORD_PATIENT_COLUMNS]
    query = select(records, *extra).select_from(
        records.outerjoin(patients, records.c.patient_id == patients.c.id)
    )
    cut = len(_PATIENT_PREFIX)
    for page in stream(conn, records, query=query):
        by_id: dict[Any, Row] = {}
        for row in page:
            patient = {key[cut:]: row.pop(key) for key in list(row) if key.startswith(_PATIENT_PREFIX)}
            if patient["id"] is not None:
                by_id[patient["id"]] = patient
        yield page, by_id


def scan_rows(conn: Connection, today: date, entities: Collection[str] | None = None) -> RowFindings:
    """Stream the database once and run the row rules on every row of ``entities``.

    Patients come a page at a time with their conditions and profiles (one range query
    each per page); appointments see their provider (providers are read once and kept:
    they are few), records their patient (joined into the records' page).
    """
    wanted = set(entities) if entities is not None else set(ROW_VALIDATORS)
    findings = RowFindings()
    if "patients" in wanted:
        conditions_table, profiles_table = _table("patient_conditions"), _table("patient_profiles")
        for patients in stream(conn, _table("patients")):
            first, last = patients[0]["id"], patients[-1]["id"]
            conditions = _group(_in_range(conn, conditions_table, first, last), "patient_id")
            profiles = {row["patient_id"]: row for row in _in_range(conn, profiles_table, first, last)}
            check_patients(findings, patients, conditions, profiles, today)
    providers_by_id: dict[Any, Row] = {}
    if "providers" in wanted or "appointments" in wanted:
        for providers in stream(conn, _table("providers")):
            if "providers" in wanted:
                check_providers(findings, providers)
            if "appointments" in wanted:
                providers_by_id.update((p["id"], p) for p in providers)
    if "appointments" in wanted:
        for appointments in stream(conn, _table("appointments")):
            check_appointments(findings, appointments, providers_by_id)
    if "medical_records" in wanted:
        for records, patients_by_id in _records_with_patients(conn):
            check_records(findings, records, patients_by_id)
    if "insurance_claims" in wanted:
        for claims in stream(conn, _table("insurance_claims")):
            check_claims(findings, claims)
    return findings


# --- the registry ---------------------------------------------------------------------


@dataclass
class ValidationContext:
    """One connection and date shared by validators, caching the row scan between them."""

    conn: Connection
    today: date
    options: dict[str, Any] = field(default_factory=dict)
    _rows: RowFindings | None = None

    @property
    def rows(self) -> RowFindings:
        if self._rows is None:
            self._rows = scan_rows(self.conn, self.today)
        return self._rows

    def table_rows(self) -> int:
        return sum(
            self.conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        )


@dataclass(frozen=True)
class DatabaseValidator:
    """A named whole-database validation with the scope and standard it answers to."""

    name: str
    scope: str
    compliance_standard: str
    description: str
    check: Callable[[ValidationContext], ValidationReport]

    def run(self, source: Any, today: date | None = None, **options: Any) -> ValidationReport:
        """Validate the database behind ``source`` (Database, Engine or Connection)."""
        with connection(source) as conn:
            return self.run_in(ValidationContext(conn, today or date.today(), dict(options)))

    def run_in(self, context: ValidationContext) -> ValidationReport:
        started = perf_counter()
        report = self.check(context)
        report.name = self.name
        report.seconds = perf_counter() - started
        return report


@contextmanager
def connection(source: Any) -> Iterator[Connection]:
    """A connection from a Database, an Engine or a Connection (left open for its owner)."""
    if isinstance(source, Connection):
        yield source
        return
    engine = getattr(source, "engine", source)
    if not isinstance(engine, Engine):
        raise TypeError(f"expected a Database, Engine or Connection, got {type(source).__name__}")
    with engine.connect() as conn:
        yield conn


def _format(context: ValidationContext) -> ValidationReport:
    rows = context.rows
    return ValidationReport(checked=rows.total()).add(rows.of(FORMAT))


def _business(context: ValidationContext) -> ValidationReport:
    rows = context.rows
    report = ValidationReport(checked=rows.total()).add(rows.of(BUSINESS))
    report.add(integrity.find_double_bookings(context.conn))
    report.add(integrity.find_patient_double_bookings(context.conn))
    report.add(integrity.find_cross_reference_mismatches(context.conn))
    # Patient journeys: the registry's journey_consistency rules (rules/journeys.py); imported
    # here because the journeys package imports validation.
    from healthcare_data.journeys.rules import check_database

    report.extend(check_database(context.conn, context.today))
    return report


def _compliance(context: ValidationContext) -> ValidationReport:
    rows = context.rows
    return ValidationReport(checked=rows.total(("patients", "providers"))).add(rows.of(HIPAA))


def _data_quality(context: ValidationContext) -> ValidationReport:
    options = {k: v for k, v in context.options.items() if k in ("tolerance", "alpha")}
    return statistics.persona_distribution_report(context.conn, context.today, **options)


def _referential(context: ValidationContext) -> ValidationReport:
    report = ValidationReport(checked=context.table_rows())
    report.add(integrity.find_orphans(context.conn))
    report.add(integrity.find_cross_reference_mismatches(context.conn))
    report.add(integrity.find_duplicate_identifiers(context.conn))
    return report


VALIDATORS: Registry[DatabaseValidator] = Registry("validation type")

for _validator in (
    DatabaseValidator(
        "format_validation",
        "all_entities",
        "internal_standards",
        "identifier, code, date and contact formats of every row",
        _format,
    ),
    DatabaseValidator(
        "business_rules",
        "all_relationships",
        "healthcare_workflow",
        "row business rules, provider and patient double bookings, records and claims matching their visit",
        _business,
    ),
    DatabaseValidator(
        "compliance_check",
        "patient_data",
        "hipaa_requirements",
        "fictional phones, reserved e-mail domains and issuable SSNs for patients, their "
        "emergency contacts and providers",
        _compliance,
    ),
    DatabaseValidator(
        "data_quality",
        "demographic_distributions",
        "statistical_realism",
        "ages, genders and states against the personas and the US population",
        _data_quality,
    ),
    DatabaseValidator(
        "referential_integrity",
        "cross_entity_references",
        "database_constraints",
        "orphaned foreign keys, cross-entity mismatches and duplicated identifiers",
        _referential,
    ),
):
    VALIDATORS.register(_validator.name, _validator)


def run_validation(source: Any, name: str, today: date | None = None, **options: Any) -> ValidationReport:
    """Run the validator ``name`` (UnknownNameError lists the known ones) on a database."""
    return VALIDATORS.get(name).run(source, today, **options)


def run_all(
    source: Any, today: date | None = None, names: Sequence[str] | None = None, **options: Any
) -> dict[str, ValidationReport]:
    """Run several validators (all by default) on one connection, scanning rows once."""
    chosen = [VALIDATORS.get(n) for n in (names if names is not None else VALIDATORS.names())]
    with connection(source) as conn:
        context = ValidationContext(conn, today or date.today(), dict(options))
        return {validator.name: validator.run_in(context) for validator in chosen}


def violation_rows(
    reports: Mapping[str, ValidationReport], *, statistical: bool = True
) -> list[dict[str, Any]]:
    """Every violation of ``reports`` as a table row naming its validator; ``statistical=False`` leaves out
    the statistical reports (data_quality), judged by their tests instead."""
    return [
        dict(v.as_row(), validator=name)
        for name, report in reports.items()
        if statistical or not isinstance(report, statistics.DistributionReport)
        for v in report.violations
    ]
