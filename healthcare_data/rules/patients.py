"""Patient rules: identifiers, demographics, address, insurance, history and persona.

``validation.patients.check_patient`` runs them over a stored or drafted row; the
``PatientBuilder`` runs the same rules over the values it was given before anything
is drawn (:func:`healthcare_data.rulebook.evaluate_given`). Context a rule reads:
``age`` (from the birth date, or the builder's explicit age), ``age_range``,
``payer`` (the ``reference.Payer`` of the insurance), ``persona``, ``profile``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from healthcare_data import fakes
from healthcare_data.columns import place_for_zip
from healthcare_data.dates import age_on, as_date
from healthcare_data.identifiers import PATIENT_ID_PATTERN, is_valid_ssn
from healthcare_data.personas import GENDERS, PERSONAS, PatientPersona, get_persona
from healthcare_data.reference import CONDITIONS, PAYERS, STATE_WEIGHTS, is_valid_icd10, payer_for_policy
from healthcare_data.rulebook import Finding, Subject, field_rule, rule
from healthcare_data.violations import BUSINESS, FORMAT

MAX_AGE = 120
US_STATES = frozenset(STATE_WEIGHTS)
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


def payer_of(row: Any) -> Any:
    """The payer of a row's insurance: the named provider's, else the policy prefix's; or None."""
    provider = row.get("insurance_provider")
    if provider is not None:
        return PAYERS.get(provider) if provider in PAYERS else None
    policy = row.get("insurance_policy_number")
    return payer_for_policy(policy) if isinstance(policy, str) else None


def patient_context(row: Any, today: Any, persona: PatientPersona | None) -> dict[str, Any]:
    """The context the patient rules read, derived from the row (age, payer) plus the persona."""
    born = as_date(row.get("date_of_birth"))
    age = age_on(born, today) if born is not None and born <= today else None
    return {"age": age, "payer": payer_of(row), "persona": persona}


# --- format --------------------------------------------------------------------------

field_rule(
    "patient_id_format",
    "patients",
    FORMAT,
    ("patient_id",),
    lambda v: isinstance(v, str) and bool(PATIENT_ID_PATTERN.match(v)),
    "patient_id {value!r} is not PAT- + 8 digits",
    "regenerate the patient_id from the row's serial (identifiers.patient_id)",
    "patient_id is PAT- and 8 digits",
    optional=False,
)
field_rule(
    "gender_enum",
    "patients",
    FORMAT,
    ("gender",),
    lambda v: v in _GENDERS,
    "gender {value!r} is not one of " + ", ".join(GENDERS),
    "use one of " + ", ".join(GENDERS),
    "gender is one of " + ", ".join(GENDERS),
    optional=False,
)
field_rule(
    "ssn_format",
    "patients",
    FORMAT,
    ("ssn",),
    is_valid_ssn,
    "ssn {value!r} is not AAA-GG-SSSS outside the forbidden ranges",
    "regenerate the ssn from the row's serial (identifiers.ssn)",
    "SSN written AAA-GG-SSSS and valid",
)
field_rule(
    "zip_format",
    "patients",
    FORMAT,
    ("address_zip",),
    lambda v: isinstance(v, str) and bool(fakes.ZIP_PATTERN.match(v)),
    "address_zip {value!r} is not 5 digits",
    "use a 5-digit ZIP code",
    "ZIP code of 5 digits",
)
field_rule(
    "state_format",
    "patients",
    FORMAT,
    ("address_state",),
    lambda v: isinstance(v, str) and v in US_STATES,
    "address_state {value!r} is not a USPS code of a US state or DC",
    "use the 2-letter USPS state code, e.g. 'IL'",
    "USPS code of a US state or DC",
)
field_rule(
    "insurance_provider_known",
    "patients",
    FORMAT,
    ("insurance_provider",),
    lambda v: v in PAYERS,
    "insurance_provider {value!r} is not a known payer",
    "use one of " + ", ".join(PAYERS.names()),
    "insurance provider is a known payer",
)


