"""Whole-dataset shape checks: does a generated dataset cover what a bulk run promised?

Row validators judge one record; these judge the dataset as a whole: every persona has
patients, every specialty has providers, practice states follow the US population, and
appointments sit inside the generation window. Each check is one set-based query
(``GROUP BY`` / ``MIN``/``MAX``), so it stays cheap on a million rows, and returns
:class:`Violation` rows (category ``statistics``) instead of raising.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy import Connection, func, select

from healthcare_data.personas import PERSONAS
from healthcare_data.reference import STATE_WEIGHTS
from healthcare_data.rows.providers import specialties_for
from healthcare_data.rules import declared
from healthcare_data.schema import Appointment, PatientProfile, Provider
from healthcare_data.validation.statistics import state_distribution_test
from healthcare_data.violations import STATISTICS, Violation

UNKNOWN_STATE = "unknown"

# The last characters of a practice address hold its state: ", ST 12345" for a street
# address, "(licensed in ST)" for virtual care (see rows.providers).
_ADDRESS_TAIL_CHARS = 10
_STATE_IN_TAIL = re.compile(r"(?:,\s*([A-Z]{2})\s+\d{5}| in ([A-Z]{2})\))$")


def find_missing_personas(conn: Connection, personas: Iterable[str] | None = None) -> list[Violation]:
    """A violation per persona (default: every registered one) without any patient profile.

    A "diverse" dataset that silently lacks a persona would leave its tests without data.
    """
    names = list(PERSONAS.names() if personas is None else personas)
    for name in names:
        PERSONAS.get(name)  # UnknownNameError naming the valid personas
    profiles = PatientProfile.__table__
    counts = select(profiles.c.persona, func.count()).group_by(profiles.c.persona)
    seen: dict[str, int] = {persona: n for persona, n in conn.execute(counts).all()}
    return [
        Violation(
            "patient_profiles",
            f"persona:{name}",
            "persona",
            declared.PERSONA_PRESENT.name,
            f"no patient of persona {name!r} in the dataset",
            "generate with an even persona mix",
            STATISTICS,
        )
        for name in names
        if not seen.get(name)
    ]


def find_missing_specialties(conn: Connection, specialties: Iterable[str] | None = None) -> list[Violation]:
    """A violation per specialty without a provider.

    The default set is every specialty a provider can be drawn with when no trait asks
    for one (``rows.providers.specialties_for(())``): the ones a dataset can promise.
    """
    names = list(specialties_for(()) if specialties is None else specialties)
    providers = Provider.__table__
    seen = set(conn.execute(select(providers.c.specialty).distinct()).scalars())
    return [
        Violation(
            "providers",
            f"specialty:{name}",
            "specialty",
            declared.SPECIALTY_PRESENT.name,
            f"no provider of specialty {name!r} in the dataset",
            "generate more providers",
            STATISTICS,
        )
        for name in names
        if name not in seen
    ]


def practice_state_counts(conn: Connection) -> Counter[str]:
    """Providers per practice state, read from the address tail; unparsable ones as ``"unknown"``.

    The database groups by the address tail (at most one group per ZIP), so Python only
    parses a few thousand short strings however many providers there are.
    """
    address = Provider.__table__.c.practice_address
    tail = func.substr(address, func.length(address) - (_ADDRESS_TAIL_CHARS - 1))
    counts: Counter[str] = Counter()
    for text, count in conn.execute(select(tail, func.count()).group_by(tail)):
        match = _STATE_IN_TAIL.search(text or "")
        state = (match.group(1) or match.group(2)) if match else UNKNOWN_STATE
        counts[state] += count
    return counts


def find_practice_state_skew(
    conn: Connection,
    weights: Mapping[str, float] = STATE_WEIGHTS,
    alpha: float = 0.01,
    tolerance: float = 0.05,
) -> list[Violation]:
    """One violation when providers' practice states do not follow ``weights`` (chi-square).

    ``alpha`` and ``tolerance`` as in :mod:`healthcare_data.validation.statistics`: a
    failure needs significance *and* a share gap above ``tolerance``.
    """
    result = state_distribution_test(practice_state_counts(conn), weights, alpha, tolerance)
    if result.ok:
        return []
    return [
        Violation(
            "providers",
            "all",
            "practice_address",
            declared.PROVIDER_STATE_DISTRIBUTION.name,
            result.detail,
            "draw practice states from the state weights",
            STATISTICS,
        )
    ]


def _as_day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def find_appointments_outside_window(conn: Connection, first: date, last: date) -> list[Violation]:
    """Violations for the earliest/latest appointment day when it falls outside ``first..last``.

    Checking MIN and MAX is enough: if both lie inside the window, every appointment does.
    """
    if first > last:
        raise ValueError(f"window start {first} is after its end {last}")
    t = Appointment.__table__
    low, high = conn.execute(select(func.min(t.c.appointment_date), func.max(t.c.appointment_date))).one()
    out = []
    for label, value in (("earliest", low), ("latest", high)):
        if value is None:
            continue
        day = _as_day(value)
        if not first <= day <= last:
            out.append(
                Violation(
                    "appointments",
                    label,
                    "appointment_date",
                    declared.APPOINTMENT_WINDOW.name,
                    f"{label} appointment {day} is outside {first}..{last}",
                    "generate appointments inside the window",
                    STATISTICS,
                )
            )
    return out
