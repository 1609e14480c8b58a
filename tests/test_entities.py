"""A full visit from the library, the way the workflow table makes one."""

from __future__ import annotations

from datetime import date

from healthcare_data.entities import ENTITIES, create_visit
from healthcare_data.randomness import Randomness
from healthcare_data.validation import run_all


def test_create_visit_makes_every_entity_linked_and_valid(db):
    rng = Randomness(5, today=date(2026, 11, 22))
    visit = create_visit(db, rng, persona="elderly_patient", specialty="Cardiology", amount="$1,250.00")
    assert set(visit) == {e.link for _, e in ENTITIES.items()}
    claim, appointment = visit["insurance_claim"], visit["appointment"]
    assert claim.appointment_id == appointment.id and str(claim.claim_amount) == "1250.00"
    assert appointment.appointment_date.hour < 12  # the elderly persona's morning preference
    reports = run_all(db, rng.today, names=["referential_integrity", "format_validation", "business_rules"])
    assert all(report.ok for report in reports.values()), {n: r.summary() for n, r in reports.items()}
