"""The ID pattern language, CHECK parsing, the plan file (YAML, overrides, ordering) and column meanings."""

from __future__ import annotations

import re
from datetime import date

import pytest
import yaml
from sqlalchemy import text

from healthcare_data import anyschema
from healthcare_data.anyschema.checks import parse_checks
from healthcare_data.anyschema.patterns import Pattern, Permutation
from healthcare_data.anyschema.plan import ColumnPlan, ForeignKeyPlan, Plan, TablePlan, from_dict, resolve
from healthcare_data.db import make_engine
from healthcare_data.errors import ConfigurationError, UnknownNameError
from healthcare_data.randomness import Randomness
from tests.schemas import SCHEMAS

TODAY = date(2026, 11, 22)


# --- patterns --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "regex"),
    [
        ("PAT-{d:8}", r"PAT-\d{8}"),
        ("[A,B]-###", r"[AB]-\d{3}"),
        ("XX-AAAA", r"[A-Z]{2}-[A-Z0-9]{4}"),
        ("HHHHHHHH", r"[0-9A-F]{8}"),
        ("ORD-{l:3}{d:2}", r"ORD-[A-Z]{3}\d{2}"),
        (r"\#\X-#", r"#X-\d"),
        ("[Red,Green,Blue]-###", r"(Red|Green|Blue)-\d{3}"),
        ("ABC-####", r"ABC-\d{4}"),  # a word is literal: the document's own example
        ("ORDER-{d:8}", r"ORDER-\d{8}"),
    ],
)
def test_pattern_values_match_their_syntax(pattern: str, regex: str) -> None:
    compiled = Pattern(pattern)
    rng = Randomness(3)
    assert all(re.fullmatch(regex, compiled.draw(rng)) for _ in range(200))
    assert all(
        re.fullmatch(regex, compiled.at(i))
        for i in range(0, compiled.capacity, max(1, compiled.capacity // 300))
    )


def test_pattern_at_is_distinct_up_to_capacity_and_refuses_beyond() -> None:
    pattern = Pattern("[A,B]-##")
    assert pattern.capacity == 200
    values = [pattern.at(i) for i in range(200)]
    assert len(set(values)) == 200
    with pytest.raises(ConfigurationError, match="200 distinct values; row 201 needs more"):
        pattern.at(200)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("[A,B", "must look like"),
        ("{d:0}", "1 <= N <= 64"),
        ("{q:3}", "must be {d:N}"),
        ("AB\\", "lone"),
        ("", "empty"),
    ],
)
def test_malformed_patterns_name_the_problem(bad: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        Pattern(bad)


@pytest.mark.parametrize("size", [1, 2, 10, 36, 97, 1000, 4096])
def test_permutation_is_a_bijection(size: int) -> None:
    permutation = Permutation(size, salt=12345)
    assert sorted(permutation(i) for i in range(size)) == list(range(size))


# --- CHECK constraints as the three backends render them -------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "status IN ('open', 'closed')",  # SQLite keeps the text
        "((status)::text = ANY ((ARRAY['open'::character varying, 'closed'::character varying])::text[]))",
        "`status` in (_utf8mb4'open',_utf8mb4'closed')",  # MariaDB
    ],
)
def test_in_lists_are_read_on_every_backend(sql: str) -> None:
    assert parse_checks([sql], {"status"}).choices == {"status": ["open", "closed"]}


def test_ranges_and_cross_column_checks() -> None:
    facts = parse_checks(
        [
            "((price >= (0)::numeric) AND (price <= (1000)::numeric))",
            "rating BETWEEN 1 AND 5",
            "`qty` > 0 and `qty` < 10",
            "(end_date >= start_date)",
            "length(code) > 3",
        ],
        {"price", "rating", "qty", "end_date", "start_date", "code"},
    )
    assert facts.low == {"price": (0, True), "rating": (1, True), "qty": (0, False)}
    assert facts.high == {"price": (1000, True), "rating": (5, True), "qty": (10, False)}
    assert facts.after == {"end_date": "start_date"}
    assert facts.not_understood == ["length(code) > 3"]


# --- the plan --------------------------------------------------------------------------------------


