"""What the data-quality report shows, read from a database (no plotting here).

Every figure of the report is a pair *observed vs expected*. The expected side comes
from the same declarations the generator reads (personas, profile mix, specialties),
so a gap in a picture is a gap between the data and its definition.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, func, select

from healthcare_data.personas import PERSONAS
from healthcare_data.rows.providers import specialties_for
from healthcare_data.scheduling import us_federal_holiday
from healthcare_data.schema import Base

log = logging.getLogger(__name__)

AGE_BAND = 5  # years per bar of the age pyramid
MAX_AGE = 100  # the last band is "100+"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOLIDAY_ROW = "US holiday"
HOURS = tuple(range(6, 21))  # rows of the heatmap; visits outside count in "other"


@dataclass
class ReportData:
    """Everything the page shows: counts by category, observed vs expected."""

    meta: dict[str, Any]
    counts: dict[str, int]
    age_observed: dict[str, Counter[str]]  # sex -> age band -> patients
    age_expected: dict[str, dict[str, float]]  # sex -> age band -> expected patients
    persona_observed: Counter[str]
    persona_expected: dict[str, float]  # expected patients per persona
    specialty_observed: Counter[str]
    specialty_expected: dict[str, float]
    heatmap: dict[str, Counter[int]]  # weekday (or HOLIDAY_ROW) -> start hour -> appointments
    holiday_visits: dict[str, int]  # "2026-11-26 Thanksgiving Day" -> appointments
    status_by_persona: dict[str, Counter[str]]
    past_status_by_persona: dict[str, Counter[str]]  # visits before today only
    outcome_expected: dict[str, dict[str, float]]  # persona -> cancelled/no_show share of past visits
    mode_by_persona: dict[str, Counter[str]]
    claims_by_type: dict[str, list[float]]
    claims_by_status: dict[str, list[float]]
    icd10_chapters: Counter[str]
    validation: list[dict[str, Any]] = field(default_factory=list)
    statistics: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def age_band(age: int) -> str:
    """The pyramid bar an age falls in ("0-4", ..., "95-99", "100+")."""
    if age >= MAX_AGE:
        return f"{MAX_AGE}+"
    low = max(age, 0) // AGE_BAND * AGE_BAND
    return f"{low}-{low + AGE_BAND - 1}"


AGE_BANDS: tuple[str, ...] = tuple(age_band(a) for a in range(0, MAX_AGE + 1, AGE_BAND))


def expected_age_sex(persona_counts: Mapping[str, int]) -> dict[str, dict[str, float]]:
    """Expected patients per sex and age band, given how many patients each persona has.

    A persona's ages are uniform over its whole-year range and its sexes follow its
    gender weights: what the generator draws from.
    """
    expected: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(AGE_BANDS, 0.0))
    for name, n in persona_counts.items():
        if name not in PERSONAS:
            continue
        persona = PERSONAS.get(name)
        low, high = persona.age_range
        weights = persona.demographics.gender_weights
        total = sum(weights.values()) or 1.0
        per_age = n / (high - low + 1)
        for sex, weight in weights.items():
            row = expected[_sex(sex)]
            for age in range(low, high + 1):
                row[age_band(age)] += per_age * weight / total
    return dict(expected)


#: The pyramid's sides are male and female; every other gender (and none) is counted here.
OTHER_SEX = "other/unknown"


def _sex(gender: str | None) -> str:
    return gender if gender in ("male", "female") else OTHER_SEX


def expected_personas(n: int, persona_mix: Mapping[str, float] | None) -> dict[str, float]:
    """Expected patients per persona: the profile's mix, else even over every persona."""
    mix = dict(persona_mix) if persona_mix else {name: 1.0 for name in PERSONAS.names()}
    total = sum(mix.values()) or 1.0
    return {name: n * w / total for name, w in mix.items()}


def expected_specialties(n: int, specialty_mix: Mapping[str, float] | None) -> dict[str, float]:
    """Expected providers per specialty: the mix, else the provider draft's even default pool."""
    mix = dict(specialty_mix) if specialty_mix else dict.fromkeys(specialties_for(()), 1.0)
    total = sum(mix.values()) or 1.0
    return {name: n * w / total for name, w in mix.items()}


def expected_outcomes(personas: Iterable[str]) -> dict[str, dict[str, float]]:
    """Expected share of each persona's past visits cancelled and missed (no-show): the
    reference shares (reference/visit_outcomes.toml) the generator draws from."""
    from healthcare_data.personas import PERSONAS
    from healthcare_data.rows.appointments import outcome_shares

    expected = {}
    for name in personas:
        if name in PERSONAS:
            shares = outcome_shares(PERSONAS.get(name))
            expected[name] = {"cancelled": shares.cancelled, "no_show": shares.no_show}
    return expected


