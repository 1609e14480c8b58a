"""Row validator for patients, their medical history and their profile.

``check_patient`` returns violations, it never raises: the validation runner counts
them over a whole database, the ``PatientBuilder`` raises a typed error carrying them.
It reads plain mappings (a draft, or rows read back from the database) and is cheap
enough to run on every row of a bulk dataset: patterns are compiled once and the slow
look-ups (ICD-10-CM validity, ZIP/city/state consistency) are cached.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from healthcare_data import fakes
from healthcare_data.identifiers import PATIENT_ID_PATTERN, is_valid_ssn
from healthcare_data.personas import GENDERS, PERSONAS, PatientPersona, get_persona
from healthcare_data.reference import CONDITIONS, PAYERS, STATE_WEIGHTS, is_valid_icd10
from healthcare_data.rows.patients import PATIENT_STATUSES, age_on, place_for_zip
from healthcare_data.validation.report import BUSINESS, FORMAT, HIPAA, Violation

UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Any North American number as the library writes it: "(AAA) NXX-XXXX" or "NXX-XXXX".
PHONE_FORMAT = re.compile(r"^(?:\(\d{3}\) )?\d{3}-\d{4}$")
# The 50 states and DC (the states the generator draws from).
US_STATES = frozenset(STATE_WEIGHTS)
POLICY_PATTERNS: dict[str, re.Pattern[str]] = {name: payer.policy_pattern for name, payer in PAYERS.items()}

_STATUSES = frozenset(PATIENT_STATUSES)
_GENDERS = frozenset(GENDERS)


@lru_cache(maxsize=4096)
def icd10_is_valid(code: str) -> bool:
    """Cached ``reference.is_valid_icd10`` (the underlying lookup costs about a millisecond)."""
    return is_valid_icd10(code)


@lru_cache(maxsize=65536)
def address_consistent(city: str, state: str, zip_code: str) -> bool:
    """Cached city/state/ZIP agreement: the generator's own places first, then ``fakes``."""
    place = place_for_zip(zip_code)
    if place is not None and place.state == state and place.city.lower() == city.lower():
        return True
    return fakes.address_is_consistent(city, state, zip_code)


def personas_for_age(age: int) -> list[str]:
    """Names of the personas whose age range contains ``age`` (for recovery hints)."""
    return [name for name, persona in PERSONAS.items() if persona.accepts_age(age)]


def age_recovery(persona: PatientPersona, age: int) -> str:
    """'adjust age to 65-95 or choose persona young_professional/...' for an out-of-range age."""
    low, high = persona.age_range
    others = personas_for_age(age)
    choose = f" or choose persona {'/'.join(others)}" if others else ""
    return f"adjust age to {low}-{high}{choose}"


