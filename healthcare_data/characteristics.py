"""Named checks for the feature file's ``expected_characteristics`` tokens.

A token such as ``age_65_plus`` or ``medicare_insurance`` names a check of one patient
as stored: it reads only the rows it is given (patient, conditions, profile), which
callers read back from the database, so the check sees what was persisted rather than
what the generator meant to write. Checks live in the ``CHARACTERISTICS`` registry;
age tokens follow two patterns (``age_<min>_<max>``, ``age_<min>_plus``) resolved by
:func:`get_characteristic`, so ``age_18_64`` works without being registered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from healthcare_data.dates import age_on, as_date
from healthcare_data.errors import UnknownNameError
from healthcare_data.reference import CONDITION_BY_CODE, CONDITIONS, PAYERS, Condition
from healthcare_data.registry import Registry


@dataclass(frozen=True)
class CheckResult:
    """Whether a patient has a characteristic, and what was seen (for failure output)."""

    ok: bool
    detail: str

    def __bool__(self) -> bool:
        return self.ok


Row = Mapping[str, Any]
Check = Callable[[Row, Sequence[Row], Row | None, date], CheckResult]

CHARACTERISTICS: Registry[Check] = Registry("characteristic")

AGE_RANGE_TOKEN = re.compile(r"^age_(\d{1,3})_(\d{1,3})$")
AGE_PLUS_TOKEN = re.compile(r"^age_(\d{1,3})_plus$")
TOKEN_PATTERNS: tuple[str, ...] = ("age_<min>_<max>", "age_<min>_plus")

PARENT_RELATIONSHIPS = frozenset({"mother", "father", "guardian"})
IMMUNIZATION_CODE = "Z23"
FREQUENT_VISITS = 6


def _age(patient: Row, today: date) -> int | None:
    born = as_date(patient.get("date_of_birth"))
    return None if born is None else age_on(born, today)


def age_between(low: int, high: int | None) -> Check:
    """A check that the patient's age on ``today`` is in ``low..high`` (``None``: no upper bound)."""
    label = f"{low}+" if high is None else f"{low}-{high}"

    def check(patient: Row, conditions: Sequence[Row], profile: Row | None, today: date) -> CheckResult:
        age = _age(patient, today)
        if age is None:
            return CheckResult(False, f"date_of_birth {patient.get('date_of_birth')!r} is not a date")
        ok = low <= age and (high is None or age <= high)
        return CheckResult(ok, f"age {age} ({'in' if ok else 'not in'} {label})")

    check.__doc__ = f"Age {label} on the given day."
    return check


def _condition(row: Row) -> Condition | None:
    """The reference condition of a history row, by ICD-10 code first, then by name."""
    found = CONDITION_BY_CODE.get(row.get("icd10_code") or "")
    if found is None and row.get("condition") in CONDITIONS:
        found = CONDITIONS.get(row["condition"])
    return found


def _names(conditions: Iterable[Row]) -> str:
    return ", ".join(str(c.get("condition")) for c in conditions) or "none"


def insurance_of(*plan_types: str) -> Check:
    """A check that the patient's payer has one of ``plan_types`` (reference/payers.toml)."""

    def check(patient: Row, conditions: Sequence[Row], profile: Row | None, today: date) -> CheckResult:
        provider = patient.get("insurance_provider")
        payer = PAYERS.get(provider) if provider in PAYERS else None
        ok = (
            payer is not None
            and payer.plan_type in plan_types
            and bool(patient.get("insurance_policy_number"))
        )
        seen = f"{provider!r} ({payer.plan_type})" if payer else repr(provider)
        return CheckResult(ok, f"insurance {seen}, policy {patient.get('insurance_policy_number')!r}")

    check.__doc__ = f"Insured by a {'/'.join(plan_types)} payer, with a policy number."
    return check


def no_insurance(patient: Row, conditions: Sequence[Row], profile: Row | None, today: date) -> CheckResult:
    """No payer and no policy number (the uninsured persona)."""
    provider, policy = patient.get("insurance_provider"), patient.get("insurance_policy_number")
    return CheckResult(provider is None and policy is None, f"insurance {provider!r}, policy {policy!r}")


def chronic_conditions(
    patient: Row, conditions: Sequence[Row], profile: Row | None, today: date
) -> CheckResult:
    """At least one chronic condition in the history."""
    chronic = [c for c in conditions if c.get("chronic")]
    return CheckResult(bool(chronic), f"chronic: {_names(chronic)}")


def stress_related(patient: Row, conditions: Sequence[Row], profile: Row | None, today: date) -> CheckResult:
    """At least one condition of the stress_related category (anxiety, insomnia, ...)."""
    found = [c for c in conditions if (ref := _condition(c)) is not None and ref.category == "stress_related"]
    return CheckResult(bool(found), f"stress-related: {_names(found)} (history: {_names(conditions)})")


def parent_contact(patient: Row, conditions: Sequence[Row], profile: Row | None, today: date) -> CheckResult:
    """Emergency contact is a mother, father or guardian, with a name and a phone."""
    relationship = (profile or {}).get("emergency_contact_relationship")
    name, phone = patient.get("emergency_contact_name"), patient.get("emergency_contact_phone")
    ok = relationship in PARENT_RELATIONSHIPS and bool(name) and bool(phone)
    return CheckResult(ok, f"emergency contact {name!r} ({relationship}), phone {phone!r}")


