"""Bulk journeys: many patients' journeys as a deterministic stream of row batches.

``generate_journeys(spec, rng)`` yields :class:`~healthcare_data.generation.Batch`
objects that :func:`healthcare_data.bulk.write_dataset` writes (COPY on PostgreSQL,
the driver fast path on SQLite), like the bulk engine's.

Patients are processed in *care groups* of ``spec.group_patients``: each group has its
own providers (family/internal medicine, pediatrics, one specialist per referral
specialty), its own calendars and its own random stream (``rng.child("journeys/<g>")``),
so a group's rows depend only on the seed and the group's place, never on the batch
size, and memory is bounded by one group plus the rows not yet flushed. Buffered rows
are flushed parents first whenever a table reaches the batch size, so foreign keys
always point at rows already written.

Allocation: :func:`allocate` turns "N records" into counts per entity from the
cardinalities of the journeys file (rows per patient), as the spec's integration task
distributes its 500 records.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any

from healthcare_data import settings
from healthcare_data.bulk import write_dataset
from healthcare_data.errors import ConfigurationError, UnknownNameError
from healthcare_data.generation import Batch
from healthcare_data.journeys.definitions import REGISTRATION, Definitions, Journey, default_definitions
from healthcare_data.journeys.engine import (
    JOURNEY_TABLES,
    Clinic,
    Ids,
    PatientContext,
    Rows,
    Run,
    random_chooser,
    walk,
)
from healthcare_data.personas import PERSONAS
from healthcare_data.randomness import Randomness, Weighted
from healthcare_data.reference import CONDITIONS
from healthcare_data.rows.patients import draft_patient
from healthcare_data.rows.providers import draft_provider
from healthcare_data.schema import Base

DEFAULT_RECORDS = 500
#: Tables whose rows count as "records" (the entities; conditions, profiles and the
#: journey bookkeeping tables are supporting rows).
RECORD_TABLES: tuple[str, ...] = (
    "patients",
    "providers",
    "appointments",
    "medical_records",
    "prescriptions",
    "dispensings",
    "referrals",
    "insurance_claims",
    "ledger_entries",
)
DEFAULT_GROUP_PATIENTS = 400
PRIMARY_PER_PATIENTS = 150  # one family physician per this many patients of a group


@dataclass(frozen=True, kw_only=True)
class JourneySpec:
    """How many patients' journeys to generate, over which window, with which mix."""

    patients: int = 50
    months: int = 12
    records: int | None = None  # generate patients until this many records (overrides patients)
    persona_mix: Mapping[str, float] | None = None
    group_patients: int = DEFAULT_GROUP_PATIENTS
    first_ids: Mapping[str, int] = field(default_factory=dict)

    def validate(self) -> JourneySpec:
        """Raise ConfigurationError / UnknownNameError naming the bad value; else self."""
        if self.records is not None and (
            isinstance(self.records, bool) or not isinstance(self.records, int) or self.records < 1
        ):
            raise ConfigurationError(f"records must be a whole number >= 1, got {self.records!r}")
        for name in ("patients", "months", "group_patients"):
            value = getattr(self, name)
            low = 0 if name == "patients" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigurationError(f"{name} must be a whole number >= {low}, got {value!r}")
        for name, weight in (self.persona_mix or {}).items():
            if name not in PERSONAS:
                raise UnknownNameError("persona", name, PERSONAS.names())
            if not weight >= 0:
                raise ConfigurationError(f"persona_mix weight of {name!r} must be >= 0, got {weight!r}")
        if self.persona_mix is not None and not sum(self.persona_mix.values()) > 0:
            raise ConfigurationError("persona_mix weights sum to 0; give at least one positive weight")
        for table, first in self.first_ids.items():
            if table not in JOURNEY_TABLES:
                raise UnknownNameError("table", table, JOURNEY_TABLES)
            if isinstance(first, bool) or not isinstance(first, int) or first < 1:
                raise ConfigurationError(f"first_ids[{table!r}] must be a whole number >= 1, got {first!r}")
        return self


def allocate(records: int = DEFAULT_RECORDS, definitions: Definitions | None = None) -> dict[str, int]:
    """Counts per entity for about ``records`` rows in all, from the cardinalities.

    Patients are the base entity: ``records / sum(rows per patient)``; every other entity
    follows from its cardinality (its expected rows per patient with these journeys).
    """
    if isinstance(records, bool) or not isinstance(records, int) or records < 1:
        raise ConfigurationError(f"records must be a whole number >= 1, got {records!r}")
    cardinality = (definitions or default_definitions()).cardinality
    per_patient = sum(cardinality.values()) or 1.0
    patients = max(1, round(records / per_patient * cardinality.get("patients", 1.0)))
    return {table: round(patients * ratio) for table, ratio in cardinality.items()} | {"patients": patients}


