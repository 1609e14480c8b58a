"""Curated reference data: conditions (ICD-10-CM), payers, specialties, appointment
types, license formats, state weights and how booked visits end.

The data lives in TOML files beside this module (each cites its source); this module
loads them once into typed, read-only objects and registries.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any

from healthcare_data.registry import Registry

# The names the specialty evidence adds (specialties.toml never lists them by hand).
TELEHEALTH_VISIT = "Telehealth Visit"
VIRTUAL_PRACTICE = "Virtual Practice"
HOSPITAL = "Hospital"


def _load(name: str) -> dict[str, Any]:
    return tomllib.loads(resources.files(__package__).joinpath(name).read_text("utf-8"))


@dataclass(frozen=True)
class Condition:
    """A diagnosable condition with its real ICD-10-CM code and clinical context."""

    name: str
    icd10: str
    min_age: int
    max_age: int
    chronic: bool
    visits_per_year: int
    category: str
    medications: tuple[str, ...]
    treatment: str

    def fits_age(self, age: int) -> bool:
        return self.min_age <= age <= self.max_age

    @property
    def description(self) -> str:
        """The official ICD-10-CM description of the code."""
        return icd10_description(self.icd10)


@dataclass(frozen=True)
class Payer:
    """An insurance payer and the shape of its policy numbers."""

    name: str
    plan_type: str
    policy_prefix: str

    @cached_property
    def policy_pattern(self) -> re.Pattern[str]:
        return re.compile(rf"^{re.escape(self.policy_prefix)}-\d{{9}}$")


@dataclass(frozen=True)
class AppointmentType:
    """A kind of visit, its booked length, and whether it may be held by video."""

    name: str
    duration_minutes: int
    telemedicine_allowed: bool
    category: str


@dataclass(frozen=True)
class Source:
    """A publication a specialty's figures come from, and the line its figures are read against."""

    key: str
    title: str
    year: int | str
    url: str
    table: str
    threshold: float | None


@dataclass(frozen=True)
class Evidence:
    """The cited figure behind one combination of a specialty (telehealth, hospital), or why none."""

    source: str  # a SOURCES key, or "none"
    note: str
    share: float | None = None  # percent, as the source reports it
    named: bool = False  # the source names the specialty as hospital-based

    def reaches(self, sources: dict[str, Source]) -> bool:
        """True when the source names the specialty or its share reaches the source's threshold."""
        if self.named:
            return True
        threshold = sources[self.source].threshold if self.source in sources else None
        return self.share is not None and threshold is not None and self.share >= threshold

    def describe(self, sources: dict[str, Source]) -> str:
        """One line for an error message: the figure against its threshold, or why there is none."""
        if self.share is None and not self.named:
            return f"no cited figure: {self.note}"
        source = sources[self.source]
        if self.named:
            return f"named hospital-based by {source.key}"
        relation = ">=" if self.reaches(sources) else "<"
        return f"{self.share:g}% {relation} {source.threshold:g}% in {source.key}"


@dataclass(frozen=True)
class Specialty:
    """A medical specialty: taxonomy code, the combinations its evidence allows, bookable visits.

    ``telehealth`` and ``hospital_based`` are derived from the cited figures in
    ``specialties.toml`` (see :func:`derive_specialty`), never hand-set.
    """

    name: str
    taxonomy: str
    primary_care: bool
    hospital_based: bool
    telehealth: bool
    appointment_types: tuple[str, ...]
    practice_types: tuple[str, ...]
    visit_fee: int
    telehealth_evidence: Evidence
    hospital_evidence: Evidence

    def allows(self, appointment_type: str) -> bool:
        return appointment_type in self.appointment_types

    def evidence_for(self, attribute: str) -> Evidence | None:
        """The cited evidence a derived attribute (``telehealth``, ``hospital_based``) comes from."""
        evidence = {"telehealth": self.telehealth_evidence, "hospital_based": self.hospital_evidence}
        return evidence.get(attribute)

    @property
    def allowed_practice_types(self) -> tuple[str, ...]:
        """Every practice type the specialty may have: those drafted by default plus, for a
        telehealth specialty, a telehealth-only Virtual Practice (drafted only when asked for)."""
        if self.telehealth and VIRTUAL_PRACTICE not in self.practice_types:
            return (*self.practice_types, VIRTUAL_PRACTICE)
        return self.practice_types


@dataclass(frozen=True)
class LicenseFormat:
    """How one state's medical board writes a license number."""

    template: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class VisitOutcomes:
    """Shares of booked visits that end cancelled or missed (no-show); the rest are attended."""

    cancelled: float
    no_show: float

    def __post_init__(self) -> None:
        if not (0 <= self.cancelled and 0 <= self.no_show and self.cancelled + self.no_show < 1):
            raise ValueError(f"visit outcome shares must be >= 0 and sum below 1, got {self!r}")


CONDITIONS: Registry[Condition] = Registry("condition")
PAYERS: Registry[Payer] = Registry("insurance provider")
APPOINTMENT_TYPES: Registry[AppointmentType] = Registry("appointment type")
SPECIALTIES: Registry[Specialty] = Registry("specialty")