@rule(
    "policy_number_format",
    "patients",
    FORMAT,
    ("insurance_policy_number", "insurance_provider"),
    "insurance_policy_number {value!r} does not match the expected pattern {pattern}",
    "regenerate a valid policy number (identifiers.policy_number): omit it to derive one from the "
    "patient's id",
)
def _policy(subject: Subject) -> Iterable[Finding]:
    """policy number in the payer's format (prefix + 9 digits)"""
    policy = subject.get("insurance_policy_number")
    if policy is None:
        return
    payer = subject.context.get("payer")
    if subject.get("insurance_provider") is not None and payer is None:
        return  # unknown payer: insurance_provider_known reports it
    if payer is None or not (isinstance(policy, str) and payer.policy_pattern.match(policy)):
        pattern = payer.policy_pattern.pattern if payer else "PREFIX-NNNNNNNNN (a payer prefix + 9 digits)"
        yield Finding("insurance_policy_number", {"value": policy, "pattern": pattern})


@rule(
    "date_of_birth_format",
    "patients",
    FORMAT,
    ("date_of_birth",),
    "date_of_birth {value!r} is not a date or 'YYYY-MM-DD'",
    "give a date or a 'YYYY-MM-DD' string",
)
def _born_format(subject: Subject) -> Iterable[Finding]:
    """date of birth is a date"""
    value = subject.get("date_of_birth")
    if as_date(value) is None:
        yield Finding("date_of_birth", {"value": value})


@rule(
    "date_of_birth_future",
    "patients",
    FORMAT,
    ("date_of_birth",),
    "date_of_birth {value} is after today ({today})",
    "use a date of birth on or before today",
)
def _born_future(subject: Subject) -> Iterable[Finding]:
    """date of birth is not after today"""
    born = as_date(subject.get("date_of_birth"))
    if born is not None and subject.today is not None and born > subject.today:
        yield Finding("date_of_birth", {"value": born, "today": subject.today})


field_rule(
    "age_value",
    "patients",
    FORMAT,
    ("age",),
    lambda v: type(v) is int and 0 <= v <= MAX_AGE,
    f"age {{value!r}} is not a whole number of years in 0-{MAX_AGE}",
    f"use an integer age in 0-{MAX_AGE}",
    "an explicit age (builder) is a whole number of years",
)


def _valid_range(value: Any) -> bool:
    low, high = value
    return type(low) is int and type(high) is int and 0 <= low <= high <= MAX_AGE


@rule(
    "age_range_value",
    "patients",
    FORMAT,
    ("age_range",),
    f"age range {{low!r}}-{{high!r}} is not min <= max within 0-{MAX_AGE}",
    f"use integers with 0 <= min_age <= max_age <= {MAX_AGE}",
)
def _age_range(subject: Subject) -> Iterable[Finding]:
    """an explicit age range (builder) is min <= max within 0-120"""
    value = subject.get("age_range")
    if value is not None and not _valid_range(value):
        yield Finding("age_range", {"low": value[0], "high": value[1]})


# --- business ------------------------------------------------------------------------


@rule(
    "insurance_pair",
    "patients",
    BUSINESS,
    ("insurance_provider", "insurance_policy_number"),
    "{field} is missing while the other insurance field is set",
    "give both insurance_provider and insurance_policy_number, or neither",
)
def _pair(subject: Subject) -> Iterable[Finding]:
    """insurance provider and policy number come together"""
    provider, policy = subject.get("insurance_provider"), subject.get("insurance_policy_number")
    if (provider is None) != (policy is None):
        yield Finding("insurance_policy_number" if policy is None else "insurance_provider", {})


@rule(
    "age_matches_date_of_birth",
    "patients",
    BUSINESS,
    ("age", "date_of_birth"),
    "date_of_birth {value} makes the patient {born_age} on {today}, not {age}",
    "give either the age or the date of birth, or make them agree",
)
def _age_matches(subject: Subject) -> Iterable[Finding]:
    """an explicit age (builder) agrees with the date of birth"""
    age, born = subject.get("age"), as_date(subject.get("date_of_birth"))
    today = subject.today
    if type(age) is int and born is not None and today is not None and born <= today:
        born_age = age_on(born, today)
        if born_age != age:
            yield Finding("date_of_birth", {"value": born, "born_age": born_age, "today": today, "age": age})


