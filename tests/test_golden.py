"""Golden digests: the generated rows of a few seeds and profiles do not change by accident.

A deliberate change to generated data rewrites tests/data/golden_digests.json
(``python scripts/golden_digests.py --write``) in the same commit, so it shows in review.
"""

from __future__ import annotations

import json

import pytest

from scripts.golden_digests import CASES, TARGET, case_digests, faker_lists_digest

GOLDEN = json.loads(TARGET.read_text(encoding="utf-8"))


def test_fakers_name_and_street_lists_are_the_ones_the_digests_were_made_with() -> None:
    assert faker_lists_digest() == GOLDEN["faker_lists"], (
        f"Faker's en_US name/street lists changed (digests made with Faker {GOLDEN['faker_version']}): "
        "pin Faker to that range in pyproject.toml, or rewrite the digests deliberately"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_tables_match_their_golden_digests(name: str) -> None:
    golden = GOLDEN["cases"][name]
    got = case_digests(*CASES[name])
    changed = sorted(t for t in got.keys() | golden.keys() if got.get(t) != golden.get(t))
    assert got == golden, f"rows changed in {changed}; if deliberate: scripts/golden_digests.py --write"