# --- one care group -----------------------------------------------------------------------


def _provider(rng: Randomness, ids: Ids, rows: Rows, specialty: str) -> dict[str, Any]:
    row = draft_provider(rng, ids.take("providers"), specialty)
    rows.setdefault("providers", []).append(row)
    return row


def build_clinic(rng: Randomness, ids: Ids, rows: Rows, definitions: Definitions, patients: int) -> Clinic:
    """A care group's providers: enough primary care for ``patients``, one specialist per
    referral specialty of the journeys file."""
    family = [
        _provider(rng, ids, rows, "Family Medicine")
        for _ in range(max(1, math.ceil(patients / PRIMARY_PER_PATIENTS)))
    ]
    internal = _provider(rng, ids, rows, "Internal Medicine")
    pediatrics = _provider(rng, ids, rows, "Pediatrics")
    specialists = {
        specialty: _provider(rng, ids, rows, specialty)
        for specialty in dict.fromkeys(definitions.referral_specialties.values())
    }
    return Clinic([*family, internal], [*family, pediatrics], specialists)


def draft_person(
    rng: Randomness,
    ids: Ids,
    rows: Rows,
    clinic: Clinic,
    definitions: Definitions,
    now: datetime,
    *,
    persona: str | None = None,
    segment: str | None = None,
    **patient_options: Any,
) -> PatientContext:
    """A patient (with conditions and profile) registered before their first journey."""
    serial = ids.take("patients")
    draft = draft_patient(rng, serial, persona, **patient_options)
    while draft.patient["date_of_birth"] >= now.date() and "date_of_birth" not in patient_options:
        # a newborn born today cannot have registered before today: draw the patient again
        draft = draft_patient(rng, serial, persona, **patient_options)
    patient = draft.patient
    segments = definitions.segments
    if segment is None:
        segment = rng.weighted(Weighted({name: s.share for name, s in segments.items()}))
    elif segment not in segments:
        raise UnknownNameError("activity segment", segment, list(segments))
    low, high = segments[segment].registered_days_ago
    registered = now - timedelta(days=rng.randint(low, high), minutes=rng.randint(8 * 60, 18 * 60))
    born = datetime.combine(patient["date_of_birth"], time()) + timedelta(hours=12)
    patient["created_at"] = patient["updated_at"] = max(registered, born)
    for row in draft.conditions:
        row["id"] = ids.take("patient_conditions")
    rows.setdefault("patients", []).append(patient)
    rows.setdefault("patient_conditions", []).extend(draft.conditions)
    rows.setdefault("patient_profiles", []).append(draft.profile)
    conditions = [CONDITIONS.get(c["condition"]) for c in draft.conditions]
    child = (now.date() - patient["date_of_birth"]).days < 18 * 365.25
    pool = clinic.primary_child if child else clinic.primary_adult
    primary = pool[int(rng.random.random() * len(pool))]
    return PatientContext(patient, conditions, segment, primary, draft.profile["persona"])


def choose_journey(rng: Randomness, definitions: Definitions, who: PatientContext) -> Journey | None:
    """A journey drawn by weight; ``requires = "chronic"`` ones only for chronic patients,
    the chronic modifiers multiplying a journey's weight by name."""
    chronic = definitions.modifiers.get("chronic", {}) if who.chronic else {}
    options = [
        j for j in definitions.journeys.values() if j.weight > 0 and (j.requires is None or who.chronic)
    ]
    weights = {j.name: j.weight * chronic.get(j.name, 1.0) for j in options}
    if not sum(weights.values()) > 0:
        return None
    return definitions.journeys[rng.weighted(Weighted(weights))]


def patient_journeys(
    rng: Randomness,
    ids: Ids,
    rows: Rows,
    clinic: Clinic,
    definitions: Definitions,
    who: PatientContext,
    now: datetime,
    months: int,
) -> None:
    """The registration journey, then the patient's care episodes (as many as the
    segment draws), each one journey."""
    registration = definitions.journeys.get(REGISTRATION)
    if registration is not None:
        run = Run(rng, ids, rows, clinic, who, definitions, now)
        rows.setdefault("care_journeys", []).append(
            walk(run, registration, who.patient["created_at"], random_chooser(rng))
        )
    low, high = definitions.segments[who.segment].episodes
    episodes = rng.randint(low, high) if high else 0
    first = max(now - timedelta(days=round(months * 30.44)), who.patient["created_at"] + timedelta(hours=1))
    span = (now - first).total_seconds()
    if episodes <= 0 or span <= 3600:
        return
    starts = sorted(
        first + timedelta(minutes=int(rng.random.random() * (span - 3600) / 60)) for _ in range(episodes)
    )
    chooser = random_chooser(rng)
    for start in starts:
        journey = choose_journey(rng, definitions, who)
        if journey is None:
            return
        run = Run(rng, ids, rows, clinic, who, definitions, now)
        rows.setdefault("care_journeys", []).append(walk(run, journey, start, chooser))


