"""Statistical realism tests: honest samples pass, skewed ones fail, small ones stay valid."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from healthcare_data.db import Database
from healthcare_data.personas import PERSONAS
from healthcare_data.randomness import Randomness
from healthcare_data.reference import STATE_WEIGHTS
from healthcare_data.schema import Base
from healthcare_data.validation.statistics import (
    age_distribution_test,
    age_range_share,
    birth_date_bounds,
    completed_years,
    gender_distribution_test,
    persona_distribution_report,
    state_distribution_test,
)

TODAY = date(2026, 11, 22)
ELDERLY = PERSONAS.get("elderly_patient").demographics.gender_weights


def draw(rng: Randomness, weights: dict[str, float], n: int) -> Counter[str]:
    return Counter(rng.weighted(weights) for _ in range(n))


# --- gender ----------------------------------------------------------------------------


def test_an_honest_gender_sample_fits(rng: Randomness) -> None:
    result = gender_distribution_test(draw(rng, ELDERLY, 3000), ELDERLY)
    assert result.ok, result.detail
    assert result.method == "chi-square, df 2"
    assert result.p_value >= 0.01 and result.n == 3000


def test_a_skewed_gender_sample_fails_with_its_statistics_in_the_detail() -> None:
    result = gender_distribution_test({"male": 700, "female": 300}, ELDERLY)
    assert not result.ok
    assert result.p_value < 1e-10
    assert "chi-square" in result.detail and "male 70.0% vs 44.0%" in result.detail
    assert f"statistic {result.statistic:.3f}" in result.detail


def test_rare_categories_are_merged_so_the_chi_square_stays_valid() -> None:
    # 200 patients expect 2 'other': below 5, so 'other' joins the next smallest bucket.
    result = gender_distribution_test({"female": 110, "male": 88, "other": 2}, ELDERLY)
    assert result.method == "chi-square, df 1"
    assert result.ok


def test_small_samples_use_the_exact_binomial_test() -> None:
    result = gender_distribution_test({"female": 3, "male": 3}, ELDERLY)
    assert result.method.startswith("exact binomial")
    assert result.ok
    all_male = gender_distribution_test({"male": 8}, {"male": 0.1, "female": 0.9})
    assert all_male.method.startswith("exact binomial")
    assert not all_male.ok and all_male.p_value < 1e-7


def test_a_category_the_persona_never_produces_fails_outright() -> None:
    children = PERSONAS.get("pediatric_patient").demographics.gender_weights
    result = gender_distribution_test({"male": 50, "female": 49, "other": 1}, children)
    assert not result.ok and result.p_value == 0.0 and math.isinf(result.statistic)
    assert "'other' x1" in result.detail and "female, male" in result.detail


def test_tolerance_forgives_significant_but_small_gaps() -> None:
    observed = {"female": 52_500, "male": 47_500}  # 2.5 points off a 50/50 split
    strict = gender_distribution_test(observed, {"female": 1, "male": 1})
    lenient = gender_distribution_test(observed, {"female": 1, "male": 1}, tolerance=0.05)
    assert not strict.ok and strict.p_value < 0.01
    assert lenient.ok and lenient.p_value == strict.p_value


def test_no_observations_is_not_a_failure() -> None:
    assert gender_distribution_test({}, ELDERLY).ok


def test_invalid_expected_shares_are_rejected() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        gender_distribution_test({"male": 1}, {"male": -1})


# --- ages ------------------------------------------------------------------------------


def test_uniform_whole_year_ages_fit(rng: Randomness) -> None:
    ages = [rng.randint(65, 95) for _ in range(5000)]
    result = age_distribution_test(ages, 65, 95)
    assert result.ok, result.detail
    assert result.method == "kolmogorov-smirnov" and "0 outside" in result.detail


def test_age_counts_and_fractional_ages_are_accepted(rng: Randomness) -> None:
    counts = Counter(rng.randint(0, 17) for _ in range(2000))
    assert age_distribution_test(counts, 0, 17).ok
    exact = [rng.random.uniform(25, 41) for _ in range(2000)]
    assert age_distribution_test(exact, 25, 40).ok


def test_ages_crowded_at_one_end_fail(rng: Randomness) -> None:
    ages = [rng.randint(65, 70) for _ in range(500)]
    result = age_distribution_test(ages, 65, 95)
    assert not result.ok
    assert result.statistic > 0.5 and "D=" in result.detail


def test_out_of_range_ages_are_counted_in_the_detail() -> None:
    result = age_distribution_test([30, 31, 32, 10], 25, 40)
    assert "1 outside the range" in result.detail


def test_age_range_share() -> None:
    assert age_range_share([64, 65, 80, 95, 96], 65, 95) == pytest.approx(3 / 5)
    assert age_range_share({70: 3, 50: 1}, 65, 95) == pytest.approx(0.75)
    assert age_range_share([], 65, 95) == 0.0


def test_completed_years_and_birth_bounds() -> None:
    assert completed_years(date(2000, 11, 23), TODAY) == 25
    assert completed_years(date(2000, 11, 22), TODAY) == 26
    earliest, latest = birth_date_bounds(65, 95, TODAY)
    assert completed_years(earliest, TODAY) == 95
    assert completed_years(earliest - timedelta(days=1), TODAY) == 96
    assert completed_years(latest, TODAY) == 65
    assert completed_years(latest + timedelta(days=1), TODAY) == 64


# --- states ----------------------------------------------------------------------------


def test_states_drawn_from_the_population_weights_fit(rng: Randomness) -> None:
    states = [rng.weighted(STATE_WEIGHTS) for _ in range(5000)]
    result = state_distribution_test(states)
    assert result.ok, result.detail
    assert result.method.startswith("chi-square")


def test_everyone_in_one_state_fails() -> None:
    result = state_distribution_test({"CA": 1000})
    assert not result.ok and "CA 100.0% vs" in result.detail


def test_an_unknown_state_fails() -> None:
    result = state_distribution_test(["CA", "ZZ"])
    assert not result.ok and "'ZZ' x1" in result.detail


# --- the database report ---------------------------------------------------------------


def persona_rows(
    rng: Randomness, counts: dict[str, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Patients drawn honestly from each persona: uniform ages, persona gender weights."""
    patients, profiles = [], []
    serial = 0
    for name, count in counts.items():
        persona = PERSONAS.get(name)
        low, high = persona.age_range
        for _ in range(count):
            serial += 1
            age = rng.randint(low, high)
            earliest, latest = birth_date_bounds(age, age, TODAY)
            born = earliest + timedelta(days=rng.randint(0, (latest - earliest).days))
            patients.append(
                {
                    "id": serial,
                    "uuid": f"00000000-0000-4000-8000-{serial:012d}",
                    "patient_id": f"PAT-{serial:08d}",
                    "first_name": "Test",
                    "last_name": f"Patient{serial}",
                    "date_of_birth": born,
                    "gender": rng.weighted(persona.demographics.gender_weights),
                    "address_state": rng.weighted(STATE_WEIGHTS),
                }
            )
            profiles.append({"patient_id": serial, "persona": name})
    return patients, profiles