@rule(
    "address_consistent",
    "patients",
    BUSINESS,
    ("address_city", "address_state", "address_zip"),
    "address {city!r}, {state!r} {zip!r}: the ZIP code does not belong to that city and state",
    "use a real city/state/ZIP combination (fakes.place) or give only the state",
)
def _address(subject: Subject) -> Iterable[Finding]:
    """city, state and ZIP belong together"""
    city, state, zip_code = (subject.get(c) for c in ("address_city", "address_state", "address_zip"))
    if (
        isinstance(city, str)
        and city
        and isinstance(state, str)
        and state
        and isinstance(zip_code, str)
        and zip_code
        and not address_consistent(city, state, zip_code)
    ):
        yield Finding("address_zip", {"city": city, "state": state, "zip": zip_code})


# --- medical history (one patient_conditions row per subject; context: age) -----------


def _reference(subject: Subject) -> Any:
    name = subject.get("condition")
    return CONDITIONS.get(name) if name in CONDITIONS else None


@rule(
    "condition_known",
    "patient_conditions",
    BUSINESS,
    ("condition",),
    "condition {value!r} is not in the reference list",
    "use one of " + ", ".join(CONDITIONS.names()),
)
def _condition_known(subject: Subject) -> Iterable[Finding]:
    """the condition is in reference/conditions.toml"""
    if _reference(subject) is None:
        yield Finding("condition", {"value": subject.get("condition")})


@rule(
    "icd10_matches_condition",
    "patient_conditions",
    BUSINESS,
    ("condition", "icd10_code"),
    "icd10_code {value!r} of {name!r} should be {code}",
    "use {code} ({description})",
)
def _icd10_matches(subject: Subject) -> Iterable[Finding]:
    """the ICD-10-CM code is the condition's reference code"""
    reference = _reference(subject)
    code = subject.get("icd10_code")
    if reference is not None and code != reference.icd10:
        yield Finding(
            "icd10_code",
            {
                "value": code,
                "name": reference.name,
                "code": reference.icd10,
                "description": reference.description,
            },
        )


@rule(
    "condition_fits_age",
    "patient_conditions",
    BUSINESS,
    ("condition", "icd10_code"),
    "{value!r} is not age-appropriate at {age} (plausible {low}-{high})",
    "drop {value!r} or use an age in {low}-{high}",
)
def _condition_age(subject: Subject) -> Iterable[Finding]:
    """the condition is plausible at the patient's age"""
    reference = _reference(subject)
    age = subject.context.get("age")
    if (
        reference is not None
        and age is not None
        and subject.get("icd10_code") == reference.icd10
        and not reference.fits_age(age)
    ):
        yield Finding(
            "condition",
            {"value": reference.name, "age": age, "low": reference.min_age, "high": reference.max_age},
        )


# Which column holds the ICD-10-CM code, per table.
ICD10_FIELDS = {"patient_conditions": "icd10_code", "medical_records": "diagnosis_code"}


@rule(
    "icd10_valid",
    tuple(ICD10_FIELDS),
    FORMAT,
    tuple(ICD10_FIELDS.values()),
    "{field} {value!r} is not a billable ICD-10-CM code",
    "use the reference code of the condition (reference/conditions.toml)",
)
def _icd10_valid(subject: Subject) -> Iterable[Finding]:
    """the code is a billable ICD-10-CM code"""
    column = ICD10_FIELDS[subject.entity]
    code = subject.get(column)
    if subject.entity == "medical_records" and code is None:
        return
    if not isinstance(code, str) or not icd10_is_valid(code):
        yield Finding(column, {"value": code})


# --- persona (context: persona, age, age_range, payer; profile for the emergency contact) -----


@rule(
    "persona_known",
    "patient_profiles",
    BUSINESS,
    ("persona",),
    "persona {value!r} is not registered",
    "use one of " + ", ".join(PERSONAS.names()),
)
def _persona_known(subject: Subject) -> Iterable[Finding]:
    """the profile's persona is registered"""
    name = subject.get("persona")
    if name is not None and name not in PERSONAS:
        yield Finding("persona", {"value": name})