# --- the stream ----------------------------------------------------------------------------


def _flush(rows: Rows, size: int) -> Iterator[Batch]:
    for table in JOURNEY_TABLES:
        pending = rows.pop(table, None)
        for k in range(0, len(pending or ()), size):
            yield Batch(table, pending[k : k + size])  # type: ignore[index]


def generate_journeys(
    spec: JourneySpec,
    rng: Randomness,
    batch_size: int = 5000,
    definitions: Definitions | None = None,
) -> Iterator[Batch]:
    """The journeys ``spec`` asks for as batches of at most ``batch_size`` rows.

    Validated now (not on the first ``next()``). The same spec and seed give the same
    rows for every ``batch_size``.
    """
    spec.validate()
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigurationError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    return _stream(spec, rng, batch_size, definitions or default_definitions())


def _stream(spec: JourneySpec, rng: Randomness, size: int, definitions: Definitions) -> Iterator[Batch]:
    ids = Ids({t: int(spec.first_ids.get(t, 1)) for t in JOURNEY_TABLES})
    now = datetime.combine(rng.today, time())
    mix = Weighted(dict(spec.persona_mix)) if spec.persona_mix else None
    rows: Rows = {}
    if spec.records is not None:  # groups of group_patients until the records are reached
        sizes: Iterator[int] = iter(lambda: spec.group_patients, None)
    else:
        groups = max(1, math.ceil(spec.patients / spec.group_patients)) if spec.patients else 0
        sizes = iter(
            [spec.patients // groups + (1 if g < spec.patients % groups else 0) for g in range(groups)]
        )
    written = 0
    for g, count in enumerate(sizes):
        group_rng = rng.child(f"journeys/{g}")
        clinic = build_clinic(group_rng, ids, rows, definitions, count)
        for _ in range(count):
            if spec.records is not None and written + _records(rows) >= spec.records:
                break
            persona = group_rng.weighted(mix) if mix is not None else None
            who = draft_person(group_rng, ids, rows, clinic, definitions, now, persona=persona)
            patient_journeys(group_rng, ids, rows, clinic, definitions, who, now, spec.months)
        done = spec.records is not None and written + _records(rows) >= spec.records
        if done or any(len(v) >= size for v in rows.values()):
            written += _records(rows)
            yield from _flush(rows, size)
        if done:
            break
    yield from _flush(rows, size)


def _records(rows: Rows) -> int:
    return sum(len(rows.get(t, ())) for t in RECORD_TABLES)


def journey_tables(
    spec: JourneySpec, rng: Randomness, definitions: Definitions | None = None
) -> dict[str, list[dict[str, Any]]]:
    """:func:`generate_journeys` collected into table name -> rows (workflow files, tests)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for batch in generate_journeys(spec, rng, definitions=definitions):
        tables.setdefault(batch.table, []).extend(batch.rows)
    return tables


def seed_journeys(
    db: Any,
    spec: JourneySpec,
    rng: Randomness,
    *,
    batch_size: int = 5000,
    definitions: Definitions | None = None,
    method: str = "auto",
) -> Any:
    """Write the journeys to ``db`` with the bulk writers (COPY / SQLite driver), in one
    transaction holding the run lock (as ``seed``: another run waits, or after
    ``QA_LOCK_TIMEOUT`` stops with DatabaseBusyError); ids continue after the rows already
    there, counted under the lock. Returns the WriteResult."""
    with db.write_transaction(settings.qa_settings().lock_timeout) as conn:
        if sum(db.counts(conn).values()):
            first = db.next_ids(conn, [t for t in JOURNEY_TABLES if t in ID_KEYED])
            spec = replace(spec, first_ids=first)
            rng = rng.child("append:" + ",".join(f"{t}={n}" for t, n in sorted(first.items())))
        result = write_dataset(
            db, generate_journeys(spec, rng, batch_size, definitions), method=method, connection=conn
        )
        db.sync_sequences(conn)
    return result


#: Tables whose primary key is one ``id`` column (the ones an append continues).
ID_KEYED = frozenset(
    t.name for t in Base.metadata.sorted_tables if "id" in t.columns and t.columns["id"].primary_key
)


__all__ = [
    "DEFAULT_RECORDS",
    "JourneySpec",
    "allocate",
    "build_clinic",
    "draft_person",
    "generate_journeys",
    "journey_tables",
    "seed_journeys",
]