for _name, _row in _load("conditions.toml").items():
    CONDITIONS.register(
        _name,
        Condition(
            name=_name,
            icd10=_row["icd10"],
            min_age=_row["min_age"],
            max_age=_row["max_age"],
            chronic=_row["chronic"],
            visits_per_year=_row["visits_per_year"],
            category=_row["category"],
            medications=tuple(_row["medications"]),
            treatment=_row["treatment"],
        ),
    )
for _name, _row in _load("payers.toml").items():
    PAYERS.register(_name, Payer(_name, _row["plan_type"], _row["policy_prefix"]))
for _name, _row in _load("appointment_types.toml").items():
    APPOINTMENT_TYPES.register(
        _name,
        AppointmentType(
            _name, _row["duration_minutes"], _row["telemedicine_allowed"], _row["category"]
        ),
    )
_SPECIALTY_FILE = _load("specialties.toml")
SPECIALTY_SOURCES: dict[str, Source] = {
    key: Source(key, row["title"], row["year"], row["url"], row["table"], row.get("threshold"))
    for key, row in _SPECIALTY_FILE["sources"].items()
}


def _evidence(row: dict[str, Any]) -> Evidence:
    return Evidence(row["source"], row["note"], row.get("share"), row.get("named", False))


def derive_specialty(name: str, row: dict[str, Any], sources: dict[str, Source]) -> Specialty:
    """The one place a specialty's combinations come from: its cited figures against the
    thresholds of ``specialties.toml`` (telehealth: at least the all-physician share of the
    same survey; hospital: named hospital-based, or a third or more outside private practice).
    """
    telehealth_evidence = _evidence(row["telehealth"])
    hospital_evidence = _evidence(row["hospital"])
    virtual_only = bool(row.get("virtual_only", False))
    telehealth = virtual_only or telehealth_evidence.reaches(sources)
    hospital = not virtual_only and hospital_evidence.reaches(sources)
    practice_types = tuple(row["office_practice_types"])
    if hospital:
        practice_types = (HOSPITAL, *practice_types)
    if virtual_only:
        practice_types = (VIRTUAL_PRACTICE,)
    appointment_types = tuple(row["appointment_types"])
    if telehealth:
        appointment_types = (*appointment_types, TELEHEALTH_VISIT)
    return Specialty(
        name=name,
        taxonomy=row["taxonomy"],
        primary_care=row["primary_care"],
        hospital_based=hospital,
        telehealth=telehealth,
        appointment_types=appointment_types,
        practice_types=practice_types,
        visit_fee=row["visit_fee"],
        telehealth_evidence=telehealth_evidence,
        hospital_evidence=hospital_evidence,
    )


for _name, _row in _SPECIALTY_FILE["specialties"].items():
    SPECIALTIES.register(_name, derive_specialty(_name, _row, SPECIALTY_SOURCES))

LICENSE_FORMATS: dict[str, LicenseFormat] = {
    state: LicenseFormat(row["template"], re.compile(row["pattern"]))
    for state, row in _load("licenses.toml").items()
}

STATE_WEIGHTS: dict[str, float] = dict(_load("states.toml")["weights"])

#: appointment_compliance level (personas.Behavioral) -> how its booked visits end.
VISIT_OUTCOMES: dict[str, VisitOutcomes] = {
    level: VisitOutcomes(row["cancelled"], row["no_show"])
    for level, row in _load("visit_outcomes.toml")["appointment_compliance"].items()
}

CONDITION_BY_CODE: dict[str, Condition] = {c.icd10: c for _, c in CONDITIONS.items()}
# Official descriptions of the curated codes, copied from the ICD-10-CM tabular list so
# the common path needs no code-set load; tests/test_reference.py compares them.
_DESCRIPTIONS: dict[str, str] = dict(_load("icd10_descriptions.toml")["descriptions"])

# Practice types of the exercise plus the virtual practice telemedicine providers use.
PRACTICE_TYPES: tuple[str, ...] = (
    "Medical Center",
    "Clinic",
    HOSPITAL,
    "Urgent Care",
    "Specialty Practice",
    "Health System",
    "Medical Group",
    VIRTUAL_PRACTICE,
)


def license_format(state: str) -> LicenseFormat:
    """The license format of ``state``, or the default one for unlisted states."""
    return LICENSE_FORMATS.get(state, LICENSE_FORMATS["default"])


@cache
def is_valid_icd10(code: str) -> bool:
    """True when ``code`` is a billable (leaf) ICD-10-CM code.

    Codes of the curated conditions answer without loading the full code set (loading
    simple-icd-10-cm takes seconds); tests check those against the package itself.
    """
    if code in CONDITION_BY_CODE:
        return True
    import simple_icd_10_cm as icd

    return bool(icd.is_valid_item(code) and icd.is_leaf(code))


@cache
def icd10_description(code: str) -> str:
    """The official description of an ICD-10-CM code (cached: it is looked up often)."""
    if code in _DESCRIPTIONS:
        return _DESCRIPTIONS[code]
    import simple_icd_10_cm as icd

    return str(icd.get_description(code))


def payers_of_type(*plan_types: str) -> list[Payer]:
    """Payers whose plan type is one of ``plan_types``, in file order."""
    return [p for _, p in PAYERS.items() if p.plan_type in plan_types]


def payer_for_policy(policy_number: str) -> Payer | None:
    """The payer whose prefix a policy number carries, if any."""
    prefix = policy_number.split("-", 1)[0]
    for _, payer in PAYERS.items():
        if payer.policy_prefix == prefix:
            return payer
    return None