@rule(
    "persona_age_range",
    "patients",
    BUSINESS,
    ("age", "age_range", "date_of_birth"),
    "{what} {problem} {persona}'s range {low}-{high}",
    "{advice}",
)
def _persona_age(subject: Subject) -> Iterable[Finding]:
    """the age (or an explicit age range) fits the persona's age range"""
    persona = subject.context.get("persona")
    if persona is None:
        return
    low, high = persona.age_range
    common = {"persona": persona.name, "low": low, "high": high}
    age, age_range = subject.context.get("age"), subject.context.get("age_range")
    if age is not None:
        if not persona.accepts_age(age):
            advice = age_recovery(persona, age)
            yield Finding("age", {**common, "what": f"age {age}", "problem": "is outside", "advice": advice})
    elif age_range is not None and (age_range[1] < low or age_range[0] > high):
        what = f"age range {age_range[0]}-{age_range[1]}"
        advice = f"use an age range within {low}-{high} or another persona"
        yield Finding("age_range", {**common, "what": what, "problem": "does not overlap", "advice": advice})


@rule(
    "persona_insurance",
    "patients",
    BUSINESS,
    ("insurance_provider", "insurance_policy_number"),
    "insurance_provider {value!r} {plan}does not fit {persona} ({plans} plans)",
    "use one of {choices} or another persona",
)
def _persona_insurance(subject: Subject) -> Iterable[Finding]:
    """an insured persona has a plan of its plan types"""
    persona = subject.context.get("persona")
    if persona is None or not persona.insured:
        return
    payer = subject.context.get("payer")
    wanted = persona.insurance.plan_types
    if payer is None or payer.plan_type not in wanted:
        choices = ", ".join(p.name for _, p in PAYERS.items() if p.plan_type in wanted)
        plan = f"({payer.plan_type}) " if payer is not None else ""
        value = subject.get("insurance_provider") or getattr(payer, "name", None)
        yield Finding(
            "insurance_provider",
            {
                "value": value,
                "plan": plan,
                "persona": persona.name,
                "plans": "/".join(wanted),
                "choices": choices,
            },
        )


@rule(
    "persona_uninsured",
    "patients",
    BUSINESS,
    ("insurance_provider", "insurance_policy_number"),
    "{persona} has no insurance but insurance {value!r} was given",
    "drop the insurance (with_insurance) or choose an insured persona",
)
def _persona_uninsured(subject: Subject) -> Iterable[Finding]:
    """an uninsured persona carries no insurance"""
    persona = subject.context.get("persona")
    if persona is None or persona.insured:
        return
    provider, policy = subject.get("insurance_provider"), subject.get("insurance_policy_number")
    if provider is not None or policy is not None:
        yield Finding("insurance_provider", {"persona": persona.name, "value": provider or policy})


@rule(
    "persona_emergency_contact",
    "patient_profiles",
    BUSINESS,
    ("emergency_contact_relationship",),
    "emergency contact relationship {value!r} is not one of {persona}'s ({allowed})",
    "use one of {allowed}",
)
def _persona_contact(subject: Subject) -> Iterable[Finding]:
    """the emergency contact's relationship is one the persona has"""
    persona = subject.context.get("persona")
    profile = subject.context.get("profile") or {}
    relationship = profile.get("emergency_contact_relationship")
    if persona is None or relationship is None:
        return
    allowed = persona.behavioral.emergency_contact_relationships
    if relationship not in allowed:
        values = {"value": relationship, "persona": persona.name, "allowed": ", ".join(allowed)}
        yield Finding("emergency_contact_relationship", values, "patient_profiles")


# Rules other modules report under their own message (statistics, the builder's age fitting).
PERSONA_AGE_RANGE = _persona_age
CONDITION_FITS_AGE = _condition_age
PROFILE_RULES: tuple[str, ...] = ("persona_known",)

