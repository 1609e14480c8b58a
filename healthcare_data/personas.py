"""Patient personas: consistent character profiles that drive generated data.

A persona is declarative data (like a factory_boy Trait): age range, gender mix,
conditions with weights, insurance rules and appointment behaviour. Generators read
it; nothing here branches on persona names. ``PERSONAS`` is the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from healthcare_data.randomness import Randomness, Weighted, resolve
from healthcare_data.registry import Registry

Gender = Literal["male", "female", "other", "unknown"]
GENDERS: tuple[str, ...] = ("male", "female", "other", "unknown")


@dataclass(frozen=True)
class Demographics:
    age_range: tuple[int, int]
    gender_weights: dict[str, float]
    ethnicity: str | None = None
    preferred_language: str = "English"


@dataclass(frozen=True)
class Contact:
    phone_pattern: str = "(AAA) 555-01NN"
    email_domain: str | None = "example.com"  # None: the patient has no e-mail (children)
    address_region: str | None = None  # a state code, or None for the US population mix


@dataclass(frozen=True)
class Medical:
    common_conditions: dict[str, float]  # condition name -> relative weight
    condition_count: tuple[int, int]  # how many of them a patient carries
    always: tuple[str, ...] = ()  # history entries every patient of the persona has
    risk_factors: tuple[str, ...] = ()
    allergy_likelihood: float = 0.2
    medication_compliance: Literal["high", "medium", "low"] = "medium"
    min_chronic: int = 0  # at least this many of the drawn conditions are chronic


@dataclass(frozen=True)
class Insurance:
    plan_types: tuple[str, ...]  # payer plan types (reference/payers.toml); () = uninsured
    coverage_level: Literal["none", "basic", "standard", "premium"] = "standard"
    deductible_range: tuple[int, int] = (500, 3000)
    payment_arrangement: str = "insurance"  # or "self_pay_plan"


@dataclass(frozen=True)
class Behavioral:
    appointment_compliance: Literal["excellent", "good", "poor"] = "good"
    communication_style: Literal["detailed", "brief", "anxious"] = "brief"
    tech_savviness: Literal["high", "medium", "low"] = "medium"
    scheduling_preferences: tuple[str, ...] = ()  # names in scheduling.CONSTRAINTS
    visits_per_year: tuple[int, int] = (1, 3)
    # Of a persona preferring telemedicine, the share of generated visits held by video;
    # the rest are in person (nobody does every visit by video).
    telemedicine_share: float = 1.0
    emergency_contact_relationships: tuple[str, ...] = ("spouse", "sibling", "friend")


@dataclass(frozen=True)
class PatientPersona:
    """Every field of the exercise's ``PatientPersona``, plus the rules that use them."""

    name: str
    description: str
    demographics: Demographics
    contact: Contact
    medical: Medical
    insurance: Insurance
    behavioral: Behavioral
    typical_specialties: tuple[str, ...] = field(default=("Internal Medicine",))

    @property
    def age_range(self) -> tuple[int, int]:
        return self.demographics.age_range

    @property
    def insured(self) -> bool:
        return bool(self.insurance.plan_types)

    def accepts_age(self, age: int) -> bool:
        low, high = self.demographics.age_range
        return low <= age <= high

    @property
    def gender_table(self) -> Weighted[str]:
        return _gender_table(self)


_GENDER_TABLES: dict[str, Weighted[str]] = {}


def _gender_table(persona: PatientPersona) -> Weighted[str]:
    table = _GENDER_TABLES.get(persona.name)
    if table is None:
        table = _GENDER_TABLES[persona.name] = Weighted(persona.demographics.gender_weights)
    return table


# US adult population mix (approximate; "other" covers non-binary and undisclosed).
_ADULT_GENDERS = {"female": 0.505, "male": 0.485, "other": 0.01}
# Women outnumber men among those 65 and older (about 55:45, US Census 2020).
_ELDERLY_GENDERS = {"female": 0.55, "male": 0.44, "other": 0.01}
_CHILD_GENDERS = {"male": 0.51, "female": 0.49}

PERSONAS: Registry[PatientPersona] = Registry("persona")

ELDERLY_PATIENT = PERSONAS.register(
    "elderly_patient",
    PatientPersona(
        name="elderly_patient",
        description="65-95, age-related chronic conditions, Medicare, high compliance",
        demographics=Demographics((65, 95), _ELDERLY_GENDERS),
        contact=Contact(email_domain="example.net"),
        medical=Medical(
            common_conditions={
                "Hypertension": 6,
                "Arthritis": 5,
                "Hyperlipidemia": 4,
                "Diabetes Type 2": 3,
                "Coronary Artery Disease": 2,
                "Osteoporosis": 2,
                "Atrial Fibrillation": 1,
                "Heart Failure": 1,
                "COPD": 1,
                "Chronic Kidney Disease": 1,
                "Hypothyroidism": 1,
                "Dementia": 0.5,
            },
            condition_count=(1, 4),
            min_chronic=1,
            risk_factors=("age", "polypharmacy", "falls"),
            allergy_likelihood=0.35,
            medication_compliance="high",
        ),
        insurance=Insurance(("medicare", "medicare_advantage"), "standard", (0, 1600)),
        behavioral=Behavioral(
            appointment_compliance="excellent",
            communication_style="detailed",
            tech_savviness="low",
            scheduling_preferences=("morning_preferred", "routine"),
            visits_per_year=(4, 8),
            emergency_contact_relationships=("spouse", "daughter", "son"),
        ),
        typical_specialties=("Internal Medicine", "Family Medicine", "Cardiology"),
    ),
)

