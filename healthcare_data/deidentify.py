"""HIPAA Safe Harbor de-identification: 45 CFR 164.514(b)(2).

Safe Harbor removes 18 kinds of identifiers "of the individual or of relatives, employers,
or household members of the individual", (b)(2)(i)(A)-(R). :data:`RULES` says, per
column, which kind it is and what happens to it; one function per action applies it.

* (A) names, (D) phones, (E) fax, (F) e-mail, (G) SSN, (I) health-plan beneficiary
  numbers: removed (NULL; a NOT NULL name column gets the text ``REDACTED``).
* (B) geography smaller than a state: street and city removed, ZIP cut to its first three
  digits, and to ``000`` for the three-digit areas of 20,000 people or fewer. The list of
  those prefixes is HHS's, from the 2000 Census ("Guidance Regarding Methods for
  De-identification of Protected Health Information", HHS OCR, 26 Nov 2012, section 3.4).
* (C) every date directly related to the individual (birth, visit, record, claim, row
  creation) keeps its year only, stored as 1 January of that year because the columns are
  DATE/DATETIME. Ages over 89 are aggregated: a birth year that would make the person 90
  or older at the reference date becomes the same single year (reference year - 90), the
  "90 or older" category.
* (H) medical record numbers, (J) account numbers (claim numbers), (R) other unique codes
  (row UUIDs, database ids): replaced. Ids of patients and of their visits, records,
  claims and conditions are re-keyed by a secret permutation (foreign keys follow it), so
  the copy cannot be joined back to the source; UUIDs are new random ones; MRNs and claim
  numbers become ``DEID-<new id>``.
* Free text that can hold any identifier (appointment notes, treatment notes) is removed.
* A table or column without a rule here (added to the schema later) gets :func:`rule_for`'s
  cautious generic rule instead of being copied.

Kept: clinical content (diagnosis codes, conditions, medications, amounts, statuses),
gender, state, payer name. **Providers** (names, NPI, phone, practice) are kept: Safe
Harbor covers identifiers of the *subject* and of their relatives, employers and household
members; HHS's guidance (section 3.10) says names of others, such as physicians, need not
be suppressed. An NPI identifies the clinician, not the patient. Remove providers with
``--tables`` on a later export if a recipient must not see them.
"""

from __future__ import annotations

import functools
import json
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from healthcare_data.bulk import write_dataset
from healthcare_data.connections import connect, require_schema
from healthcare_data.errors import ConfigurationError
from healthcare_data.export import load_dataset
from healthcare_data.export.database import table_names
from healthcare_data.export.stream import database_batches, table_batches
from healthcare_data.export.writers import write_batches
from healthcare_data.generation import AffinePermutation, Batch
from healthcare_data.randomness import Randomness
from healthcare_data.schema import Base

CITATION = "45 CFR 164.514(b)(2)"

# Three-digit ZIP areas with 20,000 or fewer people (2000 Census), which Safe Harbor
# requires to be reported as 000. Source: HHS OCR, "Guidance Regarding Methods for
# De-identification of PHI in Accordance with the HIPAA Privacy Rule" (2012), section 3.4.
RESTRICTED_ZIP3: frozenset[str] = frozenset(
    {
        "036",
        "059",
        "063",
        "102",
        "203",
        "556",
        "692",
        "790",
        "821",
        "823",
        "830",
        "831",
        "878",
        "879",
        "884",
        "890",
        "893",
    }
)
AGE_CEILING = 90  # ages over 89 are aggregated into one "90 or older" category
REDACTED = "REDACTED"

# Tables about the organisation, not the patient: kept as they are (see the docstring).
KEPT_TABLES = frozenset({"tenants", "locations", "providers"})


@dataclass(frozen=True)
class Rule:
    """What happens to one column: ``action`` and the Safe Harbor letter it answers."""

    action: str
    kind: str

    @property
    def citation(self) -> str:
        return f"{CITATION}(i)({self.kind})" if self.kind else ""


