"""Patient row drafts: one patient, its medical history and its profile, as plain dicts.

``draft_patient`` is the single source of truth for patient data: the fluent
``PatientBuilder`` and the bulk engine both call it. It is a pure function of
``(rng, serial, persona, explicit values)``: identifiers come from the serial, every
other value from the one seeded ``Randomness``. It does not validate (it runs up to
a million times in bulk); :func:`healthcare_data.validation.patients.check_patient`
does, and the builder calls it.

Speed: no Faker call per row and no database access; persona-dependent tables
(eligible conditions per age, payers per persona, ...) are computed once and cached.
"""

from __future__ import annotations

from bisect import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from healthcare_data import fakes, identifiers
from healthcare_data.columns import PATIENT_STATUSES, place_for_zip, places_named  # noqa: F401 - re-exported
from healthcare_data.dates import age_on
from healthcare_data.personas import PatientPersona, get_persona, random_persona
from healthcare_data.randomness import Randomness, Weighted
from healthcare_data.reference import CONDITIONS, PAYERS, Condition, Payer, payer_for_policy, payers_of_type
from healthcare_data.rows import fast_uuid4

T = TypeVar("T")


# Allergies recorded in a profile, weighted by how often each is reported in US
# outpatient allergy lists (penicillin is by far the most common drug allergy label).
ALLERGIES: Weighted[str] = Weighted(
    {"Penicillin": 10, "Sulfa": 4, "Peanuts": 3, "Shellfish": 2, "Latex": 1, "Codeine": 1}
)

# How an emergency contact is named from its relationship to the patient:
# (gender of the contact or None for any, probability that they share the patient's
# last name). "spouse" takes the gender opposite to the patient's (see _SPOUSE_GENDER).
_RELATIONSHIPS: dict[str, tuple[str | None, float]] = {
    "mother": ("female", 1.0),
    "father": ("male", 1.0),
    "guardian": (None, 0.3),
    "spouse": ("spouse", 0.7),
    "partner": (None, 0.1),
    "daughter": ("female", 0.8),
    "son": ("male", 1.0),
    "parent": ("parent", 1.0),
    "sibling": (None, 0.9),
    "friend": (None, 0.0),
}
_SPOUSE_GENDER = {"female": "male", "male": "female"}
_PARENT_GENDERS = ("female", "male")
_ANY_GENDERS = ("female", "male")


def _weighted(rand: Any, table: Weighted[str]) -> str:
    """Same draw as ``Randomness.weighted`` (random.choices with cum_weights), without its overhead."""
    cumulative = table.cumulative
    return table.options[bisect(cumulative, rand() * cumulative[-1], 0, len(cumulative) - 1)]


def _int(rand: Any, low: int, high: int) -> int:
    """Uniform integer in ``low..high`` from one ``random()`` draw (randint costs 4x more)."""
    return low + int(rand() * (high - low + 1))


def _pick(rand: Any, options: Sequence[T]) -> T:
    """Uniform element of ``options`` from one ``random()`` draw."""
    return options[int(rand() * len(options))]


# The name tables of ``fakes`` (drawn through _weighted, the same draws as fakes.first_name).
_FIRST = fakes.FIRST_NAMES
_FIRST_ANY = fakes.FIRST_NAMES["other"]
_LAST = fakes.LAST_NAMES
_STREET_SUFFIXES = fakes.STREET_SUFFIXES


def _midnight(day: date) -> datetime:
    """Midnight of ``day``, built once per day (every patient of a run shares rng.today)."""
    found = _MIDNIGHTS.get(day)
    if found is None:
        found = _MIDNIGHTS[day] = datetime.combine(day, datetime.min.time())
    return found


_MIDNIGHTS: dict[date, datetime] = {}


@dataclass(slots=True)
class PatientDraft:
    """A patient row, its ``patient_conditions`` rows and its ``patient_profiles`` row."""

    patient: dict[str, Any]
    conditions: list[dict[str, Any]]
    profile: dict[str, Any]
    persona: PatientPersona