YOUNG_PROFESSIONAL = PERSONAS.register(
    "young_professional",
    PatientPersona(
        name="young_professional",
        description="25-40, stress-related conditions, employer plan, high tech savviness",
        demographics=Demographics((25, 40), _ADULT_GENDERS),
        contact=Contact(email_domain="example.com"),
        medical=Medical(
            common_conditions={
                "Anxiety": 4,
                "Insomnia": 3,
                "Tension Headache": 3,
                "Migraine": 2,
                "GERD": 2,
                "Depression": 2,
            },
            condition_count=(1, 2),
            risk_factors=("stress", "sedentary work"),
            allergy_likelihood=0.2,
            medication_compliance="medium",
        ),
        insurance=Insurance(("employer",), "standard", (1000, 4000)),
        behavioral=Behavioral(
            appointment_compliance="good",
            communication_style="brief",
            tech_savviness="high",
            scheduling_preferences=("evening_available", "telemedicine"),
            telemedicine_share=0.55,
            visits_per_year=(1, 3),
            emergency_contact_relationships=("spouse", "partner", "parent", "sibling"),
        ),
        typical_specialties=("Internal Medicine", "Family Medicine", "Psychiatry"),
    ),
)

PEDIATRIC_PATIENT = PERSONAS.register(
    "pediatric_patient",
    PatientPersona(
        name="pediatric_patient",
        description="0-17, childhood conditions and vaccinations, parent/guardian contact",
        demographics=Demographics((0, 17), _CHILD_GENDERS),
        contact=Contact(email_domain=None),
        medical=Medical(
            common_conditions={
                "Otitis Media": 4,
                "Asthma": 3,
                "Atopic Dermatitis": 3,
                "Strep Throat": 2,
                "ADHD": 2,
                "Upper Respiratory Infection": 3,
            },
            condition_count=(0, 2),
            always=("Routine Immunization",),
            risk_factors=("daycare exposure",),
            allergy_likelihood=0.15,
            medication_compliance="high",
        ),
        insurance=Insurance(("employer", "medicaid", "chip"), "standard", (0, 2000)),
        behavioral=Behavioral(
            appointment_compliance="good",
            communication_style="detailed",
            tech_savviness="medium",
            scheduling_preferences=("school_hours_avoided", "routine"),
            visits_per_year=(3, 6),
            emergency_contact_relationships=("mother", "father", "guardian"),
        ),
        typical_specialties=("Pediatrics", "Family Medicine"),
    ),
)

CHRONIC_CONDITION_PATIENT = PERSONAS.register(
    "chronic_condition_patient",
    PatientPersona(
        name="chronic_condition_patient",
        description="30-80, several chronic conditions, regular medications, frequent visits",
        demographics=Demographics((30, 80), _ADULT_GENDERS),
        contact=Contact(email_domain="example.org"),
        medical=Medical(
            common_conditions={
                "Diabetes Type 2": 5,
                "Hypertension": 5,
                "Hyperlipidemia": 3,
                "COPD": 2,
                "Chronic Kidney Disease": 2,
                "Heart Failure": 1,
                "Asthma": 2,
                "Hypothyroidism": 2,
                "Coronary Artery Disease": 2,
            },
            condition_count=(2, 4),
            min_chronic=2,
            risk_factors=("obesity", "smoking history"),
            allergy_likelihood=0.3,
            medication_compliance="high",
        ),
        insurance=Insurance(
            ("employer", "medicare", "medicare_advantage", "medicaid"), "premium", (500, 2500)
        ),
        behavioral=Behavioral(
            appointment_compliance="excellent",
            communication_style="anxious",
            tech_savviness="medium",
            scheduling_preferences=("regular_interval", "telemedicine"),
            telemedicine_share=0.35,
            visits_per_year=(6, 12),
            emergency_contact_relationships=("spouse", "daughter", "son", "sibling"),
        ),
        typical_specialties=("Internal Medicine", "Cardiology", "Family Medicine"),
    ),
)

UNINSURED_PATIENT = PERSONAS.register(
    "uninsured_patient",
    PatientPersona(
        name="uninsured_patient",
        description="18-64, no coverage, emergency-focused care, payment plans",
        demographics=Demographics((18, 64), _ADULT_GENDERS),
        contact=Contact(email_domain="example.com"),
        medical=Medical(
            common_conditions={
                "Upper Respiratory Infection": 3,
                "Low Back Pain": 3,
                "Acute Bronchitis": 2,
                "Ankle Sprain": 2,
                "Hypertension": 1,
            },
            condition_count=(0, 2),
            risk_factors=("delayed care",),
            allergy_likelihood=0.2,
            medication_compliance="low",
        ),
        insurance=Insurance((), "none", (0, 0), payment_arrangement="self_pay_plan"),
        behavioral=Behavioral(
            appointment_compliance="poor",
            communication_style="brief",
            tech_savviness="medium",
            scheduling_preferences=("urgent",),
            visits_per_year=(0, 2),
            emergency_contact_relationships=("sibling", "friend", "parent", "partner"),
        ),
        typical_specialties=("Emergency Medicine", "Family Medicine"),
    ),
)


def get_persona(name_or_persona: str | PatientPersona) -> PatientPersona:
    """The persona named ``name`` (UnknownNameError lists the known ones otherwise)."""
    if isinstance(name_or_persona, PatientPersona):
        return name_or_persona
    return PERSONAS.get(name_or_persona)


def random_persona(rng: Randomness | int | None = None) -> PatientPersona:
    """A persona chosen uniformly from the registry."""
    source = resolve(rng)
    return PERSONAS.get(source.choice(PERSONAS.names()))


def list_personas() -> list[str]:
    return PERSONAS.names()
