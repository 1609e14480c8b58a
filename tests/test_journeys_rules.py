"""Journey validation on seeded databases (SQLite and PostgreSQL): a clean seed passes,
and each corruption of stored data is caught by its rule, with entity, key and recovery,
in the existing validation report (business_rules)."""

from __future__ import annotations

import shutil

import pytest

from healthcare_data.db import Database
from healthcare_data.journeys import JourneySpec
from healthcare_data.journeys.checks import (
    RULE_GROUPS,
    segment_shares,
    state_counts,
    violations,
)
from healthcare_data.journeys.generate import seed_journeys
from healthcare_data.journeys.mutations import CORRUPTIONS, corrupt
from healthcare_data.journeys.rules import check_database
from healthcare_data.randomness import Randomness
from healthcare_data.rules import RULES
from healthcare_data.rules.groups import JOURNEY_GROUP_RULES
from healthcare_data.validation import run_validation

from .conftest import TEST_TODAY

SPEC = JourneySpec(patients=60, group_patients=60)


def _seed(db):
    return seed_journeys(db, SPEC, Randomness(2026, today=TEST_TODAY))


def test_seeded_journeys_pass_every_validator(db):
    result = _seed(db)
    assert result.rows["journey_steps"] > result.rows["patients"]
    report = run_validation(db, "business_rules", today=TEST_TODAY)
    assert report.ok, report.summary()
    assert all(violations(db, TEST_TODAY, group) == [] for group in RULE_GROUPS)
    assert state_counts(db)["registered"] == 60
    assert abs(sum(segment_shares(db).values()) - 1.0) < 1e-9


def test_same_seed_same_rows_on_both_backends(db, tmp_path):
    from healthcare_data.db import Database
    from healthcare_data.journeys.workflows import read_tables

    _seed(db)
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    _seed(other)
    mine, theirs = read_tables(db), read_tables(other)
    for table in ("appointments", "prescriptions", "referrals", "journey_steps"):
        key = lambda r: r["id"]  # noqa: E731
        assert [
            {k: v for k, v in r.items() if k not in ("amount",)} for r in sorted(mine[table], key=key)
        ] == [{k: v for k, v in r.items() if k not in ("amount",)} for r in sorted(theirs[table], key=key)]
    other.dispose()


def test_the_issues_corruptions_are_registered():
    rules = {c.rule for _, c in CORRUPTIONS.items()}
    # a corrupted timestamp, an illegal transition, an expired referral still requested,
    # a payment that does not add up
    assert {
        "dispensing_after_prescription",
        "journey_transition",
        "referral_expiry",
        "payments_add_up",
    } <= rules
    assert all(rule in JOURNEY_GROUP_RULES["journey_consistency"] for rule in rules)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """One seeded SQLite file, copied for each corruption (seeding once saves time)."""
    path = tmp_path_factory.mktemp("journeys") / "seeded.db"
    db = Database(f"sqlite:///{path}")
    _seed(db)
    db.dispose()
    return path


@pytest.mark.parametrize("name", CORRUPTIONS.names())
def test_each_corruption_is_caught_with_entity_key_rule_and_recovery(template, tmp_path, name):
    shutil.copy(template, tmp_path / "copy.db")
    sqlite_db = Database(f"sqlite:///{tmp_path / 'copy.db'}")
    with sqlite_db.engine.connect() as conn:
        assert check_database(conn, TEST_TODAY).ok
    with sqlite_db.transaction() as conn:
        expected = corrupt(conn, name, TEST_TODAY)
    with sqlite_db.engine.connect() as conn:
        caught = [v for v in check_database(conn, TEST_TODAY).violations if v.rule == expected.rule]
    assert caught, name
    rule = RULES.get(expected.rule)
    assert all(v.entity == rule.entity and v.key is not None and v.recovery == rule.recovery for v in caught)
    sqlite_db.dispose()


@pytest.mark.parametrize(
    "name",
    [
        "a past visit still marked scheduled",
        "an illegal journey transition",
        "an expired referral still marked requested",
        "a payment that does not add up",
    ],
)
def test_violations_appear_in_the_existing_validation_report(db, name):
    _seed(db)
    with db.transaction() as conn:
        expected = corrupt(conn, name, TEST_TODAY)
    report = run_validation(db, "business_rules", today=TEST_TODAY)
    assert expected.rule in report.by_rule(), report.summary()
    assert any(row["rule"] == expected.rule and row["recovery"] for row in report.rows())


def test_seeding_twice_appends_with_fresh_ids_and_stays_valid(sqlite_db):
    seed_journeys(sqlite_db, JourneySpec(patients=15), Randomness(1, today=TEST_TODAY))
    first = sqlite_db.counts()
    seed_journeys(sqlite_db, JourneySpec(patients=15), Randomness(1, today=TEST_TODAY))
    assert sqlite_db.counts()["patients"] == 2 * first["patients"]
    with sqlite_db.engine.connect() as conn:
        assert check_database(conn, TEST_TODAY).ok
    assert run_validation(sqlite_db, "referential_integrity", today=TEST_TODAY).ok


def test_journey_rules_are_rules_of_the_one_registry():
    """Each journey rule is a registered Rule (rules/journeys.py) with one check here."""
    from healthcare_data.journeys.rules import CHECKS

    names = JOURNEY_GROUP_RULES["journey_consistency"]
    assert set(CHECKS) == set(names) and len(names) == 15
    assert all(RULES.get(n).recovery and RULES.get(n).check is None for n in names)
    assert RULES.get("status_transition").entities == ("journey_steps", "insurance_claims")


def test_an_unknown_journey_rule_lists_the_known_ones():
    from healthcare_data.errors import UnknownNameError
    from healthcare_data.journeys.rules import check_tables

    with pytest.raises(UnknownNameError, match="did you mean 'referral_expiry'"):
        check_tables({}, TEST_TODAY, names=["referal_expiry"])
    with pytest.raises(UnknownNameError, match="journey rule 'email_safe_domain'"):
        check_tables({}, TEST_TODAY, names=["email_safe_domain"])


def test_the_journey_consistency_group_runs_the_journey_rules(template, tmp_path):
    from healthcare_data.validation.groups import GROUPS

    shutil.copy(template, tmp_path / "copy.db")
    sqlite_db = Database(f"sqlite:///{tmp_path / 'copy.db'}")
    group = GROUPS.get("journey_consistency")
    with sqlite_db.engine.connect() as conn:
        assert group.run_database_checks(conn, TEST_TODAY, {}) == []
    with sqlite_db.transaction() as conn:
        expected = corrupt(conn, "a payment that does not add up", TEST_TODAY)
    with sqlite_db.engine.connect() as conn:
        found = group.run_database_checks(conn, TEST_TODAY, {})
    assert [v.rule for v in found] == [expected.rule]
    sqlite_db.dispose()


def test_step_helpers_name_what_is_off():
    from healthcare_data.journeys.checks import prescriptions_not_treating, segments_off

    assert segments_off({"a": 0.5, "b": 0.5}, {"a": 0.6, "b": 0.5, "c": 0.0}, 0.05) == [("a", 0.5)]
    rows = [{"rxnorm_code": "723", "diagnosis_code": "E11.9"}]  # amoxicillin does not treat diabetes
    assert prescriptions_not_treating(rows, "E11.9") == [("723", "E11.9")]
    assert prescriptions_not_treating(rows, "J02.9") == [("723", "E11.9")]  # another code