def _years_before(day: date, years: int) -> date:
    """``day`` moved back ``years`` years; 29 February becomes 28 February in common years."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


_BIRTH_WINDOWS: dict[tuple[date, int], tuple[int, int]] = {}


def _birth_window(today: date, age: int) -> tuple[int, int]:
    """(first ordinal, number of days) of the birth dates that make someone ``age`` on ``today``."""
    key = (today, age)
    window = _BIRTH_WINDOWS.get(key)
    if window is None:
        latest = _years_before(today, age)
        earliest = _years_before(today, age + 1) + timedelta(days=1)
        window = _BIRTH_WINDOWS[key] = (earliest.toordinal(), (latest - earliest).days + 1)
    return window


def date_of_birth_for_age(rng: Randomness, age: int) -> date:
    """A birth date, uniform over the year, that makes the patient exactly ``age`` on ``rng.today``.

    Covers people whose birthday is still to come this year, so ages are exact rather
    than "year of birth = this year - age".
    """
    first, days = _birth_window(rng.today, age)
    return date.fromordinal(first + int(rng.random.random() * days))


# (conditions plausible at an age, their weights, the same weights with non-chronic zeroed)
_Eligible = tuple[list[Condition], list[float], list[float]]


class _PersonaTables:
    """Per-persona lookups computed once: payers, eligible conditions per age."""

    __slots__ = ("persona", "payers", "relationships", "always", "by_age")

    def __init__(self, persona: PatientPersona) -> None:
        self.persona = persona
        self.payers: tuple[Payer, ...] = tuple(payers_of_type(*persona.insurance.plan_types))
        self.relationships = persona.behavioral.emergency_contact_relationships
        self.always: tuple[Condition, ...] = tuple(CONDITIONS.get(n) for n in persona.medical.always)
        self.by_age: dict[int, _Eligible] = {}

    def eligible(self, age: int) -> _Eligible:
        """Persona conditions plausible at ``age`` and their weights, all and chronic only."""
        found = self.by_age.get(age)
        if found is None:
            chosen = [
                (CONDITIONS.get(name), weight)
                for name, weight in self.persona.medical.common_conditions.items()
                if CONDITIONS.get(name).fits_age(age)
            ]
            found = self.by_age[age] = (
                [c for c, _ in chosen],
                [float(w) for _, w in chosen],
                [float(w) if c.chronic else 0.0 for c, w in chosen],
            )
        return found


_TABLES: dict[int, _PersonaTables] = {}


def _tables(persona: PatientPersona) -> _PersonaTables:
    tables = _TABLES.get(id(persona))
    if tables is None or tables.persona is not persona:
        tables = _TABLES[id(persona)] = _PersonaTables(persona)
    return tables


def _weighted_sample(rand: Any, weights: list[float], count: int) -> list[int]:
    """``count`` distinct indices into ``weights``, drawn by weight (a small list: a plain scan)."""
    picked: list[int] = []
    weights = list(weights)
    total = sum(weights)
    for _ in range(min(count, len(weights))):
        point = rand() * total
        index = -1
        for i, weight in enumerate(weights):
            if weight:
                index = i  # the last positive weight if rounding lets ``point`` run past the end
                point -= weight
                if point < 0:
                    break
        if index < 0:  # every weight used up
            break
        picked.append(index)
        total -= weights[index]
        weights[index] = 0.0
    return picked


def draw_conditions(rng: Randomness, persona: PatientPersona, age: int) -> list[Condition]:
    """Persona conditions for a patient of ``age``: count in ``condition_count``, at least
    ``min_chronic`` chronic ones when the age allows, weighted by the persona's table."""
    options, weights, chronic_weights = _tables(persona).eligible(age)
    low, high = persona.medical.condition_count
    rand = rng.random.random
    count = min(_int(rand, low, high), len(options))
    needed = min(persona.medical.min_chronic, len(options) - chronic_weights.count(0.0))
    if not needed:
        return [options[i] for i in _weighted_sample(rand, weights, count)]
    first = _weighted_sample(rand, chronic_weights, needed)
    rest = list(weights)
    for i in first:
        rest[i] = 0.0
    return [options[i] for i in first + _weighted_sample(rand, rest, count - needed)]


def condition_row(serial: int, condition: Condition) -> dict[str, Any]:
    """The ``patient_conditions`` row of ``condition``, carrying its first-line medication."""
    return {
        "patient_id": serial,
        "condition": condition.name,
        "icd10_code": condition.icd10,
        "chronic": condition.chronic,
        "medication": condition.medications[0] if condition.medications else None,
    }


