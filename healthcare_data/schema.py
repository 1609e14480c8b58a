"""SQLAlchemy 2.0 models: the exercise's five tables, exactly, plus two extensions.

Table and column names, types, defaults, UNIQUE and CHECK constraints and foreign
keys are those of the exercise's ``healthcare-schema.sql`` (the contract). Added
beside it, never instead of it:

* ``appointments.visit_mode`` ('in_person' | 'telemedicine'), so a telemedicine
  preference is stored, not implied;
* ``patient_conditions``: a patient's medical history (``with_medical_history``),
  one row per condition with its ICD-10-CM code and current medication;
* ``patient_profiles``: the persona-driven attributes the patients table has no
  column for (persona, compliance, visit frequency, emergency-contact relationship);
* ``tenants`` and ``locations``, with a nullable ``tenant_id`` on patients, providers
  and appointments, for multi-tenant seeding (NULL: single-tenant data);
* patient journeys (:mod:`healthcare_data.journeys`): ``care_journeys`` and
  ``journey_steps`` (each journey run and the states it entered), ``prescriptions``,
  ``dispensings``, ``referrals`` and ``ledger_entries``.

UNIQUE columns are declared ``unique=True, index=True``: a named unique *index*
(``ix_<table>_<column>``) rather than an inline constraint, so a fresh bulk load can drop
it and build it after the rows are in (:mod:`healthcare_data.indexes`); it enforces the
same rule.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """Declarative base of every table the library owns."""


class Tenant(Base):
    """An isolated practice organisation in multi-tenant seeding (extension table)."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    created_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())

    def __repr__(self) -> str:
        return f"Tenant(id={self.id!r}, name={self.name!r})"


class Location(Base):
    """A site where a tenant's providers see patients (extension table)."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address_street: Mapped[str | None] = mapped_column(String(255))
    address_city: Mapped[str | None] = mapped_column(String(100))
    address_state: Mapped[str | None] = mapped_column(String(2))
    address_zip: Mapped[str | None] = mapped_column(String(10))

    def __repr__(self) -> str:
        return f"Location(id={self.id!r}, name={self.name!r})"


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (
        CheckConstraint(
            "gender IN ('male', 'female', 'other', 'unknown')", name="ck_patients_gender"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    patient_id: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(10))
    ssn: Mapped[str | None] = mapped_column(String(11), unique=True, index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(255))
    address_street: Mapped[str | None] = mapped_column(String(255))
    address_city: Mapped[str | None] = mapped_column(String(100))
    address_state: Mapped[str | None] = mapped_column(String(2))
    address_zip: Mapped[str | None] = mapped_column(String(10))
    emergency_contact_name: Mapped[str | None] = mapped_column(String(200))
    emergency_contact_phone: Mapped[str | None] = mapped_column(String(20))
    insurance_provider: Mapped[str | None] = mapped_column(String(100))
    insurance_policy_number: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str | None] = mapped_column(String(20), server_default=text("'active'"))
    created_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)

    conditions: Mapped[list[PatientCondition]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="PatientCondition.id"
    )
    profile: Mapped[PatientProfile | None] = relationship(
        back_populates="patient", cascade="all, delete-orphan", uselist=False
    )
    appointments: Mapped[list[Appointment]] = relationship(back_populates="patient")

    def __repr__(self) -> str:
        return f"Patient(id={self.id!r}, patient_id={self.patient_id!r})"


class Provider(Base):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    npi_number: Mapped[str] = mapped_column(String(10), unique=True, index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    specialty: Mapped[str] = mapped_column(String(100))
    license_number: Mapped[str | None] = mapped_column(String(40), unique=True, index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(255))
    practice_name: Mapped[str | None] = mapped_column(String(255))
    practice_address: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(String(20), server_default=text("'active'"))
    created_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)

    appointments: Mapped[list[Appointment]] = relationship(back_populates="provider")

    def __repr__(self) -> str:
        return f"Provider(id={self.id!r}, npi_number={self.npi_number!r})"


class Appointment(Base):
    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    appointment_date: Mapped[datetime] = mapped_column(DateTime)
    duration_minutes: Mapped[int | None] = mapped_column(Integer, server_default=text("30"))
    appointment_type: Mapped[str] = mapped_column(String(50))
    status: Mapped[str | None] = mapped_column(String(20), server_default=text("'scheduled'"))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())
    visit_mode: Mapped[str | None] = mapped_column(String(20), server_default=text("'in_person'"))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)

    patient: Mapped[Patient] = relationship(back_populates="appointments")
    provider: Mapped[Provider] = relationship(back_populates="appointments")

    def __repr__(self) -> str:
        return (
            f"Appointment(id={self.id!r}, provider_id={self.provider_id!r}, "
            f"appointment_date={self.appointment_date!r}, type={self.appointment_type!r})"
        )


class MedicalRecord(Base):
    __tablename__ = "medical_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    record_type: Mapped[str] = mapped_column(String(50))
    diagnosis_code: Mapped[str | None] = mapped_column(String(10))
    diagnosis_description: Mapped[str | None] = mapped_column(Text)
    treatment_notes: Mapped[str | None] = mapped_column(Text)
    medications: Mapped[str | None] = mapped_column(Text)
    follow_up_required: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"))
    record_date: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())

    def __repr__(self) -> str:
        return f"MedicalRecord(id={self.id!r}, diagnosis_code={self.diagnosis_code!r})"


class InsuranceClaim(Base):
    __tablename__ = "insurance_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    claim_number: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    claim_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    submitted_date: Mapped[date] = mapped_column(Date)
    processed_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str | None] = mapped_column(String(20), server_default=text("'submitted'"))
    denial_reason: Mapped[str | None] = mapped_column(Text)
    payment_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    created_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())

    def __repr__(self) -> str:
        return f"InsuranceClaim(id={self.id!r}, claim_number={self.claim_number!r})"


class PatientCondition(Base):
    """One entry of a patient's medical history (extension table)."""

    __tablename__ = "patient_conditions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    condition: Mapped[str] = mapped_column(String(100))
    icd10_code: Mapped[str] = mapped_column(String(10))
    chronic: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    medication: Mapped[str | None] = mapped_column(Text)

    patient: Mapped[Patient] = relationship(back_populates="conditions")

    def __repr__(self) -> str:
        return f"PatientCondition(patient_id={self.patient_id!r}, icd10_code={self.icd10_code!r})"