_NAME = Rule("redact", "A")
_GONE = {"phone": Rule("remove", "D"), "email": Rule("remove", "F")}
_YEAR = Rule("year", "C")
RULES: dict[str, dict[str, Rule]] = {
    "patients": {
        "id": Rule("rekey", "R"),
        "uuid": Rule("new-uuid", "R"),
        "patient_id": Rule("surrogate", "H"),
        "first_name": _NAME,
        "last_name": _NAME,
        "date_of_birth": Rule("birth-year", "C"),
        "ssn": Rule("remove", "G"),
        **_GONE,
        "address_street": Rule("remove", "B"),
        "address_city": Rule("remove", "B"),
        "address_zip": Rule("zip3", "B"),
        "emergency_contact_name": Rule("remove", "A"),
        "emergency_contact_phone": Rule("remove", "D"),
        "insurance_policy_number": Rule("remove", "I"),
        "created_at": _YEAR,
        "updated_at": _YEAR,
    },
    "appointments": {
        "id": Rule("rekey", "R"),
        "uuid": Rule("new-uuid", "R"),
        "patient_id": Rule("rekey", "R"),
        "appointment_date": _YEAR,
        "notes": Rule("remove", "R"),
        "created_at": _YEAR,
    },
    "medical_records": {
        "id": Rule("rekey", "R"),
        "uuid": Rule("new-uuid", "R"),
        "patient_id": Rule("rekey", "R"),
        "appointment_id": Rule("rekey", "R"),
        "treatment_notes": Rule("remove", "R"),
        "record_date": _YEAR,
    },
    "insurance_claims": {
        "id": Rule("rekey", "R"),
        "uuid": Rule("new-uuid", "R"),
        "claim_number": Rule("surrogate", "J"),
        "patient_id": Rule("rekey", "R"),
        "appointment_id": Rule("rekey", "R"),
        "submitted_date": _YEAR,
        "processed_date": _YEAR,
        "created_at": _YEAR,
    },
    "patient_conditions": {"id": Rule("rekey", "R"), "patient_id": Rule("rekey", "R")},
    # a step's entity_id is a key into the table its ``entity`` column names
    "journey_steps": {"entity_id": Rule("rekey-entity", "R")},
    "patient_profiles": {"patient_id": Rule("rekey", "R")},
}
KEEP = Rule("keep", "")
# Columns of the patient tables that are not identifiers (clinical and administrative
# content). A column in neither RULES nor here gets the cautious generic rule.
KEPT: dict[str, frozenset[str]] = {
    "patients": frozenset({"gender", "address_state", "insurance_provider", "status", "tenant_id"}),
    "appointments": frozenset(
        {"provider_id", "duration_minutes", "appointment_type", "status", "visit_mode", "tenant_id"}
    ),
    "medical_records": frozenset(
        {
            "provider_id",
            "record_type",
            "diagnosis_code",
            "diagnosis_description",
            "medications",
            "follow_up_required",
        }
    ),
    "insurance_claims": frozenset(
        {"provider_id", "claim_amount", "status", "denial_reason", "payment_amount"}
    ),
    "patient_conditions": frozenset({"condition", "icd10_code", "chronic", "medication"}),
    "care_journeys": frozenset({"journey", "segment", "final_step"}),
    "journey_steps": frozenset({"seq", "step", "entity", "status"}),
    "prescriptions": frozenset(
        {
            "provider_id",
            "diagnosis_code",
            "rxnorm_code",
            "drug_name",
            "dose",
            "route",
            "frequency",
            "quantity",
            "refills",
            "status",
        }
    ),
    "dispensings": frozenset({"pharmacy", "quantity"}),
    "referrals": frozenset({"referring_provider_id", "specialty", "diagnosis_code", "status"}),
    "ledger_entries": frozenset({"party", "kind", "amount"}),
    "patient_profiles": frozenset(
        {
            "persona",
            "preferred_language",
            "medication_compliance",
            "appointment_compliance",
            "communication_style",
            "tech_savviness",
            "coverage_level",
            "annual_deductible",
            "payment_arrangement",
            "visits_per_year",
            "emergency_contact_relationship",
            "allergies",
        }
    ),
}


def _schema_column(table: str, column: str) -> Any:
    found = Base.metadata.tables.get(table)
    return found.c[column] if found is not None and column in found.c else None


def _references(table: str, column: str) -> str | None:
    """The table a foreign key column points at (None: not a foreign key)."""
    found = _schema_column(table, column)
    if found is None:
        return {"patient_id": "patients", "appointment_id": "appointments"}.get(column)
    return next((str(fk.column.table.name) for fk in found.foreign_keys), None)