def _resolve_place(
    rng: Randomness, persona: PatientPersona, city: str | None, state: str | None, zip_code: str | None
) -> tuple[str | None, str | None, str | None, str]:
    """(city, state, zip, area code): explicit parts kept, the rest from a real place."""
    if zip_code is not None:
        known = place_for_zip(zip_code)
        if known is None:
            return city, state, zip_code, "555"
        return city or known.city, state or known.state, zip_code, known.area_code
    if state is not None:
        places = fakes.places_in(state)
        if not places:  # not a state code: keep what was given, validation reports it
            return city, state, None, "555"
        if city is not None:
            wanted = city.lower()
            same_city = [p for p in places if p.city.lower() == wanted]
            places = tuple(same_city) or places
        chosen = _pick(rng.random.random, places)
        return city or chosen.city, state, chosen.zip, chosen.area_code
    rand = rng.random.random
    if city is not None and (named := places_named(city)):
        chosen = _pick(rand, named)
        return city, chosen.state, chosen.zip, chosen.area_code
    chosen = _pick(rand, fakes.places_in(persona.contact.address_region or _weighted(rand, fakes.STATES)))
    return city or chosen.city, chosen.state, chosen.zip, chosen.area_code


def _contact_name(rng: Randomness, relationship: str, gender: str, last: str) -> str:
    rule, same_last = _RELATIONSHIPS.get(relationship, (None, 0.0))
    rand = rng.random.random
    if rule == "spouse":
        contact_gender = _SPOUSE_GENDER.get(gender) or _pick(rand, _ANY_GENDERS)
    elif rule == "parent":
        contact_gender = _pick(rand, _PARENT_GENDERS)
    else:
        contact_gender = rule or _pick(rand, _ANY_GENDERS)
    surname = last if same_last >= 1.0 or rand() < same_last else _weighted(rand, _LAST)
    return f"{_weighted(rand, _FIRST.get(contact_gender, _FIRST_ANY))} {surname}"


def _resolve_insurance(
    rng: Randomness, serial: int, tables: _PersonaTables, provider: str | None, policy: str | None
) -> tuple[str | None, str | None]:
    if provider is None and policy is None:
        if not tables.payers:
            return None, None
        payer = _pick(rng.random.random, tables.payers)
        return payer.name, identifiers.policy_number(serial, payer)
    if provider is None:
        assert policy is not None
        owner = payer_for_policy(policy)
        if owner is not None:
            return owner.name, policy
        return (_pick(rng.random.random, tables.payers).name if tables.payers else None), policy
    if policy is None:
        return provider, identifiers.policy_number(serial, PAYERS.get(provider))
    return provider, policy