def as_date(value: object) -> date | None:
    """A date from a date, a datetime or an ISO 'YYYY-MM-DD' string; None if it is none of those."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def check_patient(
    patient: Mapping[str, Any],
    conditions: Sequence[Mapping[str, Any]] = (),
    profile: Mapping[str, Any] | None = None,
    *,
    today: date,
    persona: PatientPersona | None = None,
) -> list[Violation]:
    """Every format, business and HIPAA rule a patient row (with history and profile) must meet.

    Persona rules use ``persona`` when given (e.g. a custom persona not in the registry),
    else the registered persona named in ``profile['persona']``.
    """
    key = patient.get("patient_id") or patient.get("id")
    out: list[Violation] = []

    def add(
        field: str, rule: str, message: str, recovery: str, category: str, entity: str = "patients"
    ) -> None:
        out.append(Violation(entity, key, field, rule, message, recovery, category))

    # --- format ---------------------------------------------------------------------
    pid = patient.get("patient_id")
    if not isinstance(pid, str) or not PATIENT_ID_PATTERN.match(pid):
        add(
            "patient_id",
            "patient_id_format",
            f"patient_id {pid!r} is not PAT- + 8 digits",
            "regenerate the patient_id from the row's serial (identifiers.patient_id)",
            FORMAT,
        )
    uid = patient.get("uuid")
    if not isinstance(uid, str) or not UUID_PATTERN.match(uid):
        add(
            "uuid",
            "uuid_format",
            f"uuid {uid!r} is not a lower-case RFC 4122 UUID",
            "draw a new uuid with rng.uuid4()",
            FORMAT,
        )
    for name_field in ("first_name", "last_name"):
        value = patient.get(name_field)
        if not isinstance(value, str) or not value.strip():
            add(
                name_field,
                "required",
                f"{name_field} {value!r} must be a non-empty name",
                f"give a {name_field} or let the persona draw one",
                FORMAT,
            )
    gender = patient.get("gender")
    if gender not in _GENDERS:
        add(
            "gender",
            "gender_enum",
            f"gender {gender!r} is not one of {', '.join(GENDERS)}",
            f"use one of {', '.join(GENDERS)}",
            FORMAT,
        )
    ssn = patient.get("ssn")
    if ssn is not None and not is_valid_ssn(ssn):
        add(
            "ssn",
            "ssn_format",
            f"ssn {ssn!r} is not AAA-GG-SSSS outside the forbidden ranges",
            "regenerate the ssn from the row's serial (identifiers.ssn)",
            FORMAT,
        )
    for phone_field in ("phone", "emergency_contact_phone"):
        value = patient.get(phone_field)
        if value is None:
            continue
        if not isinstance(value, str) or not PHONE_FORMAT.match(value):
            add(
                phone_field,
                "phone_format",
                f"{phone_field} {value!r} is not '(AAA) 555-01NN'",
                "write it as '(AAA) 555-01NN' or let the generator draw one",
                FORMAT,
            )
        if not fakes.is_safe_phone(value):
            add(
                phone_field,
                "phone_safe_range",
                f"{phone_field} {value!r} is outside the fictional 555-0100..0199 range "
                "and could reach a real person",
                "use a 555-01NN number (fakes.phone)",
                HIPAA,
            )
    email = patient.get("email")
    if email is not None:
        if not isinstance(email, str) or not fakes.EMAIL_PATTERN.match(email):
            add(
                "email",
                "email_format",
                f"email {email!r} is not a well-formed address",
                "use local@domain in lower case",
                FORMAT,
            )
        elif not fakes.is_safe_email(email):
            add(
                "email",
                "email_safe_domain",
                f"email {email!r} is not on a reserved domain and could reach a real person",
                f"use one of {', '.join(fakes.SAFE_EMAIL_DOMAINS)} or a .test/.invalid domain",
                HIPAA,
            )
    zip_code = patient.get("address_zip")
    if zip_code is not None and (not isinstance(zip_code, str) or not fakes.ZIP_PATTERN.match(zip_code)):
        add(
            "address_zip",
            "zip_format",
            f"address_zip {zip_code!r} is not 5 digits",
            "use a 5-digit ZIP code",
            FORMAT,
        )
    state = patient.get("address_state")
    if state is not None and (not isinstance(state, str) or state not in US_STATES):
        add(
            "address_state",
            "state_format",
            f"address_state {state!r} is not a USPS code of a US state or DC",
            "use the 2-letter USPS state code, e.g. 'IL'",
            FORMAT,
        )

    provider = patient.get("insurance_provider")
    policy = patient.get("insurance_policy_number")
    payer = None
    if provider is not None:
        if provider not in POLICY_PATTERNS:
            add(
                "insurance_provider",
                "insurance_provider_known",
                f"insurance_provider {provider!r} is not a known payer",
                f"use one of {', '.join(PAYERS.names())}",
                FORMAT,
            )
        else:
            payer = PAYERS.get(provider)
            if policy is not None and not (
                isinstance(policy, str) and POLICY_PATTERNS[provider].match(policy)
            ):
                add(
                    "insurance_policy_number",
                    "policy_number_format",
                    f"insurance_policy_number {policy!r} does not match {provider}'s pattern "
                    f"{POLICY_PATTERNS[provider].pattern}",
                    f"regenerate a valid policy number ({payer.policy_prefix}-NNNNNNNNN, "
                    "identifiers.policy_number)",
                    FORMAT,
                )
    if (provider is None) != (policy is None):
        missing = "insurance_policy_number" if policy is None else "insurance_provider"
        add(
            missing,
            "insurance_pair",
            f"{missing} is missing while the other insurance field is set",
            "give both insurance_provider and insurance_policy_number, or neither",
            BUSINESS,
        )

    born = as_date(patient.get("date_of_birth"))
    age: int | None = None
    if born is None:
        add(
            "date_of_birth",
            "date_of_birth_format",
            f"date_of_birth {patient.get('date_of_birth')!r} is not a date",
            "give a date or a 'YYYY-MM-DD' string",
            FORMAT,
        )
    elif born > today:
        add(
            "date_of_birth",
            "date_of_birth_future",
            f"date_of_birth {born} is after today ({today})",
            "use a date of birth on or before today",
            FORMAT,
        )
    else:
        age = age_on(born, today)
    status = patient.get("status")
    if status not in _STATUSES:
        add(
            "status",
            "status_enum",
            f"status {status!r} is not one of {', '.join(PATIENT_STATUSES)}",
            f"use one of {', '.join(PATIENT_STATUSES)}",
            FORMAT,
        )

    # --- business ---------------------------------------------------------------------
    city = patient.get("address_city")
    if (
        city
        and state
        and zip_code
        and isinstance(city, str)
        and isinstance(state, str)
        and isinstance(zip_code, str)
        and not address_consistent(city, state, zip_code)
    ):
        add(
            "address_zip",
            "address_consistent",
            f"address {city!r}, {state!r} {zip_code!r}: the ZIP code does not belong to that city and state",
            "use a real city/state/ZIP combination (fakes.place) or give only the state",
            BUSINESS,
        )

    for row in conditions:
        name = row.get("condition")
        code = row.get("icd10_code")
        reference = CONDITIONS.get(name) if name in CONDITIONS else None
        if reference is None:
            add(
                "condition",
                "condition_known",
                f"condition {name!r} is not in the reference list",
                f"use one of {', '.join(CONDITIONS.names())}",
                BUSINESS,
                "patient_conditions",
            )
        elif code != reference.icd10:
            add(
                "icd10_code",
                "icd10_matches_condition",
                f"icd10_code {code!r} of {name!r} should be {reference.icd10}",
                f"use {reference.icd10} ({reference.description})",
                BUSINESS,
                "patient_conditions",
            )
        elif age is not None and not reference.fits_age(age):
            add(
                "condition",
                "condition_fits_age",
                f"{name!r} is not age-appropriate at {age} "
                f"(plausible {reference.min_age}-{reference.max_age})",
                f"drop {name!r} or use an age in {reference.min_age}-{reference.max_age}",
                BUSINESS,
                "patient_conditions",
            )
        if not isinstance(code, str) or not icd10_is_valid(code):
            add(
                "icd10_code",
                "icd10_valid",
                f"icd10_code {code!r} is not a billable ICD-10-CM code",
                "use the reference code of the condition (reference.CONDITIONS)",
                BUSINESS,
                "patient_conditions",
            )

    persona_name = profile.get("persona") if profile is not None else None
    if persona is not None:
        out.extend(_persona_rules(persona, patient, profile or {}, age, payer, key))
    elif persona_name is not None:
        if persona_name not in PERSONAS:
            add(
                "persona",
                "persona_known",
                f"persona {persona_name!r} is not registered",
                f"use one of {', '.join(PERSONAS.names())}",
                BUSINESS,
                "patient_profiles",
            )
        else:
            out.extend(_persona_rules(PERSONAS.get(persona_name), patient, profile or {}, age, payer, key))
    return out


def _persona_rules(
    persona: PatientPersona,
    patient: Mapping[str, Any],
    profile: Mapping[str, Any],
    age: int | None,
    payer: Any,
    key: object,
) -> list[Violation]:
    """Rules that depend on the persona recorded in the profile (age, insurance, contact)."""
    out: list[Violation] = []
    if age is not None and not persona.accepts_age(age):
        low, high = persona.age_range
        out.append(
            Violation(
                "patients",
                key,
                "age",
                "persona_age_range",
                f"age {age} is outside {persona.name}'s range {low}-{high}",
                age_recovery(persona, age),
                BUSINESS,
            )
        )
    provider = patient.get("insurance_provider")
    if persona.insured:
        if payer is None or payer.plan_type not in persona.insurance.plan_types:
            choices = [p.name for _, p in PAYERS.items() if p.plan_type in persona.insurance.plan_types]
            out.append(
                Violation(
                    "patients",
                    key,
                    "insurance_provider",
                    "persona_insurance",
                    f"insurance_provider {provider!r} is not a {'/'.join(persona.insurance.plan_types)} "
                    f"plan as {persona.name} requires",
                    f"use one of {', '.join(choices)}",
                    BUSINESS,
                )
            )
    elif provider is not None or patient.get("insurance_policy_number") is not None:
        out.append(
            Violation(
                "patients",
                key,
                "insurance_provider",
                "persona_uninsured",
                f"{persona.name} has no insurance but insurance_provider is {provider!r}",
                "drop the insurance or choose an insured persona",
                BUSINESS,
            )
        )
    relationship = profile.get("emergency_contact_relationship")
    allowed = persona.behavioral.emergency_contact_relationships
    if relationship is not None and relationship not in allowed:
        out.append(
            Violation(
                "patient_profiles",
                key,
                "emergency_contact_relationship",
                "persona_emergency_contact",
                f"emergency contact relationship {relationship!r} is not one of {persona.name}'s "
                f"({', '.join(allowed)})",
                f"use one of {', '.join(allowed)}",
                BUSINESS,
            )
        )
    return out


# --- persona defaults of a stored patient ------------------------------------------------

# Patient columns the builder always draws when they are not given (never left empty).
DRAWN_PATIENT_COLUMNS: tuple[str, ...] = ("uuid", "patient_id", "ssn", "phone", "gender", "date_of_birth")


def persona_profile_defaults(persona: PatientPersona | str) -> dict[str, Any]:
    """The ``patient_profiles`` values a persona fixes for every patient (no randomness involved)."""
    chosen = get_persona(persona)
    return {
        "medication_compliance": chosen.medical.medication_compliance,
        "appointment_compliance": chosen.behavioral.appointment_compliance,
        "communication_style": chosen.behavioral.communication_style,
        "tech_savviness": chosen.behavioral.tech_savviness,
        "coverage_level": chosen.insurance.coverage_level,
        "preferred_language": chosen.demographics.preferred_language,
    }


def check_persona_defaults(
    patient: Mapping[str, Any],
    profile: Mapping[str, Any] | None,
    persona: PatientPersona | str | None = None,
    explicit: Collection[tuple[str, str]] = (),
) -> list[Violation]:
    """Violations where a stored patient's unspecified fields do not follow its persona.

    ``persona`` defaults to the one recorded in ``profile``. ``explicit`` holds the
    ``(table, column)`` pairs the caller set on purpose (e.g. ``("patients", "email")``);
    those are not expected to carry the persona's default. Checked: the profile values
    the persona fixes (:func:`persona_profile_defaults`), the drawn columns
    (:data:`DRAWN_PATIENT_COLUMNS`) being filled, and the e-mail on the persona's domain
    (none for a persona without one).
    """
    profile = profile or {}
    if persona is None:
        persona = profile.get("persona")
        if persona is None:
            raise ValueError("no persona given and the profile records none; pass persona=")
    chosen = get_persona(persona)
    key = patient.get("patient_id")
    given = set(explicit)
    out: list[Violation] = []
    for column, wanted in persona_profile_defaults(chosen).items():
        if ("patient_profiles", column) in given:
            continue
        if profile.get(column) != wanted:
            out.append(
                Violation(
                    "patient_profiles",
                    key,
                    column,
                    "persona_default",
                    f"{column} {profile.get(column)!r} is not {chosen.name}'s {wanted!r}",
                    f"leave {column} to the persona or choose another persona",
                    BUSINESS,
                )
            )
    for column in DRAWN_PATIENT_COLUMNS:
        if ("patients", column) not in given and not patient.get(column):
            out.append(
                Violation(
                    "patients",
                    key,
                    column,
                    "drawn_default",
                    f"{column} was not given and was left empty",
                    f"draw {column} when it is not specified",
                    FORMAT,
                )
            )
    if ("patients", "email") not in given:
        email, domain = patient.get("email"), chosen.contact.email_domain
        stored_domain = str(email).rpartition("@")[2] if email is not None else None
        if stored_domain != domain:
            expected = f"on {domain!r}" if domain else "none (the persona has no e-mail)"
            out.append(
                Violation(
                    "patients",
                    key,
                    "email",
                    "persona_email_domain",
                    f"email {email!r} is not {chosen.name}'s default: {expected}",
                    f"leave the e-mail to the persona (domain {domain!r})",
                    BUSINESS,
                )
            )
    return out
