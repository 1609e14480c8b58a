"""Every built-in profile generates its exact counts for every seed, fresh and appended.

A built-in profile is a promise: ``healthcare-data seed --profile standard --seed N``
must work for any N. Generation only (no database), so a hundred seeds per profile stay
fast; a refusal (``ConfigurationError``) or a count off by one fails the sweep.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import pytest

from healthcare_data.generation import generate_dataset
from healthcare_data.profiles import PROFILES
from healthcare_data.randomness import Randomness
from healthcare_data.seeding import append_rng, dataset_spec
from tests.conftest import TEST_TODAY

SEEDS = range(100)
COUNTED = ("patients", "providers", "appointments", "medical_records", "insurance_claims")


def _counts(
    profile_name: str, seed: int, first_ids: dict[str, int] | None = None, *, stop_early: bool = False
) -> tuple[Counter[str], int, int]:
    """Rows per table of one generation run (``stop_early``: up to the first record).

    Records and claims are chosen only after the generator has checked that enough
    completed (and insured) visits exist, so reaching the first record proves that
    check passed; the eligible visits are then counted from the appointment rows.
    """
    profile = PROFILES.get(profile_name)
    spec = dataset_spec(profile, first_ids=first_ids)
    rng = Randomness(seed, today=TEST_TODAY)
    if first_ids:
        rng = append_rng(rng, first_ids)
    counts: Counter[str] = Counter()
    insured: set[int] = set()
    eligible = completed = 0
    for batch in generate_dataset(spec, rng, 5000):
        if batch.table == "patients":
            insured.update(r["id"] for r in batch.rows if r["insurance_provider"])
        elif batch.table == "appointments":
            done = [r for r in batch.rows if r["status"] == "completed"]
            completed += len(done)
            eligible += sum(1 for r in done if r["patient_id"] in insured)
        elif stop_early and batch.table in ("medical_records", "insurance_claims"):
            break
        counts[batch.table] += len(batch)
    return counts, completed, eligible


def _assert_satisfied(
    profile_name: str, counts: Counter[str], completed: int, eligible: int, full: bool
) -> None:
    profile = PROFILES.get(profile_name)
    assert completed >= profile.count("medical_records")
    assert eligible >= profile.count("insurance_claims")
    for table in COUNTED if full else COUNTED[:3]:
        assert counts[table] == profile.count(table), table


@pytest.mark.parametrize("profile_name", ["minimal", "standard", "integration"])
def test_every_seed_satisfies_the_profile(profile_name: str) -> None:
    for seed in SEEDS:
        counts, completed, eligible = _counts(profile_name, seed)
        _assert_satisfied(profile_name, counts, completed, eligible, full=True)


def _load_test_seed(seed: int) -> None:
    full = seed < 3
    counts, completed, eligible = _counts("load_test", seed, stop_early=not full)
    _assert_satisfied("load_test", counts, completed, eligible, full=full)


def test_every_seed_satisfies_load_test() -> None:
    """The big profile: 100 seeds up to the records (the eligibility check), 3 in full.

    Two worker processes: a seed is ~0.2 s of pure Python, so this halves the wall time.
    """
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(_load_test_seed, SEEDS))


@pytest.mark.parametrize("profile_name", ["minimal", "standard", "integration"])
def test_appending_works_wherever_fresh_does(profile_name: str) -> None:
    """An append continues after a first run of the same profile (ids and stream differ)."""
    profile = PROFILES.get(profile_name)
    first_ids = {t: profile.count(t) + 1 for t in COUNTED}
    first_ids.update(tenants=profile.tenants + 1, locations=profile.count("locations") + 1)
    for seed in range(30):
        counts, completed, eligible = _counts(profile_name, seed, first_ids)
        _assert_satisfied(profile_name, counts, completed, eligible, full=True)


def test_forced_visits_are_a_small_share() -> None:
    """Keeping pace forces few visits: the persona mix still shapes the data (realism)."""
    from healthcare_data import generation

    calls = forced = 0
    original = generation._EligiblePace.needs

    def counting(self, k):
        nonlocal calls, forced
        result = original(self, k)
        calls += 1
        forced += result[0]
        return result

    generation._EligiblePace.needs = counting
    try:
        for seed in range(10):
            _counts("standard", seed)
    finally:
        generation._EligiblePace.needs = original
    assert calls == 10 * PROFILES.get("standard").count("appointments")
    # Sharded generation (healthcare_data.shards) paces each care group for its own share:
    # 10.6% forced over these ten seeds of 'standard', against a global pace's fewer.
    assert 0 < forced / calls < 0.12
