"""measure.measured_write: a dataset written, timed per entity, with its peak memory."""

from __future__ import annotations

from healthcare_data.generation import DatasetSpec
from healthcare_data.measure import measured_write


def test_measured_write_stores_the_spec_and_reports_each_entity(sqlite_db, rng):
    spec = DatasetSpec(patients=20, providers=4, appointments=30, medical_records=10, insurance_claims=5)
    run = measured_write(sqlite_db, spec, rng, batch_size=7)
    stored = sqlite_db.counts()
    assert {e: stored[e] for e in spec.counts} == spec.counts
    assert run.seconds > 0 and run.memory.samples > 0 and run.memory.peak_mb >= run.memory.baseline_mb

    seconds = run.entity_seconds(["patients", "appointments"])
    # patients own the tables streamed after them up to appointments (conditions, profiles, providers)
    assert seconds["patients"] >= run.result.seconds["patients"] + run.result.seconds["patient_conditions"]
    assert 0 < sum(seconds.values()) <= run.seconds

    rows = run.summary_rows(stored, {"patients": 30.0, "appointments": 12.5})
    assert [r["entity"] for r in rows] == ["patients", "appointments", "total"]
    assert rows[0]["count"] == 20 and rows[1]["limit s"] == 12.5
    assert rows[-1]["count"] == sum(stored.values()) and rows[-1]["limit s"] is None


def test_memory_summary_names_the_limits(sqlite_db, rng):
    run = measured_write(sqlite_db, DatasetSpec(patients=3), rng, batch_size=100)
    summary = run.memory.summary(600, 100)
    assert summary["limit MB"] == 600 and summary["growth limit MB"] == 100
    assert summary["peak MB"] == round(run.memory.peak_mb, 1)