def _rekeyed(table: str) -> bool:
    """A table whose ids are re-keyed: it has an id and is about a patient."""
    if table in KEPT_TABLES:
        return False
    if "id" in RULES.get(table, {}):
        return RULES[table]["id"].action == "rekey"
    return _schema_column(table, "id") is not None


@functools.cache
def rule_for(table: str, column: str) -> Rule:
    """The explicit rule, else keep, else (a table or column added since these rules were
    written) a cautious generic one: re-key ids and keys of patient rows, new UUIDs, dates
    to the year, text removed, numbers and flags kept."""
    explicit = RULES.get(table, {}).get(column)
    if explicit is not None:
        return explicit
    if table in KEPT_TABLES or column in KEPT.get(table, ()):
        return KEEP
    target = _references(table, column)
    if column == "id" and _rekeyed(table) or target is not None and _rekeyed(target):
        return Rule("rekey", "R")
    if target is not None:
        return KEEP
    if column == "uuid":
        return Rule("new-uuid", "R")
    from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric

    kind = getattr(_schema_column(table, column), "type", None)
    if isinstance(kind, Date | DateTime):
        return _YEAR
    if isinstance(kind, Boolean | Integer | Float | Numeric):
        return KEEP
    return Rule("remove", "R")


@dataclass
class ColumnReport:
    table: str
    column: str
    rule: Rule
    changed: int = 0


@dataclass
class DeidentificationReport:
    """What was done to each column, and how many values it changed."""

    columns: dict[tuple[str, str], ColumnReport] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    reference_date: date | None = None

    @property
    def total_rows(self) -> int:
        return sum(self.tables.values())

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "table": c.table,
                "column": c.column,
                "action": c.rule.action,
                "rule": c.rule.citation or "not an identifier",
                "values changed": c.changed,
            }
            for c in self.columns.values()
        ]

    def write_json(self, path: str | Path) -> None:
        body = {
            "standard": f"HIPAA Safe Harbor, {CITATION}",
            "reference_date": str(self.reference_date),
            "tables": self.tables,
            "columns": self.rows(),
        }
        Path(path).write_text(json.dumps(body, indent=2) + "\n", "utf-8")


def zip3(value: str | None) -> str | None:
    """The first three digits of a ZIP, or ``000`` for a restricted area (None stays None)."""
    if value is None:
        return None
    digits = "".join(ch for ch in str(value) if ch.isdigit())[:3]
    if len(digits) < 3:
        return "000"
    return "000" if digits in RESTRICTED_ZIP3 else digits


def year_only(value: date | datetime | None) -> date | datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return datetime(value.year, 1, 1)
    return date(value.year, 1, 1)