# Rule order of a patient row (history and profile rules run on their own rows).
INSURANCE_RULES: tuple[str, ...] = ("insurance_provider_known", "policy_number_format", "insurance_pair")
PATIENT_ROW_RULES: tuple[str, ...] = (
    "patient_id_format",
    "uuid_format",
    "required",
    "gender_enum",
    "ssn_format",
    "phone_format",
    "phone_safe_range",
    "email_format",
    "email_safe_domain",
    "zip_format",
    "state_format",
    "insurance_provider_known",
    "policy_number_format",
    "insurance_pair",
    "date_of_birth_format",
    "date_of_birth_future",
    "status_valid",
    "address_consistent",
    "ssn_valid_range",
)
CONDITION_RULES: tuple[str, ...] = (
    "condition_known",
    "icd10_matches_condition",
    "condition_fits_age",
    "icd10_valid",
)
PERSONA_RULES: tuple[str, ...] = (
    "persona_age_range",
    "persona_insurance",
    "persona_uninsured",
    "persona_emergency_contact",
)
# What the PatientBuilder checks on its explicit values before drawing anything.
EXPLICIT_VALUE_RULES: tuple[str, ...] = (
    "gender_enum",
    "status_valid",
    "age_value",
    "age_range_value",
    "date_of_birth_format",
    "date_of_birth_future",
    "age_matches_date_of_birth",
    "insurance_provider_known",
    "policy_number_format",
)


# --- a stored patient's unspecified fields follow its persona (context: persona, explicit, profile) ---

# Patient columns the builder always draws when they are not given (never left empty).
DRAWN_PATIENT_COLUMNS: tuple[str, ...] = ("uuid", "patient_id", "ssn", "phone", "gender", "date_of_birth")


def persona_profile_defaults(persona: PatientPersona | str) -> dict[str, Any]:
    """The ``patient_profiles`` values a persona fixes for every patient (no randomness involved)."""
    persona = get_persona(persona)
    return {
        "medication_compliance": persona.medical.medication_compliance,
        "appointment_compliance": persona.behavioral.appointment_compliance,
        "communication_style": persona.behavioral.communication_style,
        "tech_savviness": persona.behavioral.tech_savviness,
        "coverage_level": persona.insurance.coverage_level,
        "preferred_language": persona.demographics.preferred_language,
    }


@rule(
    "persona_default",
    "patient_profiles",
    BUSINESS,
    (
        "medication_compliance",
        "appointment_compliance",
        "communication_style",
        "tech_savviness",
        "coverage_level",
        "preferred_language",
    ),
    "{field} {value!r} is not {persona}'s {wanted!r}",
    "leave {field} to the persona or choose another persona",
)
def _persona_default(subject: Subject) -> Iterable[Finding]:
    """profile values the persona fixes are the persona's unless given on purpose"""
    persona, given = subject.context["persona"], subject.context.get("explicit", frozenset())
    profile = subject.context.get("profile") or {}
    for column, wanted in persona_profile_defaults(persona).items():
        if ("patient_profiles", column) not in given and profile.get(column) != wanted:
            values = {"value": profile.get(column), "persona": persona.name, "wanted": wanted}
            yield Finding(column, values, "patient_profiles")


@rule(
    "drawn_default",
    "patients",
    FORMAT,
    DRAWN_PATIENT_COLUMNS,
    "{field} was not given and was left empty",
    "draw {field} when it is not specified",
)
def _drawn(subject: Subject) -> Iterable[Finding]:
    """columns the builder always draws are filled"""
    given = subject.context.get("explicit", frozenset())
    for column in DRAWN_PATIENT_COLUMNS:
        if ("patients", column) not in given and not subject.get(column):
            yield Finding(column, {})


@rule(
    "persona_email_domain",
    "patients",
    BUSINESS,
    ("email",),
    "email {value!r} is not {persona}'s default: {expected}",
    "leave the e-mail to the persona (domain {domain!r})",
)
def _email_domain(subject: Subject) -> Iterable[Finding]:
    """an e-mail not given is on the persona's domain (none for a persona without one)"""
    persona, given = subject.context["persona"], subject.context.get("explicit", frozenset())
    if ("patients", "email") in given:
        return
    email, domain = subject.get("email"), persona.contact.email_domain
    stored = str(email).rpartition("@")[2] if email is not None else None
    if stored != domain:
        expected = f"on {domain!r}" if domain else "none (the persona has no e-mail)"
        yield Finding(
            "email", {"value": email, "persona": persona.name, "expected": expected, "domain": domain}
        )


PERSONA_DEFAULT_RULES: tuple[str, ...] = ("persona_default", "drawn_default", "persona_email_domain")
