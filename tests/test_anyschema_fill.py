"""Introspect and fill the test schemas on SQLite, PostgreSQL and MariaDB; the database checks every row."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from functools import cache

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from healthcare_data import anyschema
from healthcare_data.db import make_engine
from healthcare_data.errors import ConfigurationError, PersistenceError
from healthcare_data.fakes import address_is_consistent, is_safe_email, is_safe_phone
from healthcare_data.identifiers import is_valid_npi, is_valid_ssn
from healthcare_data.reference import is_valid_icd10
from tests.conftest import POSTGRES_ADMIN_URL
from tests.schemas import SCHEMAS, deferrable, unbreakable

TODAY = date(2026, 11, 22)
ROWS = 120


def _fresh(request: pytest.FixtureRequest, backend: str, tmp_path) -> Iterator[str]:
    """A fresh, empty database (its own name on the shared servers), dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'any.db'}"
        return
    if backend == "postgresql":
        request.getfixturevalue("postgres_url")  # skips or fails (CI) when unreachable
        admin_url, quote = POSTGRES_ADMIN_URL, '"'
    else:
        admin_url, quote = request.getfixturevalue("mysql_admin_url"), "`"
    name = f"hd_any_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {quote}{name}{quote}"))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        force = " WITH (FORCE)" if backend == "postgresql" else ""
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty database on each backend."""
    yield from _fresh(request, request.param, tmp_path)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty PostgreSQL database."""
    yield from _fresh(request, "postgresql", tmp_path)


@cache
def _zips() -> dict[str, dict]:
    """The ZIP data the addresses come from, by ZIP (zipcodes.matching scans the list per call)."""
    import zipcodes

    return {z["zip_code"]: z for z in zipcodes.list_all()}


def _coherent(city: str, state: str, zip_code: str) -> bool:
    """The same rule as fakes.address_is_consistent, by dictionary lookup (checked against it below)."""
    row = _zips().get(zip_code)
    cities = {row["city"].lower(), *(c.lower() for c in row.get("acceptable_cities") or [])} if row else set()
    return row is not None and row["state"] == state and city.lower() in cities


