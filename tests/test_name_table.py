"""The name table (reference/names_en_US.tsv) holds Faker's en_US lists, and fakes draws
from exactly those lists (same order, same weights) without importing Faker."""

from __future__ import annotations

from itertools import accumulate

from faker.providers.address.en_US import Provider as FakerAddress
from faker.providers.person.en_US import Provider as FakerPerson

from healthcare_data import fakes
from scripts.build_name_table import TARGET, table_lines


def test_table_is_built_from_the_installed_faker() -> None:
    stored = TARGET.read_text(encoding="utf-8").splitlines()
    assert stored == table_lines(), "run: python scripts/build_name_table.py (then check the golden digests)"


def test_fakes_lists_equal_fakers_own() -> None:
    male, female = dict(FakerPerson.first_names_male), dict(FakerPerson.first_names_female)
    for kind, weights in (("male", male), ("female", female), ("other", male | female)):
        assert fakes.FIRST_NAMES[kind].options == list(weights), kind
        assert fakes.FIRST_NAMES[kind].cumulative == list(accumulate(weights.values())), kind
    assert fakes.LAST_NAMES.options == list(FakerPerson.last_names)
    assert fakes.LAST_NAMES.cumulative == list(accumulate(FakerPerson.last_names.values()))
    # Faker repeats some suffixes (which weights the draw): the repeats are kept.
    assert fakes.STREET_SUFFIXES == tuple(FakerAddress.street_suffixes)
    assert len(set(fakes.STREET_SUFFIXES)) < len(fakes.STREET_SUFFIXES)