def vaccination_schedule(
    patient: Row, conditions: Sequence[Row], profile: Row | None, today: date
) -> CheckResult:
    """History contains routine immunization (ICD-10-CM Z23, encounter for immunization)."""
    ok = any(c.get("icd10_code") == IMMUNIZATION_CODE for c in conditions)
    return CheckResult(ok, f"history: {_names(conditions)}")


def multiple_conditions(
    patient: Row, conditions: Sequence[Row], profile: Row | None, today: date
) -> CheckResult:
    """Two or more conditions in the history."""
    return CheckResult(len(conditions) >= 2, f"{len(conditions)} conditions: {_names(conditions)}")


def frequent_visits(patient: Row, conditions: Sequence[Row], profile: Row | None, today: date) -> CheckResult:
    """Profile expects at least 6 visits a year."""
    visits = (profile or {}).get("visits_per_year")
    ok = isinstance(visits, int) and visits >= FREQUENT_VISITS
    return CheckResult(ok, f"visits_per_year {visits!r} (frequent: >= {FREQUENT_VISITS})")


def medication_compliance(
    patient: Row, conditions: Sequence[Row], profile: Row | None, today: date
) -> CheckResult:
    """Compliance high or medium AND every chronic condition has a medication."""
    compliance = (profile or {}).get("medication_compliance")
    untreated = [c for c in conditions if c.get("chronic") and not c.get("medication")]
    ok = compliance in ("high", "medium") and not untreated
    return CheckResult(
        ok, f"medication_compliance {compliance!r}, chronic without medication: {_names(untreated)}"
    )


def payment_plan(patient: Row, conditions: Sequence[Row], profile: Row | None, today: date) -> CheckResult:
    """Pays through a self-pay payment plan."""
    arrangement = (profile or {}).get("payment_arrangement")
    return CheckResult(arrangement == "self_pay_plan", f"payment_arrangement {arrangement!r}")


for _token, _check in (
    ("age_65_plus", age_between(65, None)),
    ("age_25_40", age_between(25, 40)),
    ("age_0_17", age_between(0, 17)),
    ("age_18_64", age_between(18, 64)),
    ("medicare_insurance", insurance_of("medicare", "medicare_advantage")),
    ("employer_insurance", insurance_of("employer")),
    ("medicaid_or_chip", insurance_of("medicaid", "chip")),
    ("no_insurance", no_insurance),
    ("chronic_conditions", chronic_conditions),
    ("stress_related", stress_related),
    ("parent_contact", parent_contact),
    ("vaccination_schedule", vaccination_schedule),
    ("multiple_conditions", multiple_conditions),
    ("frequent_visits", frequent_visits),
    ("medication_compliance", medication_compliance),
    ("payment_plan", payment_plan),
):
    CHARACTERISTICS.register(_token, _check)


def get_characteristic(token: str) -> Check:
    """The check named ``token``: registered, or an ``age_<min>_<max>``/``age_<min>_plus`` pattern.

    An unknown token raises UnknownNameError listing the registered tokens and the patterns.
    """
    token = token.strip() if isinstance(token, str) else token
    if token in CHARACTERISTICS:
        return CHARACTERISTICS.get(token)
    if isinstance(token, str):
        match = AGE_RANGE_TOKEN.match(token)
        if match and int(match.group(1)) <= int(match.group(2)):
            return age_between(int(match.group(1)), int(match.group(2)))
        match = AGE_PLUS_TOKEN.match(token)
        if match:
            return age_between(int(match.group(1)), None)
    raise UnknownNameError("characteristic", token, [*CHARACTERISTICS.names(), *TOKEN_PATTERNS])


def parse_tokens(tokens: str | Iterable[str]) -> list[str]:
    """``"age_65_plus,medicare_insurance"`` or a list -> stripped, non-empty tokens."""
    items = tokens.split(",") if isinstance(tokens, str) else tokens
    return [t.strip() for t in items if t and t.strip()]


def check_characteristics(
    tokens: str | Iterable[str],
    patient: Row,
    conditions: Sequence[Row],
    profile: Row | None,
    today: date,
) -> list[tuple[str, CheckResult]]:
    """(token, result) for each token, in order; every token is resolved before any check runs."""
    names = parse_tokens(tokens)
    checks = [get_characteristic(name) for name in names]
    return [
        (name, check(patient, conditions, profile, today)) for name, check in zip(names, checks, strict=True)
    ]


def unmet_characteristics(
    patient: Row,
    conditions: Sequence[Row],
    profile: Row | None,
    *,
    today: date,
    persona: str,
    tokens: str | Iterable[str],
) -> list[dict[str, Any]]:
    """Rows naming how a stored patient misses ``persona`` or a characteristic token (empty: none)."""
    stored = (profile or {}).get("persona")
    out: list[dict[str, Any]] = []
    if stored != persona:
        out.append({"patient_id": patient.get("patient_id"), "token": "persona",
                    "detail": f"stored persona {stored!r}, asked {persona!r}"})
    for token, result in check_characteristics(tokens, patient, conditions, profile, today):
        if not result.ok:
            out.append({"patient_id": patient.get("patient_id"), "persona": stored, "token": token,
                        "detail": result.detail})
    return out