class Deidentifier:
    """Applies :data:`RULES` to batches; ``max_ids`` sizes each re-keyed table's permutation."""

    def __init__(self, max_ids: Mapping[str, int], *, today: date, seed: int | None = None) -> None:
        rng = Randomness(secrets.randbits(62) if seed is None else seed)
        self.permutations = {
            t: AffinePermutation(max(int(n or 1), 1), rng.child(t)) for t, n in max_ids.items() if _rekeyed(t)
        }
        self.uuids = rng.child("uuids").random
        self.today = today
        self.report = DeidentificationReport(reference_date=today)
        self.oldest_year = today.year - AGE_CEILING

    def rekey(self, table: str, value: int | None) -> int | None:
        """The new id of row ``value`` of ``table``; a key into a table the input does not
        hold cannot be re-keyed consistently, so it is dropped."""
        permutation = self.permutations.get(table)
        return None if value is None or permutation is None else permutation(int(value) - 1) + 1

    def _birth_year(self, value: date) -> date:
        age = self.today.year - value.year - ((self.today.month, self.today.day) < (value.month, value.day))
        return date(self.oldest_year if age >= AGE_CEILING else value.year, 1, 1)

    def _apply(
        self, table: str, column: str, rule: Rule, value: Any, new_id: int | None, row: Mapping[str, Any]
    ) -> Any:
        action = rule.action
        if action == "keep" or value is None and action != "redact":
            return value
        if action == "remove":
            return None
        if action == "redact":
            return REDACTED
        if action == "zip3":
            return zip3(value)
        if action == "year":
            return year_only(value)
        if action == "birth-year":
            return self._birth_year(value)
        if action == "new-uuid":
            return str(uuid.UUID(int=self.uuids.getrandbits(128), version=4))
        if action == "surrogate":
            return f"DEID-{new_id:08d}"
        if action == "rekey-entity":
            return self.rekey(str(row.get("entity")), value) if _rekeyed(str(row.get("entity"))) else value
        if action == "rekey":
            target = table if column == "id" else (_references(table, column) or table)
            return self.rekey(target, value)
        raise ConfigurationError(f"Unknown de-identification action {action!r}")  # pragma: no cover

    def batch(self, batch: Batch) -> Batch:
        self.report.tables[batch.table] = self.report.tables.get(batch.table, 0) + len(batch.rows)
        out: list[dict[str, Any]] = []
        for row in batch.rows:
            new_id = (
                self.rekey(batch.table, row.get("id")) if batch.table in self.permutations else row.get("id")
            )
            clean: dict[str, Any] = {}
            for column, value in row.items():
                rule = rule_for(batch.table, column)
                entry = self.report.columns.get((batch.table, column))
                if entry is None:
                    entry = self.report.columns[(batch.table, column)] = ColumnReport(
                        batch.table, column, rule
                    )
                clean[column] = self._apply(batch.table, column, rule, value, new_id, row)
                if clean[column] != value:
                    entry.changed += 1
            out.append(clean)
        return Batch(batch.table, out)

    def stream(self, batches: Iterable[Batch]) -> Iterator[Batch]:
        for batch in batches:
            yield self.batch(batch)


def _max_ids_of_tables(tables: Mapping[str, list[dict[str, Any]]]) -> dict[str, int]:
    return {
        t: max((int(r["id"]) for r in rows if r.get("id") is not None), default=1)
        for t, rows in tables.items()
    }


def _max_ids_of_database(db: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    with db.engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.max(table.c.id))).scalar_one() or 1)
            for name, table in Base.metadata.tables.items()
            if "id" in table.c and _rekeyed(name)
        }


def deidentify(
    *,
    url: str | None = None,
    input_path: str | Path | None = None,
    output_url: str | None = None,
    output_path: str | Path | None = None,
    format: str = "json",
    today: date | None = None,
    seed: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> DeidentificationReport:
    """Copy a database (``url``) or an export (``input_path``) de-identified under Safe Harbor
    into an empty database (``output_url``) or an export (``output_path`` as ``format``).

    ``today`` is the reference date for the 90-or-older rule; ``seed`` fixes the secret
    re-keying (for tests: a fixed seed lets anyone with it link the copy back).
    """
    if (url is None) == (input_path is None):
        raise ConfigurationError("deidentify reads either a database (url) or an export (input_path)")
    if (output_url is None) == (output_path is None):
        raise ConfigurationError(
            "deidentify writes either a database (output_url) or an export (output_path)"
        )
    reference = today or date.today()
    source_db = None
    if url is not None:
        source_db = connect(url)
        require_schema(source_db)
        deid = Deidentifier(_max_ids_of_database(source_db), today=reference, seed=seed)
        batches: Iterable[Batch] = database_batches(source_db, table_names())
    else:
        tables = load_dataset(str(input_path))
        deid = Deidentifier(_max_ids_of_tables(tables), today=reference, seed=seed)
        batches = table_batches(tables)
    try:
        cleaned = deid.stream(batches)
        if output_path is not None:
            write_batches(cleaned, output_path, format, source={"deidentified": CITATION}, progress=progress)
        else:
            _write_database(cleaned, str(output_url), progress)
    finally:
        if source_db is not None:
            source_db.dispose()
    return deid.report


def _write_database(batches: Iterable[Batch], output_url: str, progress: Any) -> None:
    target = connect(output_url, create_schema=True)
    try:
        if not target.is_empty():
            raise ConfigurationError(f"Output database {target.url!r} is not empty; give an empty one")
        write_dataset(target, batches, atomic=True, progress=progress, pipeline=False)
    finally:
        target.dispose()
