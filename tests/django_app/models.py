"""Models written by hand from the exercise's schema (not generated from ours), so a
fixture that does not match the tables fails to load."""

from django.db import models


class Tenant(models.Model):
    uuid = models.CharField(max_length=36, unique=True)
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "tenants"


class Location(models.Model):
    uuid = models.CharField(max_length=36, unique=True)
    tenant = models.ForeignKey(Tenant, null=True, on_delete=models.PROTECT)
    name = models.CharField(max_length=200)
    address_street = models.CharField(max_length=255, null=True)
    address_city = models.CharField(max_length=100, null=True)
    address_state = models.CharField(max_length=2, null=True)
    address_zip = models.CharField(max_length=10, null=True)

    class Meta:
        db_table = "locations"


class Patient(models.Model):
    uuid = models.CharField(max_length=36, unique=True)
    patient_id = models.CharField(max_length=20, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    gender = models.CharField(max_length=10, null=True)
    ssn = models.CharField(max_length=11, unique=True, null=True)
    phone = models.CharField(max_length=20, null=True)
    email = models.CharField(max_length=255, null=True)
    address_street = models.CharField(max_length=255, null=True)
    address_city = models.CharField(max_length=100, null=True)
    address_state = models.CharField(max_length=2, null=True)
    address_zip = models.CharField(max_length=10, null=True)
    emergency_contact_name = models.CharField(max_length=200, null=True)
    emergency_contact_phone = models.CharField(max_length=20, null=True)
    insurance_provider = models.CharField(max_length=100, null=True)
    insurance_policy_number = models.CharField(max_length=40, null=True)
    status = models.CharField(max_length=20, null=True)
    created_at = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(null=True)
    tenant = models.ForeignKey(Tenant, null=True, on_delete=models.PROTECT)

    class Meta:
        db_table = "patients"


class Provider(models.Model):
    uuid = models.CharField(max_length=36, unique=True)
    npi_number = models.CharField(max_length=10, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    specialty = models.CharField(max_length=100)
    license_number = models.CharField(max_length=40, unique=True, null=True)
    phone = models.CharField(max_length=20, null=True)
    email = models.CharField(max_length=255, null=True)
    practice_name = models.CharField(max_length=255, null=True)
    practice_address = models.CharField(max_length=255, null=True)
    status = models.CharField(max_length=20, null=True)
    created_at = models.DateTimeField(null=True)
    tenant = models.ForeignKey(Tenant, null=True, on_delete=models.PROTECT)

    class Meta:
        db_table = "providers"


class Appointment(models.Model):
    uuid = models.CharField(max_length=36, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT)
    appointment_date = models.DateTimeField()
    duration_minutes = models.IntegerField(null=True)
    appointment_type = models.CharField(max_length=50)
    status = models.CharField(max_length=20, null=True)
    notes = models.TextField(null=True)
    created_at = models.DateTimeField(null=True)
    visit_mode = models.CharField(max_length=20, null=True)
    tenant = models.ForeignKey(Tenant, null=True, on_delete=models.PROTECT)

    class Meta:
        db_table = "appointments"


class MedicalRecord(models.Model):
    uuid = models.CharField(max_length=36, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT)
    appointment = models.ForeignKey(Appointment, null=True, on_delete=models.PROTECT)
    record_type = models.CharField(max_length=50)
    diagnosis_code = models.CharField(max_length=10, null=True)
    diagnosis_description = models.TextField(null=True)
    treatment_notes = models.TextField(null=True)
    medications = models.TextField(null=True)
    follow_up_required = models.BooleanField(null=True)
    record_date = models.DateTimeField(null=True)

    class Meta:
        db_table = "medical_records"


class InsuranceClaim(models.Model):
    uuid = models.CharField(max_length=36, unique=True)
    claim_number = models.CharField(max_length=20, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT)
    appointment = models.ForeignKey(Appointment, null=True, on_delete=models.PROTECT)
    claim_amount = models.DecimalField(max_digits=10, decimal_places=2)
    submitted_date = models.DateField()
    processed_date = models.DateField(null=True)
    status = models.CharField(max_length=20, null=True)
    denial_reason = models.TextField(null=True)
    payment_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    created_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "insurance_claims"


class PatientCondition(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT)
    condition = models.CharField(max_length=100)
    icd10_code = models.CharField(max_length=10)
    chronic = models.BooleanField()
    medication = models.TextField(null=True)

    class Meta:
        db_table = "patient_conditions"


class PatientProfile(models.Model):
    patient = models.OneToOneField(Patient, primary_key=True, on_delete=models.PROTECT)
    persona = models.CharField(max_length=50, null=True)
    preferred_language = models.CharField(max_length=40, null=True)
    medication_compliance = models.CharField(max_length=10, null=True)
    appointment_compliance = models.CharField(max_length=10, null=True)
    communication_style = models.CharField(max_length=10, null=True)
    tech_savviness = models.CharField(max_length=10, null=True)
    coverage_level = models.CharField(max_length=10, null=True)
    annual_deductible = models.IntegerField(null=True)
    payment_arrangement = models.CharField(max_length=20, null=True)
    visits_per_year = models.IntegerField(null=True)
    emergency_contact_relationship = models.CharField(max_length=20, null=True)
    allergies = models.TextField(null=True)

    class Meta:
        db_table = "patient_profiles"


class CareJourney(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT)
    journey = models.CharField(max_length=50)
    segment = models.CharField(max_length=20)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    final_step = models.CharField(max_length=50)

    class Meta:
        db_table = "care_journeys"


class JourneyStep(models.Model):
    journey = models.ForeignKey(CareJourney, on_delete=models.PROTECT)
    seq = models.IntegerField()
    step = models.CharField(max_length=50)
    entity = models.CharField(max_length=30)
    entity_id = models.IntegerField()
    status = models.CharField(max_length=20, null=True)
    occurred_at = models.DateTimeField()

    class Meta:
        db_table = "journey_steps"


class Prescription(models.Model):
    uuid = models.CharField(max_length=36, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT)
    appointment = models.ForeignKey(Appointment, null=True, on_delete=models.PROTECT)
    medical_record = models.ForeignKey(MedicalRecord, null=True, on_delete=models.PROTECT)
    diagnosis_code = models.CharField(max_length=10)
    rxnorm_code = models.CharField(max_length=12)
    drug_name = models.CharField(max_length=200)
    dose = models.CharField(max_length=50)
    route = models.CharField(max_length=30)
    frequency = models.CharField(max_length=100)
    quantity = models.IntegerField()
    refills = models.IntegerField()
    status = models.CharField(max_length=20)
    prescribed_at = models.DateTimeField()

    class Meta:
        db_table = "prescriptions"


class Dispensing(models.Model):
    uuid = models.CharField(max_length=36, unique=True)
    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT)
    pharmacy = models.CharField(max_length=200)
    quantity = models.IntegerField()
    dispensed_at = models.DateTimeField()

    class Meta:
        db_table = "dispensings"


class Referral(models.Model):
    uuid = models.CharField(max_length=36, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT)
    referring_provider = models.ForeignKey(Provider, on_delete=models.PROTECT)
    from_appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="+")
    specialty = models.CharField(max_length=100)
    diagnosis_code = models.CharField(max_length=10, null=True)
    status = models.CharField(max_length=20)
    issued_at = models.DateTimeField()
    expires_on = models.DateField()
    appointment = models.ForeignKey(Appointment, null=True, on_delete=models.PROTECT)

    class Meta:
        db_table = "referrals"


class LedgerEntry(models.Model):
    uuid = models.CharField(max_length=36, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT)
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT)
    claim = models.ForeignKey(InsuranceClaim, null=True, on_delete=models.PROTECT)
    party = models.CharField(max_length=10)
    kind = models.CharField(max_length=30)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    posted_on = models.DateField()

    class Meta:
        db_table = "ledger_entries"