def draft_patient(
    rng: Randomness,
    serial: int,
    persona: PatientPersona | str | None = None,
    *,
    age: int | None = None,
    age_range: tuple[int, int] | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    date_of_birth: date | None = None,
    gender: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    street: str | None = None,
    city: str | None = None,
    state: str | None = None,
    zip_code: str | None = None,
    emergency_contact_name: str | None = None,
    emergency_contact_phone: str | None = None,
    insurance_provider: str | None = None,
    policy_number: str | None = None,
    conditions: Sequence[str] | None = None,
    status: str = "active",
    tenant_id: int | None = None,
) -> PatientDraft:
    """Draft the ``serial``-th patient: explicit values win, the persona fills the rest.

    ``persona`` may be a persona, its name, or None (a persona drawn from ``rng``).
    ``conditions`` (names from ``reference.CONDITIONS``) replace the drawn history; the
    persona's ``always`` entries are added either way. Raises ``UnknownNameError`` for
    an unknown persona, condition or insurance provider; nothing else is checked here.
    """
    chosen = random_persona(rng) if persona is None else get_persona(persona)
    tables = _tables(chosen)
    rand = rng.random

    if date_of_birth is None:
        if age is None:
            low, high = age_range if age_range is not None else chosen.demographics.age_range
            age = _int(rand.random, low, high)
        date_of_birth = date_of_birth_for_age(rng, age)
    elif age is None:
        age = age_on(date_of_birth, rng.today)

    if gender is None:
        gender = _weighted(rand.random, chosen.gender_table)
    if first_name is None:
        first_name = _weighted(rand.random, _FIRST.get(gender, _FIRST_ANY))
    if last_name is None:
        last_name = _weighted(rand.random, _LAST)

    city, state, zip_code, area_code = _resolve_place(rng, chosen, city, state, zip_code)
    random = rand.random
    # fakes.street / fakes.phone, inlined with one random() draw per value (same formats).
    if street is None:
        street = f"{_int(random, 10, 9999)} {_weighted(random, _LAST)} {_pick(random, _STREET_SUFFIXES)}"
    if phone is None:
        phone = f"({area_code}) 555-01{_int(random, 0, 99):02d}"
    if email is None and chosen.contact.email_domain is not None:
        email = fakes.email(rng, first_name, last_name, chosen.contact.email_domain)

    relationship = _pick(rand.random, tables.relationships)
    if emergency_contact_name is None:
        emergency_contact_name = _contact_name(rng, relationship, gender, last_name)
    if emergency_contact_phone is None:
        emergency_contact_phone = f"({area_code}) 555-01{_int(random, 0, 99):02d}"

    insurance_provider, policy_number = _resolve_insurance(
        rng, serial, tables, insurance_provider, policy_number
    )

    if conditions is None:
        history = draw_conditions(rng, chosen, age)
    else:
        history = [CONDITIONS.get(name) for name in conditions]
    for extra in tables.always:
        if extra not in history:
            history.append(extra)
    condition_rows = [condition_row(serial, c) for c in history]

    behavioral = chosen.behavioral
    visits = _int(rand.random, *behavioral.visits_per_year)
    chronic_visits = sum(c.visits_per_year for c in history if c.chronic)
    deductible_low, deductible_high = chosen.insurance.deductible_range
    deductible_steps = (deductible_high - deductible_low) // 50
    allergy = _weighted(rand.random, ALLERGIES) if rand.random() < chosen.medical.allergy_likelihood else None
    profile = {
        "patient_id": serial,
        "persona": chosen.name,
        "preferred_language": chosen.demographics.preferred_language,
        "medication_compliance": chosen.medical.medication_compliance,
        "appointment_compliance": behavioral.appointment_compliance,
        "communication_style": behavioral.communication_style,
        "tech_savviness": behavioral.tech_savviness,
        "coverage_level": chosen.insurance.coverage_level,
        "annual_deductible": deductible_low + 50 * _int(rand.random, 0, deductible_steps),
        "payment_arrangement": chosen.insurance.payment_arrangement,
        "visits_per_year": max(visits, chronic_visits),
        "emergency_contact_relationship": relationship,
        "allergies": allergy,
    }

    created = _midnight(rng.today)
    patient = {
        "id": serial,
        "uuid": fast_uuid4(rand),
        "patient_id": identifiers.patient_id(serial),
        "first_name": first_name,
        "last_name": last_name,
        "date_of_birth": date_of_birth,
        "gender": gender,
        "ssn": identifiers.ssn(serial),
        "phone": phone,
        "email": email,
        "address_street": street,
        "address_city": city,
        "address_state": state,
        "address_zip": zip_code,
        "emergency_contact_name": emergency_contact_name,
        "emergency_contact_phone": emergency_contact_phone,
        "insurance_provider": insurance_provider,
        "insurance_policy_number": policy_number,
        "status": status,
        "created_at": created,
        "updated_at": created,
        "tenant_id": tenant_id,
    }
    return PatientDraft(patient, condition_rows, profile, chosen)


def rows_of(patient: Any) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None]:
    """Plain row dicts of a persisted ``schema.Patient`` (with conditions and profile loaded).

    Validators and characteristic checks take mappings, so callers that read patients
    back from the database pass them through here.
    """
    if isinstance(patient, Mapping):
        return dict(patient), [], None
    row = {c.key: getattr(patient, c.key) for c in patient.__table__.columns}
    history = [{c.key: getattr(cond, c.key) for c in cond.__table__.columns} for cond in patient.conditions]
    profile = patient.profile
    profile_row = (
        None if profile is None else {c.key: getattr(profile, c.key) for c in profile.__table__.columns}
    )
    return row, history, profile_row