def us_holiday(day: date) -> str | None:
    """The US federal holiday on ``day``: the scheduling rule's own calendar."""
    return us_federal_holiday(day)


@cache
def icd10_chapter(code: str) -> str:
    """The ICD-10-CM chapter title of ``code`` (simple-icd-10-cm), or "unknown code"."""
    import simple_icd_10_cm as icd

    try:
        ancestors = icd.get_ancestors(code)
        chapter = ancestors[-1] if ancestors else code
        return str(icd.get_description(chapter))
    except ValueError:
        return "unknown code"


def _table(name: str) -> Any:
    return Base.metadata.tables[name]


def _completed_years(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def gather(
    conn: Connection,
    today: date,
    *,
    persona_mix: Mapping[str, float] | None = None,
    specialty_mix: Mapping[str, float] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> ReportData:
    """Read the counts behind every figure from an open connection."""
    patients, profiles = _table("patients"), _table("patient_profiles")
    appointments, claims = _table("appointments"), _table("insurance_claims")
    counts = {
        name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
        for name, table in Base.metadata.tables.items()
    }
    ages: dict[str, Counter[str]] = defaultdict(Counter)
    personas: Counter[str] = Counter()
    persona_of_patient: dict[int, str] = {}
    rows = conn.execute(
        select(patients.c.id, patients.c.gender, patients.c.date_of_birth, profiles.c.persona).select_from(
            patients.outerjoin(profiles, profiles.c.patient_id == patients.c.id)
        )
    )
    for pid, gender, born, persona in rows:
        label = persona or "(none)"
        personas[label] += 1
        persona_of_patient[pid] = label
        if born is not None:
            born = born if isinstance(born, date) else date.fromisoformat(str(born))
            ages[_sex(gender)][age_band(_completed_years(born, today))] += 1
    specialties: Counter[str] = Counter(
        dict(conn.execute(select(_table("providers").c.specialty, func.count()).group_by("specialty")).all())
    )
    heatmap: dict[str, Counter[int]] = {day: Counter() for day in (*WEEKDAYS, HOLIDAY_ROW)}
    holiday_visits: Counter[str] = Counter()
    status_by_persona: dict[str, Counter[str]] = defaultdict(Counter)
    past_status_by_persona: dict[str, Counter[str]] = defaultdict(Counter)
    mode_by_persona: dict[str, Counter[str]] = defaultdict(Counter)
    visit_rows = conn.execute(
        select(
            appointments.c.patient_id,
            appointments.c.appointment_date,
            appointments.c.status,
            appointments.c.visit_mode,
        )
    )
    for pid, start, status, mode in visit_rows:
        start = _as_datetime(start)
        holiday = us_holiday(start.date())
        if holiday:
            holiday_visits[f"{start.date()} {holiday}"] += 1
        heatmap[HOLIDAY_ROW if holiday else WEEKDAYS[start.weekday()]][start.hour] += 1
        persona = persona_of_patient.get(pid, "(none)")
        status_by_persona[persona][status or "(none)"] += 1
        if start.date() < today:
            past_status_by_persona[persona][status or "(none)"] += 1
        mode_by_persona[persona][mode or "(none)"] += 1
    by_type: dict[str, list[float]] = defaultdict(list)
    by_status: dict[str, list[float]] = defaultdict(list)
    claim_rows = conn.execute(
        select(claims.c.claim_amount, claims.c.status, appointments.c.appointment_type).select_from(
            claims.outerjoin(appointments, appointments.c.id == claims.c.appointment_id)
        )
    )
    for amount, status, kind in claim_rows:
        if amount is None:
            continue
        by_type[kind or "(no visit)"].append(float(amount))
        by_status[status or "(none)"].append(float(amount))
    chapters: Counter[str] = Counter()
    records, conditions = _table("medical_records"), _table("patient_conditions")
    for column in (records.c.diagnosis_code, conditions.c.icd10_code):
        for code, n in conn.execute(select(column, func.count()).where(column.isnot(None)).group_by(column)):
            chapters[icd10_chapter(str(code))] += n
    return ReportData(
        meta={"today": today.isoformat(), **(meta or {})},
        counts=counts,
        age_observed=dict(ages),
        age_expected=expected_age_sex(personas),
        persona_observed=personas,
        persona_expected=expected_personas(sum(personas.values()), persona_mix),
        specialty_observed=specialties,
        specialty_expected=expected_specialties(sum(specialties.values()), specialty_mix),
        heatmap=heatmap,
        holiday_visits=dict(sorted(holiday_visits.items())),
        status_by_persona=dict(status_by_persona),
        past_status_by_persona=dict(past_status_by_persona),
        outcome_expected=expected_outcomes(status_by_persona),
        mode_by_persona=dict(mode_by_persona),
        claims_by_type=dict(by_type),
        claims_by_status=dict(by_status),
        icd10_chapters=chapters,
    )