def _create(url: str, metadata) -> None:
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def _rows(url: str, sql: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _fill(url: str, name: str, rows: int = ROWS, **kwargs) -> tuple[anyschema.Plan, anyschema.FillResult]:
    _create(url, SCHEMAS[name]())
    plan = anyschema.introspect(url)
    return plan, anyschema.generate(plan, rows, database_url=url, today=TODAY, batch_size=50, **kwargs)


def test_self_references_are_filled_in_tiers_and_the_department_cycle_by_an_update(url: str) -> None:
    plan, result = _fill(url, "hierarchy")
    assert result.rows == {"departments": ROWS, "employees": ROWS, "comments": ROWS, "categories": ROWS}
    assert plan.cycles[0]["tables"] == ["departments", "employees"] and plan.cycles[0]["strategy"] == "update"
    roots = _rows(url, "SELECT COUNT(*) FROM employees WHERE manager_id IS NULL")[0][0]
    assert 0 < roots < ROWS  # roots with NULL parents, then children
    deep = _rows(
        url,
        "SELECT COUNT(*) FROM employees e JOIN employees m ON e.manager_id = m.id "
        "WHERE m.manager_id IS NOT NULL",
    )[0][0]
    assert deep > 0  # at least three tiers
    assert (
        _rows(url, "SELECT COUNT(*) FROM departments WHERE head_id IS NULL")[0][0] == 0
    )  # the update pass ran
    own_parent = _rows(url, "SELECT COUNT(*) FROM categories WHERE parent_id = id")[0][0]
    assert 0 < own_parent < ROWS  # NOT NULL self-reference: the roots point at themselves
    replies = _rows(url, "SELECT COUNT(*) FROM comments WHERE parent_id IS NOT NULL")[0][0]
    assert 0 < replies < ROWS
    for email, phone in _rows(url, "SELECT email, phone FROM employees"):
        assert is_safe_email(email) and is_safe_phone(phone)


def test_tiers_follow_the_configured_depth_and_branching(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    _create(url, SCHEMAS["hierarchy"]())
    plan = anyschema.introspect(url)
    fk = next(fk for fk in plan.tables["comments"].foreign_keys if fk.ref_table == "comments")
    fk.depth, fk.branching = 2, 5
    anyschema.generate(plan, 60, database_url=url, today=TODAY)
    roots = _rows(url, "SELECT COUNT(*) FROM comments WHERE parent_id IS NULL")[0][0]
    assert roots == 10  # 60 rows over 1 + 5 per root
    assert (
        _rows(
            url,
            "SELECT MAX(n) FROM (SELECT COUNT(*) n FROM comments GROUP BY parent_id "
            "HAVING parent_id IS NOT NULL) x",
        )[0][0]
        == 5
    )
    grandchildren = _rows(
        url,
        "SELECT COUNT(*) FROM comments c JOIN comments p ON c.parent_id = p.id WHERE p.parent_id IS NOT NULL",
    )[0][0]
    assert grandchildren == 0  # depth 2


def test_author_book_cycle_is_broken_on_the_nullable_side(url: str) -> None:
    plan, result = _fill(url, "library")
    assert plan.cycles[0]["broken_by"] == "authors(favorite_book_id) -> books(id)"
    assert result.updated == {"authors": ROWS}
    assert _rows(url, "SELECT COUNT(*) FROM authors WHERE favorite_book_id IS NULL")[0][0] == 0
    prices = [float(p) for (p,) in _rows(url, "SELECT price FROM books")]
    assert all(0 < p <= 500 for p in prices)


def test_keys_checks_and_semantic_columns(url: str) -> None:
    _plan, result = _fill(url, "keys_and_checks")
    assert result.rows["store_managers"] == ROWS  # 1:1 with stores
    assert {s for (s,) in _rows(url, "SELECT status FROM stores")} <= {"open", "closed", "planned"}
    assert all(1 <= r <= 5 for (r,) in _rows(url, "SELECT rating FROM stores"))
    for opened, closed in _rows(url, "SELECT opened_on, closed_on FROM stores"):
        assert closed is None or str(closed) >= str(opened)
    addresses = _rows(url, "SELECT city, state, zip FROM stores")
    assert all(_coherent(*address) for address in addresses)
    assert all(address_is_consistent(*address) for address in addresses[:10])  # the library's own check
    for npi, ssn, email, phone in _rows(url, "SELECT npi, ssn, email, mobile_phone FROM store_managers"):
        assert is_valid_npi(npi) and is_valid_ssn(ssn) and is_safe_email(email) and is_safe_phone(phone)
    assert all(is_valid_icd10(code) for (code,) in _rows(url, "SELECT diagnosis_code FROM visits"))
    assert len(_rows(url, "SELECT DISTINCT store_id FROM store_managers")) == ROWS


def test_the_documents_example_schemas(url: str) -> None:
    for name in ("saas", "time_series", "geospatial"):
        _create(url, SCHEMAS[name]())
    plan = anyschema.introspect(url)
    result = anyschema.generate(plan, ROWS, database_url=url, today=TODAY, batch_size=50)
    assert all(n == ROWS for n in result.rows.values()), result.rows
    assert {r for (r,) in _rows(url, "SELECT role FROM users")} <= {"owner", "admin", "member", "viewer"}
    assert all(str(e) >= str(s) for s, e in _rows(url, "SELECT start_date, end_date FROM tasks"))
    assert all(-50 <= v <= 150 for (v,) in _rows(url, "SELECT value FROM readings"))
    for lat, lon, city, state, zip_code in _rows(
        url, "SELECT latitude, longitude, city, state, zip_code FROM places"
    ):
        assert _coherent(city, state, zip_code)
        ref = _zips()[zip_code]  # the coordinates are the ZIP's own
        assert abs(float(lat) - float(ref["lat"])) < 1e-4 and abs(float(lon) - float(ref["long"])) < 1e-4
    assert all(is_safe_email(e) for (e,) in _rows(url, "SELECT email FROM users"))


def test_unbreakable_cycle_is_named(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    _create(url, unbreakable())
    with pytest.raises(
        ConfigurationError, match=r"cycle chickens <-> eggs: every foreign key in it is NOT NULL"
    ):
        anyschema.introspect(url)


def test_deferrable_cycle_runs_in_one_transaction_where_the_backend_defers(url: str) -> None:
    _create(url, deferrable(supported=not url.startswith("mysql")))
    if not url.startswith("postgresql"):  # SQLite's reflection and MariaDB have no deferred keys
        with pytest.raises(ConfigurationError, match=r"Cannot order the cycle players <-> teams"):
            anyschema.introspect(url)
        return
    plan = anyschema.introspect(url)
    assert plan.cycles[0]["strategy"] == "deferred"
    result = anyschema.generate(plan, 30, database_url=url, today=TODAY, batch_size=7)
    assert result.transaction == "run" and result.rows == {"players": 30, "teams": 30}
    assert _rows(url, "SELECT COUNT(*) FROM teams t JOIN players p ON t.captain_id = p.id")[0][0] == 30


def test_same_seed_same_rows_whatever_the_batch_size(tmp_path) -> None:
    dumps = []
    for n, batch in enumerate((7, 1000, 7)):
        url = f"sqlite:///{tmp_path / f'd{n}.db'}"
        _create(url, SCHEMAS["keys_and_checks"]())
        anyschema.generate(url, 60, today=TODAY, batch_size=batch, seed=5 if n < 2 else 6)
        dumps.append(
            _rows(url, "SELECT * FROM stores ORDER BY id") + _rows(url, "SELECT * FROM visits ORDER BY id")
        )
    assert dumps[0] == dumps[1]
    assert dumps[0] != dumps[2]


def test_a_failing_batch_names_the_check_and_the_whole_run_is_rolled_back(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'f.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:  # a CHECK the tool cannot read: rows past id 250 break it
        conn.exec_driver_sql(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, label VARCHAR(20), CHECK (id * 2 <= 500))"
        )
    engine.dispose()
    plan = anyschema.introspect(url)
    assert "CHECK not understood" in (plan.tables["items"].columns["id"].note or "")
    with pytest.raises(PersistenceError) as err:
        anyschema.generate(plan, 400, database_url=url, today=TODAY, batch_size=100)
    message = str(err.value)
    assert "Writing batch 3 of 'items' (100 rows) failed: CHECK constraint failed" in message
    assert "not understood: id * 2 <= 500" in message and "--schema plan.yaml" in message
    assert "\n" not in message and "the database is as it was" in message
    assert err.value.rows_written == 0
    assert _rows(url, "SELECT COUNT(*) FROM items") == [(0,)]  # one transaction: batches 1-2 undone too


def test_the_projects_own_schema_filled_by_the_generic_path(url: str) -> None:
    from healthcare_data import seeding
    from healthcare_data.validation import run_validation
    from healthcare_data.validation.runner import check_contact_safety

    seeding.seed("minimal", url, validate=False, today=TODAY)
    plan = anyschema.introspect(url)
    db = seeding.connect(url)
    try:
        db.reset()
        result = anyschema.generate(plan, 150, database_url=url, today=TODAY)
        assert set(result.rows) == {t.name for t in __import__("healthcare_data.schema").schema.TABLES}
        report = run_validation(db, "referential_integrity", today=TODAY)
        # Orphans and duplicate identifiers are schema facts the generic path must honour; the
        # project's cross-table business rules (a record's patient is its appointment's) are not.
        assert [v for v in report.violations if "orphan" in v.rule or "duplicate" in v.rule] == []
        assert report.checked > 0
        with db.engine.connect() as conn:
            for table in ("patients", "providers"):
                for row in conn.execute(text(f"SELECT * FROM {table}")).mappings():
                    assert check_contact_safety(table, dict(row)) == []
            assert all(is_valid_npi(n) for (n,) in conn.execute(text("SELECT npi_number FROM providers")))
            assert all(is_valid_ssn(s) for (s,) in conn.execute(text("SELECT ssn FROM patients")))
            genders = {g for (g,) in conn.execute(text("SELECT gender FROM patients"))}
            assert genders <= {"male", "female", "other", "unknown"}
            assert all(
                is_valid_icd10(c) for (c,) in conn.execute(text("SELECT icd10_code FROM patient_conditions"))
            )
    finally:
        db.dispose()


def test_keys_continue_after_the_fill_and_parents_have_realistic_cardinality(url: str) -> None:
    _fill(url, "saas", rows=600)
    engine = make_engine(url)
    with engine.begin() as conn:  # the database's own id sequence continues past the written ids
        conn.execute(
            text("INSERT INTO tenants (name, plan, created_at) VALUES ('Extra', 'free', '2026-01-01')")
        )
        assert conn.execute(text("SELECT MAX(id) FROM tenants")).scalar_one() == 601
    engine.dispose()
    per_user = [n for (n,) in _rows(url, "SELECT COUNT(*) FROM tasks GROUP BY assignee_id")]
    assert max(per_user) >= 4 * (sum(per_user) / len(per_user))  # a few busy parents, many quiet ones


def test_computed_columns_are_left_to_the_database(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE lines (id INTEGER PRIMARY KEY, quantity INTEGER NOT NULL, "
            "price NUMERIC(8,2) NOT NULL, total NUMERIC(10,2) GENERATED ALWAYS AS (quantity * price) STORED)"
        )
    engine.dispose()
    plan = anyschema.introspect(url)
    assert plan.tables["lines"].columns["total"].generator == "computed"
    anyschema.generate(plan, 20, database_url=url, today=TODAY)
    assert all(
        abs(float(t) - q * float(p)) < 0.01
        for q, p, t in _rows(url, "SELECT quantity, price, total FROM lines")
    )


def test_rows_stream_one_batch_at_a_time(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    _create(url, SCHEMAS["saas"]())
    plan = anyschema.introspect(url)
    runners = anyschema.fill.prepare(plan, seed=1, today=TODAY, rows=10**9)  # a billion rows planned
    first = next(runners["tasks"].batches(250))  # ...and the first batch comes at once, alone
    assert len(first) == 250


def test_postgresql_types_get_type_correct_values(pg_url: str) -> None:
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TYPE mood AS ENUM ('happy', 'sad', 'ok')")
        conn.exec_driver_sql(
            "CREATE TABLE things (id bigserial PRIMARY KEY, ext uuid NOT NULL UNIQUE, data jsonb, "
            "m mood NOT NULL, tags text[] NOT NULL, addr inet, seen timestamptz NOT NULL, "
            "price numeric(4,2) NOT NULL, small smallint NOT NULL, code char(3) NOT NULL UNIQUE)"
        )
    engine.dispose()
    plan = anyschema.introspect(pg_url)
    columns = plan.tables["things"].columns
    assert columns["m"].choices == ["happy", "sad", "ok"]
    assert columns["addr"].generator == "null" and "unsupported type INET" in (columns["addr"].note or "")
    anyschema.generate(plan, 200, database_url=pg_url, today=TODAY)
    rows = _rows(pg_url, "SELECT ext, data, m, tags, price, small, code FROM things")
    assert len({r[0] for r in rows}) == 200 and len({r[6] for r in rows}) == 200
    assert all(isinstance(r[1], dict) and r[2] in ("happy", "sad", "ok") for r in rows)
    assert all(1 <= len(r[3]) <= 3 and all(isinstance(t, str) and t for t in r[3]) for r in rows)  # NOT NULL
    assert all(0 <= r[4] <= 99.99 and -(2**15) <= r[5] < 2**15 for r in rows)


def test_introspection_reads_keys_and_constraints_on_every_backend(url: str) -> None:
    _create(url, SCHEMAS["keys_and_checks"]())
    plan = anyschema.introspect(url)
    countries, regions, stores = (plan.tables[t] for t in ("countries", "regions", "stores"))
    assert countries.primary_key == ["code"] and countries.columns["code"].type in ("varchar", "char")
    assert countries.columns["code"].length == 2
    assert regions.primary_key == ["country_code", "region_code"]
    composite = next(fk for fk in stores.foreign_keys if fk.ref_table == "regions")
    assert composite.columns == ["country_code", "region_code"]
    assert composite.ref_columns == ["country_code", "region_code"]
    assert stores.columns["code"].unique and not stores.columns["street"].unique
    assert not stores.columns["status"].nullable and stores.columns["closed_on"].nullable
    assert stores.columns["status"].choices == ["open", "closed", "planned"]
    assert stores.columns["rating"].range == [1, 5]
    assert stores.columns["closed_on"].after == "opened_on"
    assert plan.tables["visits"].columns["amount"].range == [0, None]
    assert (
        plan.tables["visits"].columns["amount"].precision,
        plan.tables["visits"].columns["amount"].scale,
    ) == (10, 2)
    assert plan.order.index("regions") < plan.order.index("stores") < plan.order.index("store_managers")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'same.db'}"


def _same(value: object) -> str:
    """One spelling per value across drivers (SQLite keeps 121.70 as the REAL 121.7, 528.00 as 528)."""
    if isinstance(value, (int, float, Decimal)):  # bool too: MariaDB answers 0/1
        return f"{float(value):.6f}"
    return str(value)


def test_same_seed_same_rows_on_sqlite_postgresql_and_mariadb(url: str, sqlite_url: str) -> None:
    results = []
    for target in (sqlite_url, url):
        _create(target, SCHEMAS["keys_and_checks"]())
        anyschema.generate(target, 40, today=TODAY, seed=11, batch_size=16)
        rows = _rows(target, "SELECT * FROM stores ORDER BY id") + _rows(
            target, "SELECT * FROM visits ORDER BY id"
        )
        results.append([tuple(_same(v) for v in row) for row in rows])
    assert results[0] == results[1]


def test_copy_and_executemany_write_the_same_rows(pg_url: str, tmp_path) -> None:
    _create(pg_url, SCHEMAS["library"]())
    anyschema.generate(pg_url, 30, today=TODAY, method="copy")
    copied = _rows(pg_url, "SELECT * FROM books ORDER BY id") + _rows(
        pg_url, "SELECT * FROM authors ORDER BY id"
    )
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE authors SET favorite_book_id = NULL"))
        conn.execute(text("DELETE FROM books"))
        conn.execute(text("DELETE FROM authors"))
    engine.dispose()
    anyschema.generate(pg_url, 30, today=TODAY, method="executemany")
    assert (
        _rows(pg_url, "SELECT * FROM books ORDER BY id") + _rows(pg_url, "SELECT * FROM authors ORDER BY id")
        == copied
    )


def test_time_series_rows_are_consecutive_per_sensor(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'ts.db'}"
    _create(url, SCHEMAS["time_series"]())
    plan = anyschema.introspect(url)
    plan.tables["sensors"].rows, plan.tables["readings"].rows = 5, 100
    anyschema.generate(plan, database_url=url, today=TODAY)
    for sensor in range(1, 6):
        query = f"SELECT recorded_at FROM readings WHERE sensor_id = {sensor} ORDER BY 1"
        times = [t for (t,) in _rows(url, query)]
        assert len(times) == 20 and len(set(times)) == 20
        assert len({str(t)[:13] for t in times}) <= 2  # 20 readings one minute apart