def store(db: Database, patients: list[dict[str, Any]], profiles: list[dict[str, Any]]) -> None:
    with db.transaction() as conn:
        conn.execute(Base.metadata.tables["patients"].insert(), patients)
        conn.execute(Base.metadata.tables["patient_profiles"].insert(), profiles)


MIX = {"elderly_patient": 400, "young_professional": 300, "pediatric_patient": 300}


def test_an_honest_persona_dataset_passes(db: Database, rng: Randomness) -> None:
    store(db, *persona_rows(rng, MIX))
    with db.engine.connect() as conn:
        report = persona_distribution_report(conn, TODAY, tolerance=0.05)
    assert report.ok, report.summary()
    assert report.checked == 1000
    names = {t.name for t in report.tests}
    assert {"elderly_patient.gender_distribution", "pediatric_patient.age_distribution"} <= names
    assert "state_distribution" in names
    # Seven tests (gender and age for three personas, states): each at 0.01 / 7 (Bonferroni).
    assert len(report.tests) == 7
    assert all("alpha 0.00143" in t.detail for t in report.tests)


def test_a_chance_result_of_one_test_among_many_is_not_a_failure(db: Database, rng: Randomness) -> None:
    patients, profiles = persona_rows(rng, {**MIX, "elderly_patient": 12})
    elderly = {prof["patient_id"] for prof in profiles if prof["persona"] == "elderly_patient"}
    for patient in patients:
        if patient["id"] in elderly:
            patient["gender"] = "female"  # 12 women of 12: p ~ 0.002 on its own
    store(db, patients, profiles)
    with db.engine.connect() as conn:
        report = persona_distribution_report(conn, TODAY, tolerance=0.05)
    gender = next(t for t in report.tests if t.name == "elderly_patient.gender_distribution")
    assert 0.01 / 7 < gender.p_value < 0.01  # significant alone, not among seven tests
    assert report.ok, report.summary()


def test_out_of_range_ages_and_wrong_gender_mix_are_reported(db: Database, rng: Randomness) -> None:
    patients, profiles = persona_rows(rng, MIX)
    elderly = [p for p, prof in zip(patients, profiles, strict=True) if prof["persona"] == "elderly_patient"]
    young = elderly[0]
    young["date_of_birth"] = date(1996, 5, 1)  # 30 years old, an "elderly" patient
    for p in elderly:  # every elderly patient male: far from 55/44/1
        p["gender"] = "male"
    store(db, patients, profiles)
    with db.engine.connect() as conn:
        report = persona_distribution_report(conn, TODAY, tolerance=0.05)
    rules = {(v.key, v.rule) for v in report.violations}
    assert (young["patient_id"], "persona_age_range") in rules
    assert ("persona:elderly_patient", "gender_distribution") in rules
    age_violation = next(v for v in report.violations if v.rule == "persona_age_range")
    assert "is 30 on 2026-11-22, outside elderly_patient's ages 65-95" in age_violation.message
    gender = next(v for v in report.violations if v.rule == "gender_distribution")
    assert "male 100.0% vs 44.0%" in gender.message and "p=" in gender.message
    assert all(v.category == "statistics" for v in report.violations)
    # Other personas are untouched.
    assert not any("young_professional" in str(v.key) for v in report.violations)
