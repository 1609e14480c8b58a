"""ORM fixture exports: Django loads them, Rails YAML resolves by label, node parses Prisma."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcare_data import seeding
from healthcare_data.export import read_database
from healthcare_data.export.fixtures import foreign_keys, label
from tests.conftest import TEST_TODAY
from tests.export_support import need, seeded

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    from healthcare_data.journeys.generate import JourneySpec, seed_journeys
    from healthcare_data.randomness import Randomness

    db = seeded(tmp_path_factory.mktemp("fixtures") / "src.db", "minimal", 4)
    seed_journeys(db, JourneySpec(patients=10), Randomness(4, today=TEST_TODAY))  # every table has rows
    yield db
    db.dispose()


def _plain(value: object) -> object:
    return value if value is None or isinstance(value, bool | int) else str(value)


def test_django_loaddata_loads_the_fixture_with_the_same_counts_and_values(source, tmp_path):
    need("django")
    fixture = tmp_path / "healthcare.json"
    seeding.export(fixture, "django", url=source)
    env = {**os.environ, "HD_DJANGO_DB": str(tmp_path / "django.db"), "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "django_app" / "load_fixture.py"), str(fixture)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    loaded = json.loads(run.stdout)
    expected = read_database(source)
    assert {t: len(rows) for t, rows in loaded.items()} == {t: len(rows) for t, rows in expected.items()}
    for table, rows in expected.items():
        key = "patient_id" if table == "patient_profiles" else "id"
        django_rows = {r[key]: r for r in loaded[table]}
        for row in rows:
            assert {c: _plain(v) for c, v in row.items()} == {
                c: _plain(django_rows[row[key]][c]) for c in row
            }


def test_rails_fixtures_are_labelled_with_associations_by_label_and_round_trip(source, tmp_path):
    out = tmp_path / "rails"
    seeding.export(out, "rails", url=source)
    expected = read_database(source)
    documents = {f.stem: yaml.safe_load(f.read_text("utf-8")) or {} for f in out.glob("*.yml")}
    assert set(documents) == set(expected)  # an empty file empties its table, as Rails does
    labels = {t: set(doc) for t, doc in documents.items()}
    for table, doc in documents.items():
        assert yaml.safe_load(yaml.safe_dump(doc)) == doc  # valid YAML that round-trips
        fks = foreign_keys(table)
        assert all("id" not in fixture for fixture in doc.values()), "Rails derives ids from labels"
        for row in expected[table]:
            key = row["patient_id"] if table == "patient_profiles" else row["id"]
            fixture = doc[label(table, key)]
            for column, (relation, parent) in fks.items():
                if row[column] is None or table == "patient_profiles" and column == "patient_id":
                    continue
                assert fixture[relation] == label(parent, row[column])
                assert fixture[relation] in labels[parent]


def test_prisma_seed_script_parses_with_node_and_batches_create_many_in_transactions(source, tmp_path):
    if shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail("node is required in CI to parse the Prisma seed")
        pytest.skip("node not installed")
    seed = tmp_path / "seed.mjs"
    seeding.export(seed, "prisma", url=source)
    check = subprocess.run(["node", "--check", str(seed)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    text = seed.read_text("utf-8")
    assert text.count("prisma.$transaction([") >= len(
        [t for t, rows in read_database(source).items() if rows]
    )
    assert "prisma.patients.createMany({ data: [" in text
    broken = tmp_path / "broken.mjs"
    broken.write_text(text.replace("createMany({ data: [", "createMany({ data: [[", 1))
    assert subprocess.run(["node", "--check", str(broken)], capture_output=True).returncode != 0


_CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(st.characters(exclude_categories=["Cs"])),  # any text a UTF-8 file can hold
    st.sampled_from(["no", "yes", "~", "null", "01234", "1e3", "- x", "a: b", "#c", "'q'", '"d"']),
    st.dates(),
    st.datetimes(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), _CELLS), max_size=4))
def test_the_hand_written_yaml_emitter_gives_yaml_that_safe_load_reads_back_unchanged(rows):
    """The writer behind yaml and rails exports: every value comes back as the same str,
    int, float, bool or None (dates and Decimals as their export text), never re-typed."""
    from healthcare_data.export import yamlrows
    from healthcare_data.export.codec import encode

    text = yamlrows.sequence(rows, 0) if rows else "[]\n"
    assert yaml.safe_load(text.encode("utf-8")) == [{k: encode(v) for k, v in row.items()} for row in rows]
    for row in rows:
        assert yaml.safe_load(yamlrows.mapping(row, 0).encode("utf-8")) == (
            {k: encode(v) for k, v in row.items()} or {}
        )