def _sqlite(tmp_path, *names: str) -> str:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    engine = make_engine(url)
    for name in names:
        SCHEMAS[name]().create_all(engine)
    engine.dispose()
    return url


def test_length_and_non_empty_checks() -> None:
    facts = parse_checks(
        [
            "char_length(name) <= 80",  # PostgreSQL
            "(length(`code`) < 9) and (`code` <> _utf8mb4'')",  # MariaDB
            "notes IS NOT NULL AND length(notes) > 0",
            "length(title) >= 3",  # a minimum beyond non-empty: not promised
        ],
        {"name", "code", "notes", "title"},
    )
    assert facts.max_length == {"name": 80, "code": 8}
    assert facts.not_understood == ["length(title) >= 3"]


def test_plan_yaml_is_readable_and_round_trips(tmp_path) -> None:
    url = _sqlite(tmp_path, "hierarchy", "keys_and_checks")
    plan = anyschema.introspect(url)
    path = anyschema.save(plan, tmp_path / "plan.yaml")
    text_ = path.read_text()
    assert text_.startswith("# healthcare-data any-schema plan")
    assert (
        "      email: {type: varchar, length: 120, nullable: false, unique: true, generator: email}" in text_
    )
    assert "strategy: tiers, tiers: {depth: 4, branching: 3}" in text_
    again = anyschema.load(path)
    assert anyschema.dumps(again) == anyschema.dumps(plan)
    assert again.order.index("departments") < again.order.index("employees") < again.order.index("comments")


def test_unknown_meanings_fall_back_and_the_plan_says_so(tmp_path) -> None:
    plan = anyschema.introspect(_sqlite(tmp_path, "keys_and_checks"))
    mood = plan.tables["visits"].columns["mood"]
    assert mood.generator == "text" and "no known meaning" in (mood.note or "")
    assert plan.tables["store_managers"].columns["npi"].generator == "npi"
    assert plan.tables["visits"].columns["diagnosis_code"].generator == "icd10"
    assert plan.tables["stores"].columns["status"].choices == ["open", "closed", "planned"]
    assert plan.tables["stores"].columns["rating"].range == [1, 5]
    assert plan.tables["stores"].columns["closed_on"].after == "opened_on"


def test_overrides_in_the_plan_file_win(tmp_path) -> None:
    url = _sqlite(tmp_path, "keys_and_checks")
    plan = anyschema.introspect(url)
    data = yaml.safe_load(anyschema.dumps(plan))
    columns = data["tables"]["stores"]["columns"]
    columns["code"]["pattern"] = "STR-{d:6}"
    columns["status"]["choices"] = {"open": 9, "closed": 1, "planned": 0}
    columns["rating"]["range"] = [4, 5]
    columns["street"]["null_share"] = 1.0
    data["tables"]["visits"]["columns"]["mood"]["generator"] = "color"
    data["tables"]["stores"]["rows"] = 300
    (tmp_path / "edited.yaml").write_text(yaml.safe_dump(data))
    result = anyschema.generate(str(tmp_path / "edited.yaml"), database_url=url, today=TODAY)
    assert result.rows["stores"] == 300
    engine = make_engine(url)
    with engine.connect() as conn:
        stores = conn.execute(text("SELECT code, status, rating, street FROM stores")).all()
        moods = {m for (m,) in conn.execute(text("SELECT mood FROM visits"))}
    engine.dispose()
    assert all(re.fullmatch(r"STR-\d{6}", code) for code, *_ in stores)
    assert len({code for code, *_ in stores}) == 300
    statuses = [s for _, s, _, _ in stores]
    assert "planned" not in statuses and statuses.count("open") > statuses.count("closed") * 3
    assert {r for _, _, r, _ in stores} == {4, 5}
    assert {street for *_, street in stores} == {None}
    assert moods <= {"red", "green", "blue", "orange", "purple", "teal", "black", "white", "gray", "yellow"}


def test_plan_mistakes_are_one_clear_error(tmp_path) -> None:
    plan = anyschema.introspect(_sqlite(tmp_path, "library"))
    data = yaml.safe_load(anyschema.dumps(plan))
    data["tables"]["books"]["columns"]["title"]["colour"] = "red"
    with pytest.raises(
        ConfigurationError, match=r"column books.title: unknown key 'colour'; valid keys: type"
    ):
        from_dict(data)
    data["tables"]["books"]["columns"]["title"] = {"type": "varchar", "generator": "emial"}
    with pytest.raises(UnknownNameError, match=r"Unknown generator 'emial'; did you mean 'email'\?"):
        anyschema.generate(from_dict(data), 5, output=tmp_path / "o", format="jsonl", today=TODAY)
    with pytest.raises(ConfigurationError, match="Cannot read plan"):
        anyschema.load(tmp_path / "missing.yaml")


def test_unique_capacity_is_checked_before_writing(tmp_path) -> None:
    url = _sqlite(tmp_path, "keys_and_checks")
    plan = anyschema.introspect(url)
    plan.tables["stores"].columns["code"].pattern = "[A,B]-#"
    with pytest.raises(
        ConfigurationError, match=r"stores.code must be unique but .* 20 distinct values for 50 rows"
    ):
        anyschema.generate(plan, 50, database_url=url, today=TODAY)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM countries")).scalar_one() == 0  # nothing written
    engine.dispose()


def test_unique_columns_stay_unique_at_scale_without_retries(tmp_path) -> None:
    plan = anyschema.introspect(_sqlite(tmp_path, "saas"))
    runners = anyschema.fill.prepare(plan, seed=1, today=TODAY, rows=3000)
    users = runners["users"]
    rows = [row for batch in users.batches(500) for row in batch]
    for column in ("id", "email", "username"):
        position = users.names.index(column)
        assert len({row[position] for row in rows}) == 3000
    memberships = [row[:2] for batch in runners["memberships"].batches(1000) for row in batch]
    assert len(set(memberships)) == 3000  # composite key, all pairs distinct


def test_cycle_strategy_prefers_deferrable_on_postgresql_and_nullable_elsewhere() -> None:
    def cycle(backend: str) -> Plan:
        a = TablePlan(
            "a",
            {"id": ColumnPlan("id", "integer", primary_key=True), "b_id": ColumnPlan("b_id", "integer")},
            primary_key=["id"],
            foreign_keys=[ForeignKeyPlan(["b_id"], "b", ["id"], nullable=True)],
        )
        b = TablePlan(
            "b",
            {"id": ColumnPlan("id", "integer", primary_key=True), "a_id": ColumnPlan("a_id", "integer")},
            primary_key=["id"],
            foreign_keys=[ForeignKeyPlan(["a_id"], "a", ["id"], nullable=False, deferrable=True)],
        )
        return resolve(Plan({"a": a, "b": b}, backend=backend))

    assert cycle("postgresql").cycles[0]["broken_by"] == "b(a_id) -> a(id)"
    assert cycle("postgresql").cycles[0]["strategy"] == "deferred"
    assert cycle("sqlite").cycles[0]["broken_by"] == "a(b_id) -> b(id)"
    assert cycle("sqlite").cycles[0]["strategy"] == "update"
    assert cycle("sqlite").order == ["a", "b"]  # a's key to b is filled later, b needs a


def test_a_key_column_needs_a_generator_that_counts(tmp_path) -> None:
    url = _sqlite(tmp_path, "keys_and_checks")
    plan = anyschema.introspect(url)
    plan.tables["countries"].columns["code"].generator = "first_name"
    with pytest.raises(ConfigurationError, match=r"countries.code is part of a key.*'first_name' cannot"):
        anyschema.generate(plan, 10, database_url=url, today=TODAY)


@pytest.mark.slow
def test_icd10_codes_are_exactly_the_billable_leaves() -> None:
    import simple_icd_10_cm as cm

    from healthcare_data.anyschema.columns import icd10_codes

    codes = icd10_codes(8)
    assert len(codes) > 70_000
    assert all(cm.is_leaf(code) for code in codes[::97])  # a spread sample: the full check takes 10+ s
    assert icd10_codes(5) == tuple(c for c in codes if len(c) <= 5)