class PatientProfile(Base):
    """Persona-driven attributes with no column in ``patients`` (extension table)."""

    __tablename__ = "patient_profiles"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    persona: Mapped[str | None] = mapped_column(String(50), index=True)
    preferred_language: Mapped[str | None] = mapped_column(String(40))
    medication_compliance: Mapped[str | None] = mapped_column(String(10))
    appointment_compliance: Mapped[str | None] = mapped_column(String(10))
    communication_style: Mapped[str | None] = mapped_column(String(10))
    tech_savviness: Mapped[str | None] = mapped_column(String(10))
    coverage_level: Mapped[str | None] = mapped_column(String(10))
    annual_deductible: Mapped[int | None] = mapped_column(Integer)
    payment_arrangement: Mapped[str | None] = mapped_column(String(20))
    visits_per_year: Mapped[int | None] = mapped_column(Integer)
    emergency_contact_relationship: Mapped[str | None] = mapped_column(String(20))
    allergies: Mapped[str | None] = mapped_column(Text)

    patient: Mapped[Patient] = relationship(back_populates="profile")

    def __repr__(self) -> str:
        return f"PatientProfile(patient_id={self.patient_id!r}, persona={self.persona!r})"



# --- patient journeys (extension tables, healthcare_data.journeys) --------------------


class CareJourney(Base):
    """One run of a journey state machine for a patient (a workflow scenario)."""

    __tablename__ = "care_journeys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    journey: Mapped[str] = mapped_column(String(50), index=True)
    segment: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime] = mapped_column(DateTime)
    final_step: Mapped[str] = mapped_column(String(50))

    def __repr__(self) -> str:
        return f"CareJourney(id={self.id!r}, journey={self.journey!r}, final_step={self.final_step!r})"


class JourneyStep(Base):
    """One state a journey entered: which entity it touched, that entity's status, when."""

    __tablename__ = "journey_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("care_journeys.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return f"JourneyStep(journey_id={self.journey_id!r}, seq={self.seq!r}, step={self.step!r})"


class Prescription(Base):
    """A drug (RxNorm concept) prescribed at a visit for the diagnosis of its record."""

    __tablename__ = "prescriptions"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_prescriptions_quantity"),
        CheckConstraint("refills >= 0", name="ck_prescriptions_refills"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    medical_record_id: Mapped[int | None] = mapped_column(ForeignKey("medical_records.id"), index=True)
    diagnosis_code: Mapped[str] = mapped_column(String(10))
    rxnorm_code: Mapped[str] = mapped_column(String(12))
    drug_name: Mapped[str] = mapped_column(String(200))
    dose: Mapped[str] = mapped_column(String(50))
    route: Mapped[str] = mapped_column(String(30))
    frequency: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    refills: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'written'"))
    prescribed_at: Mapped[datetime] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return f"Prescription(id={self.id!r}, rxnorm_code={self.rxnorm_code!r}, status={self.status!r})"


class Dispensing(Base):
    """A fill of a prescription at a pharmacy."""

    __tablename__ = "dispensings"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_dispensings_quantity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    pharmacy: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    dispensed_at: Mapped[datetime] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return f"Dispensing(id={self.id!r}, prescription_id={self.prescription_id!r})"


class Referral(Base):
    """A primary-care referral to a specialty: requested -> scheduled -> completed | expired."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    referring_provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    from_appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    specialty: Mapped[str] = mapped_column(String(100))
    diagnosis_code: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'requested'"))
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    expires_on: Mapped[date] = mapped_column(Date)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), index=True)

    def __repr__(self) -> str:
        return f"Referral(id={self.id!r}, specialty={self.specialty!r}, status={self.status!r})"


class LedgerEntry(Base):
    """Money posted for a visit: the payer's and the patient's portions of a claim, or self-pay."""

    __tablename__ = "ledger_entries"
    __table_args__ = (CheckConstraint("amount >= 0", name="ck_ledger_entries_amount"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_claims.id"), index=True)
    party: Mapped[str] = mapped_column(String(10))  # payer | patient
    kind: Mapped[str] = mapped_column(String(30))  # insurance_payment | patient_responsibility | self_pay
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    posted_on: Mapped[date] = mapped_column(Date)

    def __repr__(self) -> str:
        return f"LedgerEntry(id={self.id!r}, party={self.party!r}, amount={self.amount!r})"


# The exercise declares ``INTEGER PRIMARY KEY AUTOINCREMENT``: on SQLite that keeps ids
# from being reused after deletes and gives sequences (sqlite_sequence) to reset.
for _table in Base.metadata.tables.values():
    if _table.name != "patient_profiles":
        _table.dialect_options["sqlite"]["autoincrement"] = True

# Tables in dependency order (parents first); cleanup walks it backwards.
TABLES = Base.metadata.sorted_tables
