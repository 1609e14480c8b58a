"""Schemas written as users write them (tests/schemas/unseen.py), filled on the real servers
and read back: every constraint held by the database, and the semantic facts checked here."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date

import pytest

from healthcare_data import anyschema
from healthcare_data.db import make_engine
from healthcare_data.errors import ConfigurationError
from healthcare_data.fakes import address_is_consistent, is_safe_email
from healthcare_data.identifiers import is_valid_npi
from tests.schemas.unseen import (
    CLINIC_MYSQL,
    CLINIC_PG,
    CLINIC_SQLITE,
    DJANGO_PG,
    DJANGO_SQLITE,
    statements,
)
from tests.test_anyschema_fill import _fresh, _rows

TODAY = date(2026, 11, 22)
ROWS = 150


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    yield from _fresh(request, "postgresql", tmp_path)


@pytest.fixture
def mysql_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    yield from _fresh(request, "mysql", tmp_path)


def _run_ddl(url: str, ddl: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        for statement in statements(ddl):
            conn.exec_driver_sql(statement)
    engine.dispose()


def _one(url: str, sql: str) -> object:
    return _rows(url, sql)[0][0]


@pytest.mark.parametrize("method", ["copy", "executemany"])
def test_a_hand_written_postgresql_clinic_schema(pg_url: str, method: str) -> None:
    _run_ddl(pg_url, CLINIC_PG)
    plan = anyschema.introspect(pg_url)
    clinics, order = plan.tables["clinics"].columns, plan.tables["order"]
    assert clinics["clinic_id"].generator == "sequence"  # GENERATED ALWAYS AS IDENTITY
    assert (clinics["tags"].type, clinics["tags"].items) == ("array", "text")
    assert (clinics["room_numbers"].items, clinics["external_id"].type) == ("integer", "uuid")
    assert order.columns["kind"].choices == ["in_person", "telehealth", "home_visit"]  # CREATE TYPE AS ENUM
    assert [fk.columns for fk in order.foreign_keys] == [
        ["clinic_id", "patient_id"],
        ["clinic_id", "staff_id"],
    ]
    result = anyschema.generate(plan, ROWS, database_url=pg_url, today=TODAY, batch_size=40, method=method)
    assert result.rows == dict.fromkeys(("clinics", "Staff", "audit_log", "patients", "order"), ROWS)

    # identity ALWAYS, identity BY DEFAULT and serial continue after the explicit keys
    assert (
        _one(
            pg_url,
            "INSERT INTO clinics (name, tags, external_id, opened_on) VALUES "
            "('Added', '{}', gen_random_uuid(), '2026-01-01') RETURNING clinic_id",
        )
        == ROWS + 1
    )
    assert (
        _one(
            pg_url,
            'INSERT INTO "Staff" (clinic_id, "FirstName", "LastName", email, role) '
            "VALUES (1, 'A', 'B', 'added@example.com', 'admin') RETURNING id",
        )
        == ROWS + 1
    )
    assert (
        _one(
            pg_url,
            "INSERT INTO patients (clinic_id, mrn, first_name, last_name, birth_date) "
            "VALUES (1, 'ADDED', 'A', 'B', '1980-01-01') RETURNING id",
        )
        == ROWS + 1
    )

    rows = _rows(
        pg_url, "SELECT tags, room_numbers, settings, external_id FROM clinics WHERE name <> 'Added'"
    )
    assert all(1 <= len(tags) <= 3 and all(isinstance(t, str) and t for t in tags) for tags, *_ in rows)
    assert any(rooms for _, rooms, *_ in rows)
    assert all(r is None or all(isinstance(n, int) for n in r) for _, r, *_ in rows)
    assert all(isinstance(s, dict) and s for *_, s, _ in rows)
    assert len({u for *_, u in rows}) == ROWS and all(isinstance(u, uuid.UUID) for *_, u in rows)
    # two keys share clinic_id: the visit's patient and clinician are of the visit's clinic
    assert (
        _one(
            pg_url,
            'SELECT COUNT(*) FROM "order" o JOIN patients p ON p.id = o.patient_id '
            'JOIN "Staff" s ON s.id = o.staff_id WHERE p.clinic_id = o.clinic_id '
            "AND s.clinic_id = o.clinic_id",
        )
        == ROWS
    )
    assert _one(pg_url, 'SELECT COUNT(DISTINCT clinic_id) FROM "order"') > 10
    assert (
        _one(pg_url, 'SELECT COUNT(*) FROM "order" WHERE "Visit Date" IS NOT NULL AND "group" IS NOT NULL')
        == ROWS
    )
    assert _one(pg_url, "SELECT COUNT(*) FROM audit_log WHERE actor_id IS NOT NULL") > 0  # no primary key
    assert all(is_safe_email(e) for (e,) in _rows(pg_url, 'SELECT email FROM "Staff" WHERE id <= 150'))
    assert all(is_valid_npi(n) for (n,) in _rows(pg_url, 'SELECT npi FROM "Staff" WHERE npi IS NOT NULL'))


def test_a_hand_written_mariadb_clinic_schema(mysql_url: str) -> None:
    _run_ddl(mysql_url, CLINIC_MYSQL)
    plan = anyschema.introspect(mysql_url)
    clinics = plan.tables["clinics"].columns
    assert clinics["features"].choices[:4] == ["parking", "wheelchair", "lab", "pharmacy"]  # SET
    assert clinics["is_open"].type == "boolean" and clinics["settings"].type == "json"  # TINYINT(1), JSON
    assert clinics["beds"].range == [0, None]  # UNSIGNED
    assert plan.tables["patients"].columns["age_years"].range == [0, None]
    result = anyschema.generate(plan, ROWS, database_url=mysql_url, today=TODAY, batch_size=40)
    assert result.total_rows == 5 * ROWS
    features = {f for (f,) in _rows(mysql_url, "SELECT features FROM clinics")}
    allowed = {"parking", "wheelchair", "lab", "pharmacy"}
    assert features and all(set(f.split(",")) <= allowed for f in features)
    assert (
        _one(mysql_url, "SELECT COUNT(*) FROM clinics WHERE JSON_VALID(settings) AND is_open IN (0, 1)")
        == ROWS
    )
    assert all(json.loads(s) for (s,) in _rows(mysql_url, "SELECT settings FROM clinics"))
    assert _one(mysql_url, "SELECT MIN(beds) FROM clinics") >= 0
    assert _one(mysql_url, "SELECT COUNT(*) FROM patients WHERE age_years IS NOT NULL AND age_years < 0") == 0
    assert {k for (k,) in _rows(mysql_url, "SELECT DISTINCT `role` FROM `Staff`")} <= {
        "doctor",
        "nurse",
        "admin",
    }
    assert (
        _one(
            mysql_url,
            "SELECT COUNT(*) FROM `order` o JOIN patients p ON p.id = o.patient_id "
            "JOIN `Staff` s ON s.id = o.staff_id WHERE p.clinic_id = o.clinic_id "
            "AND s.clinic_id = o.clinic_id AND o.fee < 2000 AND o.`Visit Date` IS NOT NULL",
        )
        == ROWS
    )
    assert _one(mysql_url, "SELECT COUNT(*) FROM audit_log") == ROWS  # no primary key


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_django_made_schema(request: pytest.FixtureRequest, tmp_path, backend: str) -> None:
    url_iter = _fresh(request, backend, tmp_path)
    url = next(url_iter)
    try:
        _run_ddl(url, DJANGO_SQLITE if backend == "sqlite" else DJANGO_PG)
        plan = anyschema.introspect(url)
        practice = plan.tables["booking_practice"].columns
        assert practice["name"].unique  # SQLite: an inline UNIQUE after varchar(120)
        assert plan.tables["booking_appointment"].columns["rescheduled_from_id"].unique
        anyschema.generate(plan, ROWS, database_url=url, today=TODAY, batch_size=40)
        assert _one(url, "SELECT COUNT(DISTINCT name) FROM booking_practice") == ROWS
        assert (
            _one(
                url,
                "SELECT COUNT(*) - COUNT(DISTINCT rescheduled_from_id) FROM booking_appointment "
                "WHERE rescheduled_from_id IS NOT NULL",
            )
            == 0
        )
        assert _one(url, "SELECT COUNT(*) FROM booking_appointment WHERE rescheduled_from_id IS NOT NULL") > 0
        places = _rows(url, "SELECT city, state, zip_code FROM booking_practice")
        assert all(address_is_consistent(c, s, z) for c, s, z in places[:20])
        assert all(is_valid_npi(n) for (n,) in _rows(url, "SELECT npi FROM booking_clinician"))
        assert _one(url, "SELECT MIN(duration_minutes) FROM booking_appointment") >= 0
    finally:
        url_iter.close()


def test_a_key_made_of_overlapping_foreign_keys_is_refused_in_one_line(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    _run_ddl(
        url,
        """
        CREATE TABLE students (tenant_id INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (tenant_id, id));
        CREATE TABLE courses (tenant_id INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (tenant_id, id));
        CREATE TABLE grades (
            tenant_id INTEGER NOT NULL, student_id INTEGER NOT NULL, course_id INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, student_id, course_id),
            FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
            FOREIGN KEY (tenant_id, course_id) REFERENCES courses (tenant_id, id))
        """,
    )
    with pytest.raises(ConfigurationError) as err:
        anyschema.generate(url, 20, today=TODAY)
    message = str(err.value)
    assert (
        "grades: key (tenant_id, student_id, course_id)" in message
        and "sharing column(s) tenant_id" in message
    )
    assert "\n" not in message
    assert _rows(url, "SELECT (SELECT COUNT(*) FROM students) + (SELECT COUNT(*) FROM courses)") == [(0,)]


def test_a_not_null_column_of_an_unsupported_type_is_named_then_a_pattern_fills_it(pg_url: str) -> None:
    import io

    from healthcare_data.cli import main

    _run_ddl(
        pg_url,
        "CREATE TABLE hosts (id serial PRIMARY KEY, addr inet NOT NULL, "
        "net cidr NOT NULL DEFAULT '10.0.0.0/8', mac macaddr)",
    )
    out, err = io.StringIO(), io.StringIO()
    code = main(["generate", "--database-url", pg_url, "--rows", "5", "-q"], out=out, err=err)
    message = err.getvalue()
    assert code == 2 and "hosts.addr is NOT NULL of type INET" in message and "pattern or choices" in message
    assert message.count("\n") <= 2 and "Traceback" not in message
    assert _one(pg_url, "SELECT COUNT(*) FROM hosts") == 0
    plan = anyschema.introspect(pg_url)
    assert plan.tables["hosts"].columns["net"].generator == "database_default"  # left to its DEFAULT
    plan.tables["hosts"].columns["addr"].pattern = "10.1.#.#"
    anyschema.generate(plan, 20, database_url=pg_url, today=TODAY)
    assert _rows(pg_url, "SELECT COUNT(*), COUNT(DISTINCT net), COUNT(mac) FROM hosts") == [(20, 1, 0)]
    assert all(str(a).startswith("10.1.") for (a,) in _rows(pg_url, "SELECT addr FROM hosts"))


def test_the_clinic_on_sqlite_reserved_mixed_case_spaced_names_and_shared_keys(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    _run_ddl(url, CLINIC_SQLITE)
    anyschema.generate(url, ROWS, today=TODAY, batch_size=40)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()
    assert (
        _one(
            url,
            'SELECT COUNT(*) FROM "order" o JOIN patients p ON p.id = o.patient_id '
            'JOIN "Staff" s ON s.id = o.staff_id WHERE p.clinic_id = o.clinic_id '
            'AND s.clinic_id = o.clinic_id AND o."Visit Date" IS NOT NULL AND o.fee < 2000',
        )
        == ROWS
    )
    assert _one(url, "SELECT COUNT(*) FROM audit_log") == ROWS


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_length_and_non_empty_checks_are_satisfied(
    request: pytest.FixtureRequest, tmp_path, backend: str
) -> None:
    urls = _fresh(request, backend, tmp_path)
    url = next(urls)
    try:
        _run_ddl(
            url,
            "CREATE TABLE tags (id INTEGER PRIMARY KEY, code VARCHAR(40) NOT NULL UNIQUE, "
            "label VARCHAR(40) NOT NULL, CHECK (length(code) <= 4), CHECK (label <> ''))",
        )
        plan = anyschema.introspect(url)
        assert plan.tables["tags"].columns["code"].length == 4
        assert not any(c.note for c in plan.tables["tags"].columns.values())
        anyschema.generate(plan, 300, database_url=url, today=TODAY)
        assert _rows(url, "SELECT COUNT(DISTINCT code), MAX(length(code)) FROM tags") == [(300, 4)]
    finally:
        urls.close()
