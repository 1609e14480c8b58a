"""The fluent ``PatientBuilder`` of the exercise, in snake_case.

Every ``with_*`` call only records an explicit value and returns the builder; nothing
is drawn until :meth:`PatientBuilder.build` or :meth:`PatientBuilder.create`. Then:

1. explicit values are checked on their own, before anything is drawn, so a
   contradiction (an elderly patient aged 30, a malformed policy number) fails with
   an error that names the field, the rule, the value and what would be valid;
2. :func:`healthcare_data.rows.patients.draft_patient` (the same code the bulk engine
   runs) fills every unspecified field from the persona;
3. the full draft goes through :func:`healthcare_data.validation.patients.check_patient`;
   any violation raises the matching ``DataValidationError`` subclass with the report.

Serials: ``build()`` numbers its drafts 1, 2, ... per builder (no database is touched);
``create()`` takes the serial from the database (``Database.next_id``) inside its
transaction, so persisted identifiers are unique and derive from the row's id.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import Any, ClassVar

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthcare_data.dates import age_on, as_date
from healthcare_data.db import Database
from healthcare_data.errors import (
    BusinessRuleViolation,
    ConfigurationError,
    DataValidationError,
    FormatValidationError,
    PersistenceError,
    PersonaValidationError,
    UniquenessViolation,
    UnknownNameError,
)
from healthcare_data.factories.base import uniqueness_error
from healthcare_data.fakes import normalize_phone
from healthcare_data.personas import PERSONAS, PatientPersona, get_persona
from healthcare_data.randomness import Randomness, resolve
from healthcare_data.reference import CONDITIONS
from healthcare_data.rows.patients import PatientDraft, draft_patient
from healthcare_data.rules import Subject, declared, evaluate_given, rules_for
from healthcare_data.rules.patients import CONDITION_FITS_AGE, EXPLICIT_VALUE_RULES, PERSONA_RULES, payer_of
from healthcare_data.schema import Patient, PatientCondition, PatientProfile
from healthcare_data.validation.patients import check_patient
from healthcare_data.violations import BUSINESS, FORMAT, ValidationReport, Violation

_EXPLICIT = rules_for("patients", EXPLICIT_VALUE_RULES)
_PERSONA = rules_for("patients", PERSONA_RULES)

MAX_AGE = 120

# What to do when a unique column clashes on insert (keys: column names).
UNIQUENESS_RECOVERY: dict[str, str] = {
    "id": "retry create(): the next id is read inside the transaction",
    "patient_id": "omit patient_id: it derives from the next id",
    "ssn": "omit ssn: it derives from the next id",
}


def raise_for(violations: Sequence[Violation], name: str = "patient build") -> None:
    """Raise the DataValidationError subclass that fits ``violations`` (nothing if empty).

    Format problems win (FormatValidationError), then persona contradictions
    (PersonaValidationError, rules ``persona_*``), else BusinessRuleViolation (HIPAA
    rules included: they are compliance rules of the workflow). The violations that
    decided the class come first in the report, so the message names them.
    """
    if not violations:
        return
    formats = [v for v in violations if v.category == FORMAT]
    personas = [v for v in violations if v.category != FORMAT and v.rule.startswith("persona_")]
    error: type[DataValidationError]
    if formats:
        error, first = FormatValidationError, formats
    elif personas:
        error, first = PersonaValidationError, personas
    else:
        error, first = BusinessRuleViolation, []
    ordered = first + [v for v in violations if v not in first]
    raise error(ValidationReport(name, 1, ordered))


class PatientBuilder:
    """Fluent construction of one patient: explicit values win, the persona fills the rest."""

    #: Where each chain-method argument is stored: ``(method, parameter) -> (table, column)``.
    #: An argument listed here is stored exactly as given, so a test can read it back and
    #: compare. ``("patients", "age")`` is the one derived value: the age on ``rng.today``
    #: computed from ``date_of_birth``. ``patient_conditions.condition`` holds one history
    #: entry per row. Phones are stored in their normal form (:data:`STORED_FORM`).
    STORED_AS: ClassVar[Mapping[tuple[str, str], tuple[str, str]]] = MappingProxyType(
        {
            ("with_persona", "persona"): ("patient_profiles", "persona"),
            ("with_demographics", "first_name"): ("patients", "first_name"),
            ("with_demographics", "last_name"): ("patients", "last_name"),
            ("with_demographics", "date_of_birth"): ("patients", "date_of_birth"),
            ("with_demographics", "gender"): ("patients", "gender"),
            ("with_age", "age"): ("patients", "age"),
            ("with_contact", "phone"): ("patients", "phone"),
            ("with_contact", "email"): ("patients", "email"),
            ("with_contact", "street"): ("patients", "address_street"),
            ("with_contact", "city"): ("patients", "address_city"),
            ("with_contact", "state"): ("patients", "address_state"),
            ("with_contact", "zip"): ("patients", "address_zip"),
            ("with_emergency_contact", "name"): ("patients", "emergency_contact_name"),
            ("with_emergency_contact", "phone"): ("patients", "emergency_contact_phone"),
            ("with_insurance", "provider"): ("patients", "insurance_provider"),
            ("with_insurance", "policy_number"): ("patients", "insurance_policy_number"),
            ("with_medical_history", "conditions"): ("patient_conditions", "condition"),
            ("with_status", "status"): ("patients", "status"),
            ("with_tenant", "tenant_id"): ("patients", "tenant_id"),
        }
    )

    #: Arguments that bound a stored value instead of being stored: ``(method, parameter) ->
    #: (table, column, comparison)``; ``with_age_range(65, 70)`` stores an age >= 65 and <= 70.
    BOUNDS: ClassVar[Mapping[tuple[str, str], tuple[str, str, str]]] = MappingProxyType(
        {
            ("with_age_range", "min_age"): ("patients", "age", ">="),
            ("with_age_range", "max_age"): ("patients", "age", "<="),
        }
    )

    @classmethod
    def stored_column(cls, method: str, parameter: str) -> tuple[str, str, str]:
        """``(table, column, comparison)`` for ``method``'s ``parameter``: ``==`` for a value stored
        as given (in its normal form), ``>=``/``<=`` for a bound; UnknownNameError if neither."""
        where = cls.STORED_AS.get((method, parameter))
        if where is not None:
            return (*where, "==")
        bound = cls.BOUNDS.get((method, parameter))
        if bound is None:
            known = [f"{m}({p})" for m, p in (*cls.STORED_AS, *cls.BOUNDS)]
            raise UnknownNameError("stored builder argument", f"{method}({parameter})", known)
        return bound

    @staticmethod
    def stored_form(column: str, value: Any) -> Any:
        """``value`` as the database stores it: phones written any usual way become ``(AAA) NXX-XXXX``.

        A value that cannot be read is kept as given, so the row's rules report it by name.
        """
        if column in ("phone", "emergency_contact_phone") and isinstance(value, str):
            try:
                return normalize_phone(value)
            except ValueError:
                return value
        return value

    def __init__(self, database: Database | None = None, rng: Randomness | int | None = None) -> None:
        self.database = database
        self.rng = resolve(rng)
        self._serials: Iterator[int] = itertools.count(1)
        self.reset()

    # --- chain methods ------------------------------------------------------------------
    def reset(self) -> PatientBuilder:
        """Forget every explicit value and the persona (the build serial keeps counting)."""
        self._persona: PatientPersona | None = None
        self._values: dict[str, Any] = {}
        self._conditions: list[str] | None = None
        self._status = "active"
        return self

    def with_persona(self, persona: PatientPersona | str) -> PatientBuilder:
        """Use ``persona`` (object or registered name) for every unspecified field."""
        self._persona = get_persona(persona)
        return self

    def with_demographics(
        self,
        first_name: str | None = None,
        last_name: str | None = None,
        date_of_birth: date | str | None = None,
        gender: str | None = None,
    ) -> PatientBuilder:
        """Set names, birth date (a date or 'YYYY-MM-DD') and gender; None leaves a field to the persona."""
        self._set(first_name=first_name, last_name=last_name, date_of_birth=date_of_birth, gender=gender)
        return self

    def with_age(self, age: int) -> PatientBuilder:
        """Make the patient exactly ``age`` on ``rng.today`` (birthdays later this year included)."""
        self._values.pop("age_range", None)
        self._values["age"] = age
        return self

    def with_age_range(self, min_age: int, max_age: int) -> PatientBuilder:
        """Draw the age uniformly in ``min_age..max_age`` (within the persona's range)."""
        self._values.pop("age", None)
        self._values["age_range"] = (min_age, max_age)
        return self

    def with_contact(
        self,
        phone: str | None = None,
        email: str | None = None,
        street: str | None = None,
        city: str | None = None,
        state: str | None = None,
        zip: str | None = None,  # noqa: A002 - the exercise's parameter name
    ) -> PatientBuilder:
        """Set contact fields; a lone state gets a real city and ZIP of that state."""
        phone = self.stored_form("phone", phone)
        self._set(phone=phone, email=email, street=street, city=city, state=state, zip_code=zip)
        return self

    def with_emergency_contact(self, name: str | None = None, phone: str | None = None) -> PatientBuilder:
        """Set the emergency contact; the relationship comes from the persona."""
        phone = self.stored_form("emergency_contact_phone", phone)
        self._set(emergency_contact_name=name, emergency_contact_phone=phone)
        return self

    def with_insurance(self, provider: str | None = None, policy_number: str | None = None) -> PatientBuilder:
        """Set the payer and/or policy number; a missing one is derived from the other."""
        self._set(insurance_provider=provider, policy_number=policy_number)
        return self

    def with_medical_history(self, conditions: Sequence[str] | str | None = None) -> PatientBuilder:
        """Use these condition names (reference.CONDITIONS); None draws them from the persona.

        A string is read as a comma-separated list. The persona's ``always`` entries
        (routine immunization for children) are added either way.
        """
        if conditions is None:
            self._conditions = None
        elif isinstance(conditions, str):
            self._conditions = [c.strip() for c in conditions.split(",") if c.strip()]
        else:
            self._conditions = list(conditions)
        return self

    def with_status(self, status: str) -> PatientBuilder:
        """Set the status: one of active, inactive, deceased."""
        self._status = status
        return self

    def as_inactive(self) -> PatientBuilder:
        """Shorthand for ``with_status('inactive')`` (a patient who left the practice)."""
        return self.with_status("inactive")

    def as_deceased(self) -> PatientBuilder:
        """Shorthand for ``with_status('deceased')``."""
        return self.with_status("deceased")

    def with_tenant(self, tenant_id: int | None) -> PatientBuilder:
        """Attach the patient to a tenant (multi-tenant seeding); None: single-tenant data."""
        self._values["tenant_id"] = tenant_id
        return self

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            if value is not None:
                self._values[name] = value

    # --- terminals ----------------------------------------------------------------------
    def build(self) -> PatientDraft:
        """A validated draft (patient, conditions, profile, persona) without a database."""
        return self._build(next(self._serials))

    def create(self) -> Patient:
        """Build and insert patient, history and profile in ONE transaction; returns the
        detached ``Patient`` with ``id``, ``conditions`` and ``profile`` loaded.

        A validation error or a UNIQUE clash writes nothing.
        """
        if self.database is None:
            raise ConfigurationError(
                "PatientBuilder.create() needs a database; pass one: "
                "PatientBuilder(database, rng), or use build() for an unsaved draft"
            )
        database = self.database
        with database.session() as session:
            conn = session.connection()
            serial = database.next_id(conn, "patients")
            draft = self._build(serial)
            first_condition = database.next_id(conn, "patient_conditions")
            patient = Patient(**draft.patient)
            patient.conditions = [
                PatientCondition(id=first_condition + i, **row) for i, row in enumerate(draft.conditions)
            ]
            patient.profile = PatientProfile(**draft.profile)
            patient.appointments = []
            session.add(patient)
            try:
                session.flush()
            except IntegrityError as exc:
                error = uniqueness_error("patients", exc, [draft.patient], UNIQUENESS_RECOVERY)
                if isinstance(error, UniquenessViolation):
                    raise error from None
                raise PersistenceError(error.message, 0, error.recovery) from None
            _sync_sequences(session, ("patients", "patient_conditions"))
        return patient

    def create_batch(self, count: int) -> list[Patient]:
        """``create()`` ``count`` times with the same explicit values (each patient its own draws)."""
        return [self.create() for _ in range(count)]

    # --- internals ----------------------------------------------------------------------
    def _build(self, serial: int) -> PatientDraft:
        inputs = self._checked_inputs()
        draft = draft_patient(self.rng, serial, **inputs)
        raise_for(
            check_patient(
                draft.patient, draft.conditions, draft.profile, today=self.rng.today, persona=draft.persona
            )
        )
        return draft

    def _checked_inputs(self) -> dict[str, Any]:
        """The draft_patient arguments, after checking explicit values with the patient rules."""
        values = dict(self._values)
        today = self.rng.today
        given = {k: v for k, v in values.items() if k not in ("policy_number", "zip_code")}
        given["status"] = self._status
        if "policy_number" in values:
            given["insurance_policy_number"] = values["policy_number"]
        subject = Subject("patients", given, None, today, {"payer": payer_of(given)})
        out = evaluate_given(_EXPLICIT, subject, given)
        wrong = {v.field for v in out}
        age = values.get("age") if "age" not in wrong else None
        age_range = values.get("age_range") if "age_range" not in wrong else None
        raw_birth = values.get("date_of_birth")
        if raw_birth is not None and "date_of_birth" not in wrong:
            values["date_of_birth"] = born = as_date(raw_birth)
            age = age_on(born, today)
        payer = subject.context["payer"]
        explicit = {"given": given, "age": age, "age_range": age_range, "payer": payer, "today": today}

        conditions = self._conditions
        if conditions is not None:
            for name in conditions:
                CONDITIONS.get(name)  # UnknownNameError: suggestion and known names

        persona = self._persona
        if persona is None:
            raise_for(out, "patient explicit values")
            persona = self._choose_persona(explicit, age_range, conditions)
        else:
            out.extend(persona_conflicts(persona, explicit))
            raise_for(out, "patient explicit values")

        if age is None and raw_birth is None:
            age_range = _fit_age_range(persona, age_range, conditions)
        values.pop("age_range", None)
        values.pop("age", None)
        return {
            **values,
            "persona": persona,
            "age": age if raw_birth is None else None,
            "age_range": age_range,
            "conditions": conditions,
            "status": self._status,
        }

    def _choose_persona(
        self, explicit: dict[str, Any], age_range: tuple[int, int] | None, conditions: Sequence[str] | None
    ) -> PatientPersona:
        """A random persona that agrees with every explicit value (so a build cannot fail by chance)."""
        age, payer = explicit["age"], explicit["payer"]
        fitting = [
            p
            for _, p in PERSONAS.items()
            if not persona_conflicts(p, explicit)
            and (age is not None or _fit_age_range(p, age_range, conditions, strict=False) is not None)
        ]
        if not fitting:
            what = f"age {age}" if age is not None else f"age range {age_range}" if age_range else "values"
            raise PersonaValidationError(
                ValidationReport(
                    "patient explicit values",
                    1,
                    [
                        Violation(
                            "patients",
                            None,
                            "persona",
                            declared.PERSONA_NONE_FITS.name,
                            f"no persona accepts the explicit {what} "
                            f"with insurance {getattr(payer, 'name', None)!r}",
                            "relax the explicit values or choose a persona with with_persona()",
                            BUSINESS,
                        )
                    ],
                )
            )
        return fitting[int(self.rng.random.random() * len(fitting))]


def stored_value(
    patient: Mapping[str, Any],
    conditions: Sequence[Mapping[str, Any]],
    profile: Mapping[str, Any] | None,
    table: str,
    column: str,
    today: date,
) -> Any:
    """The value a built or stored patient holds at ``table.column`` (see ``STORED_AS``).

    ``patients.age`` is the age on ``today``; ``patient_conditions.<column>`` the list
    over every history row.
    """
    if table == "patient_conditions":
        return [c[column] for c in conditions]
    if table == "patient_profiles":
        return (profile or {}).get(column)
    if column == "age":
        return age_on(patient["date_of_birth"], today)
    return patient[column]


def persona_conflicts(persona: PatientPersona, explicit: Mapping[str, Any]) -> list[Violation]:
    """Explicit values that contradict ``persona``: the persona rules over the values given."""
    context = {"persona": persona, "age": explicit["age"], "age_range": explicit["age_range"],
               "payer": explicit["payer"]}
    subject = Subject("patients", explicit["given"], None, explicit["today"], context)
    return evaluate_given(_PERSONA, subject, explicit["given"])


def _fit_age_range(
    persona: PatientPersona,
    age_range: tuple[int, int] | None,
    conditions: Sequence[str] | None,
    *,
    strict: bool = True,
) -> tuple[int, int] | None:
    """The ages to draw from: persona range ∩ explicit range ∩ every explicit condition's range.

    With ``strict`` an empty intersection raises BusinessRuleViolation naming the
    condition that cannot fit; otherwise it returns None.
    """
    low, high = persona.age_range
    if age_range is not None:
        low, high = max(low, age_range[0]), min(high, age_range[1])
    for name in conditions or ():
        condition = CONDITIONS.get(name)
        new_low, new_high = max(low, condition.min_age), min(high, condition.max_age)
        if new_low > new_high:
            if not strict:
                return None
            raise BusinessRuleViolation(
                ValidationReport(
                    "patient explicit values",
                    1,
                    [
                        Violation(
                            "patient_conditions",
                            None,
                            "condition",
                            CONDITION_FITS_AGE.name,
                            f"{name!r} (plausible at {condition.min_age}-{condition.max_age}) cannot fit "
                            f"{persona.name} aged {low}-{high}",
                            f"drop {name!r} or choose a persona whose ages overlap "
                            f"{condition.min_age}-{condition.max_age}",
                            BUSINESS,
                        )
                    ],
                )
            )
        low, high = new_low, new_high
    return low, high


def _sync_sequences(session: Session, tables: Sequence[str]) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the highest id."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )
