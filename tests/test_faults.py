"""Fault injection: a seed that is killed, interrupted, out of disk, locked out or racing
another run leaves the database exactly as it was.

Each test seeds a small dataset first (``minimal``, the rows that must survive), takes a
fingerprint (row count and SHA-256 of the sorted rows of every table), injects the
fault into a second run, and checks afterwards: the fingerprint is unchanged, SQLite's
``integrity_check`` and ``foreign_key_check`` pass, no child row lacks its parent, no
uuid is duplicated, and a rerun succeeds. The killed runs seed ``load_test`` so the
signal lands while rows are being written: the test waits until the SQLite file grows
(pages written to disk) or PostgreSQL shows the run's COPY before it sends the signal.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
from sqlalchemy import create_engine, inspect, text

from healthcare_data.cli import main
from healthcare_data.db import Database
from healthcare_data.schema import Base
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_required

ROOT = Path(__file__).resolve().parents[1]
KILLED_PROFILE = ("--profile", "load_test", "--seed", "5", "--reset")


# --- helpers -------------------------------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("QA_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def _seed_command(url: str, *args: str) -> list[str]:
    command = [sys.executable, "-m", "healthcare_data", "seed", "-q", "--no-validate"]
    return [*command, "--database-url", url, *args]


def seed(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _seed_command(url, *args), capture_output=True, text=True, env=_env(**env), timeout=180
    )


def start_seed(url: str, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _seed_command(url, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(**env)
    )


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Rows and a SHA-256 of the sorted rows of every table (ours and any other)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            result = {}
            quote = engine.dialect.identifier_preparer.quote
            for table in sorted(inspect(conn).get_table_names()):
                rows = sorted(repr(tuple(r)) for r in conn.execute(text(f"SELECT * FROM {quote(table)}")))
                result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
            return result
    finally:
        engine.dispose()


def assert_sound(url: str) -> None:
    """SQLite integrity and foreign keys; on every backend no orphans and no duplicate uuids."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            present = set(inspect(conn).get_table_names())
            for table in Base.metadata.sorted_tables:
                if table.name not in present:
                    continue
                for fk in table.foreign_keys:
                    child, parent = fk.parent, fk.column
                    orphans = conn.execute(
                        text(
                            f"SELECT count(*) FROM {table.name} c WHERE c.{child.name} IS NOT NULL "
                            f"AND NOT EXISTS (SELECT 1 FROM {parent.table.name} p "
                            f"WHERE p.{parent.name} = c.{child.name})"
                        )
                    ).scalar()
                    assert orphans == 0, f"{table.name}.{child.name}"
                if "uuid" in table.columns:
                    duplicates = conn.execute(
                        text(
                            f"SELECT count(*) FROM (SELECT uuid FROM {table.name} "
                            "GROUP BY uuid HAVING count(*) > 1) d"
                        )
                    ).scalar()
                    assert duplicates == 0, table.name
    finally:
        engine.dispose()


def sqlite_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def wait_until_mid_write(url: str, process: subprocess.Popen[str], on_disk: bool) -> None:
    """Block until the run is writing: PostgreSQL runs a COPY or stages rows; SQLite has a journal (the
    reset's deletes are in the transaction) or, ``on_disk``, the file itself has grown
    by new pages (the page cache spilled: the file really is half-written)."""
    deadline = time.monotonic() + 60
    if url.startswith("sqlite"):
        file = sqlite_file(url)
        journal = Path(f"{file}-journal")
        start = file.stat().st_size if file.exists() else 0

        def writing() -> bool:
            if on_disk:
                return file.exists() and file.stat().st_size > start + 256 * 1024
            return journal.exists()
    else:
        engine = create_engine(url)
        name = engine.url.database

        def writing() -> bool:
            with engine.connect() as conn:
                return bool(
                    conn.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND state = 'active' "
                            "AND query LIKE 'COPY %'"
                        ),
                        {"d": name},
                    ).scalar()
                    # workers COPYing their shards (pg_shards): short COPYs, staging tables
                    # from the first to the last of them
                    or conn.execute(
                        text("SELECT count(*) FROM pg_tables WHERE schemaname = 'hd_staging'")
                    ).scalar()
                )

    try:
        while not writing():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the run never started writing"
            time.sleep(0.02)
    finally:
        if not url.startswith("sqlite"):
            engine.dispose()


def wait_until_released(url: str, pid: int) -> float:
    """When the run stopped holding the database: its SQLite journal is gone (rolled back)
    or its PostgreSQL session no longer holds the advisory run lock. Returns the time."""
    deadline = time.monotonic() + 30
    if url.startswith("sqlite"):
        journal = Path(f"{sqlite_file(url)}-journal")
        while journal.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return time.monotonic()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            while time.monotonic() < deadline:
                held = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND a.application_name <> 'faults-probe' "
                        "AND a.datname = current_database()"
                    )
                ).scalar()
                conn.rollback()
                if not held:
                    break
                time.sleep(0.01)
        return time.monotonic()
    finally:
        engine.dispose()


# --- databases -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _pg_server() -> Iterator[str]:
    """A throw-away PostgreSQL database for this module (subprocesses lock it)."""
    name = f"hd_faults_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - no server
        admin.dispose()
        if _postgres_required():
            pytest.fail(f"PostgreSQL unreachable: {exc.__class__.__name__} (CI requires PostgreSQL)")
        pytest.skip("PostgreSQL unreachable")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL per backend (PostgreSQL: the module's database, tables dropped)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'faults.db'}"
        return
    server = request.getfixturevalue("_pg_server")
    db = Database(server)
    Base.metadata.drop_all(db.engine)
    db.dispose()
    yield server


def seed_here(url: str, *args: str) -> None:
    """A seed run in this process (no interpreter start-up) that must succeed."""
    assert main(["seed", "-q", "--no-validate", "--database-url", url, *args]) == 0


@pytest.fixture
def previous(url: str) -> dict[str, tuple[int, str]]:
    """The rows a failed run must leave alone: ``minimal`` seed 0, fingerprinted."""
    seed_here(url, "--profile", "minimal", "--seed", "0")
    return fingerprint(url)


def assert_as_before(url: str, before: dict[str, tuple[int, str]]) -> None:
    assert fingerprint(url) == before
    assert_sound(url)


def assert_rerun_succeeds(url: str) -> None:
    seed_here(url, "--profile", "minimal", "--seed", "1", "--reset")
    assert_sound(url)


# --- kills and signals -----------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=["kill", "int", "term"])
def test_a_run_killed_mid_write_leaves_the_previous_rows(url, previous, sig):
    if sig == signal.SIGTERM and not url.startswith("sqlite"):
        pytest.skip("SIGTERM takes SIGINT's path (same handler); checked on SQLite only to save CI time")
    process = start_seed(url, *KILLED_PROFILE)
    wait_until_mid_write(url, process, on_disk=sig == signal.SIGKILL)
    helpers = psutil.Process(process.pid).children(recursive=True)  # forkserver, workers
    sent = time.monotonic()
    process.send_signal(sig)
    released = wait_until_released(url, process.pid) - sent
    if sig == signal.SIGKILL:
        # Only the parent is killed: its forkserver and generation workers hold the pipes
        # it inherited to them, so wait for the process itself; the workers watch the
        # parent and exit (shards._exit_with), and the forkserver goes with them.
        assert process.wait(timeout=30) == -signal.SIGKILL
        stderr = ""
        _, alive = psutil.wait_procs(helpers, timeout=15)
        assert alive == [], f"generation processes outlived the killed seed: {alive}"
    else:
        _, stderr = process.communicate(timeout=30)
    if sig == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == 130, stderr
        assert "interrupted" in one_line(stderr)
        # The write ends (lock released, rollback done) within a second: 0.02-0.4 s are
        # measured; a machine loaded far past its cores can delay the process's next
        # time slice by seconds, hence the allowance.
        assert released < 3.0, f"{released:.2f} s until the database was released"
        if url.startswith("sqlite"):  # rolled back in-process: no hot journal for the next run
            assert not Path(f"{sqlite_file(url)}-journal").exists()
    assert_as_before(url, previous)
    assert_rerun_succeeds(url)


def test_an_interrupted_first_run_leaves_no_tables(tmp_path):
    """A first run interrupted mid-write: the tables were created inside the transaction,
    so nothing is left but an empty (0-byte) file and no journal. The file itself stays:
    a concurrent run may already have it open, and deleting it would lose that run's rows."""
    url = f"sqlite:///{tmp_path / 'new.db'}"
    process = start_seed(url, *KILLED_PROFILE)
    wait_until_mid_write(url, process, on_disk=False)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=30)
    assert process.returncode == 130
    assert [p.name for p in tmp_path.iterdir()] == ["new.db"]
    assert (tmp_path / "new.db").stat().st_size == 0
    assert fingerprint(url) == {}


# --- disk full -------------------------------------------------------------------------------


@contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` at ``path`` (root with mount rights), else skip to the simulation."""
    path.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]
    mounted = subprocess.run(command, capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here; test_sqlite_full_is_simulated covers a full database")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_full_disk_leaves_the_previous_rows(tmp_path):
    with small_disk(tmp_path / "disk", "1m") as disk:
        url = f"sqlite:///{disk / 'full.db'}"
        seed_here(url, "--profile", "minimal", "--seed", "0")
        before = fingerprint(url)
        result = seed(url, *KILLED_PROFILE)
        assert result.returncode == 1
        assert "full" in one_line(result.stderr)
        assert not Path(f"{sqlite_file(url)}-journal").exists()
        assert_as_before(url, before)
        assert_rerun_succeeds(url)


def test_sqlite_full_is_simulated(tmp_path, capsys):
    """The same fault without mount rights: SQLite's own page limit raises SQLITE_FULL."""
    from sqlalchemy import event

    from healthcare_data import seeding

    url = f"sqlite:///{tmp_path / 'full.db'}"
    assert main(["seed", "-q", "--no-validate", "--profile", "minimal", "--database-url", url]) == 0
    before = fingerprint(url)
    db = Database(url)  # not connected yet: every connection gets the page limit
    event.listen(db.engine, "connect", lambda conn, _: conn.execute("PRAGMA max_page_count = 120"))
    with pytest.raises(Exception, match="full"):
        seeding.seed("integration", db, seed=3, reset=True, validate=False)
    db.dispose()
    assert_as_before(url, before)


def test_an_export_to_a_full_disk_leaves_no_truncated_file(tmp_path, capsys):
    with small_disk(tmp_path / "disk", "256k") as disk:
        target = disk / "data.json"
        target.write_text('{"old": true}\n')
        code = main(["export", "-f", "json", "-o", str(target), "--profile", "integration"])
        assert code == 2
        assert "No space left" in one_line(capsys.readouterr().err)
        assert target.read_text() == '{"old": true}\n'
        assert sorted(p.name for p in disk.iterdir()) == ["data.json"]


def test_an_export_that_fails_mid_file_keeps_the_old_file(tmp_path, monkeypatch):
    """ENOSPC simulated at the writer (works without mount rights)."""
    import errno

    from healthcare_data.export import writers

    target = tmp_path / "data.ndjson"
    target.write_text("old\n")

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writers.json.JSONEncoder, "encode", full)
    with pytest.raises(OSError):
        writers.write_tables({"patients": [{"id": 1}]}, target, "ndjson")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.ndjson"]


# --- locks and concurrent runs -----------------------------------------------------------------


@contextmanager
def held_lock(url: str) -> Iterator[None]:
    """Another session holding a lock: SQLite's write lock, PostgreSQL an exclusive table lock."""
    engine = create_engine(url)
    conn = engine.connect()
    try:
        if engine.dialect.name == "sqlite":
            conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE")
        else:
            conn.begin()
            conn.exec_driver_sql("LOCK TABLE patients IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        conn.rollback()
        conn.close()
        engine.dispose()


def test_a_held_lock_stops_the_run_with_a_message(url, previous):
    with held_lock(url):
        started = time.monotonic()
        result = seed(url, "--profile", "minimal", "--seed", "3", "--reset", QA_LOCK_TIMEOUT="1")
        took = time.monotonic() - started
    assert result.returncode == 1
    message = one_line(result.stderr)
    assert "is busy" in message and "QA_LOCK_TIMEOUT" in message and "another" in message
    assert took < 15
    assert_as_before(url, previous)
    assert_rerun_succeeds(url)


def test_two_runs_at_once_one_waits_for_the_other(url):
    """Two fresh seeds on one empty database: the second waits for the first's lock, then
    finds its rows and says so (never a UNIQUE or catalog error, never a reset)."""
    runs = [start_seed(url, "--profile", "integration", "--seed", str(k)) for k in (1, 2)]
    outcomes = sorted((p.wait(timeout=180), p.stderr.read()) for p in runs)
    for p in runs:
        p.stdout.close()
        p.stderr.close()
    assert outcomes[0][0] == 0, outcomes
    assert outcomes[1][0] == 2, outcomes
    assert "already holds" in one_line(outcomes[1][1])
    counts = Database(url).counts()
    assert counts["appointments"] == 2000 and counts["insurance_claims"] == 1500
    assert_sound(url)


def test_two_resets_at_once_both_finish_one_after_the_other(url):
    runs = [start_seed(url, "--profile", "minimal", "--seed", str(k), "--reset") for k in (1, 2)]
    codes = [p.wait(timeout=180) for p in runs]
    errors = [p.stderr.read() for p in runs]
    for p in runs:
        p.stdout.close()
        p.stderr.close()
    assert codes == [0, 0], errors
    assert Database(url).counts()["patients"] == 25
    assert_sound(url)


# --- bounded input and one-line errors ------------------------------------------------------------


def test_a_huge_count_is_refused_before_anything_is_created(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["seed", "--patients", str(10**12), "--database-url", url]) == 2
    assert "at most 10,000,000" in one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_a_url_with_a_bad_port_is_one_line(capsys):
    assert main(["seed", "--database-url", "postgresql://u@h:abc/x"]) == 2
    assert "port must be a number" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("scheme", ["mysql", "postgresql"])
def test_a_server_that_never_answers_times_out(scheme, capsys, monkeypatch):
    monkeypatch.setenv("QA_CONNECT_TIMEOUT", "1")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        started = time.monotonic()
        code = main(["seed", "--profile", "minimal", "--database-url", f"{scheme}://root@127.0.0.1:{port}/x"])
        took = time.monotonic() - started
    assert code == 2
    assert f"127.0.0.1:{port}" in one_line(capsys.readouterr().err)
    assert took < 10


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_strings_longer_than_their_column_are_refused(backend, tmp_path, request):
    from healthcare_data.builders import PatientBuilder
    from healthcare_data.errors import ConfigurationError

    url = f"sqlite:///{tmp_path / 'x.db'}" if backend == "sqlite" else request.getfixturevalue("_pg_server")
    db = Database(url).create_schema()
    try:
        before = db.counts()
        with pytest.raises(ConfigurationError, match=r"first_name is 10,000 characters.*at most 100"):
            PatientBuilder(db, rng=1).with_demographics("x" * 10_000, "Smith").create()
        assert db.counts() == before
    finally:
        db.dispose()


def test_builder_docstrings_are_bounded():
    from healthcare_data.builders.script import BuilderScriptError, parse_builder_script

    with pytest.raises(BuilderScriptError, match="chains 2,001 calls; at most 200"):
        parse_builder_script("PatientBuilder()" + ".a()" * 2000 + ".create()")
    with pytest.raises(BuilderScriptError, match="1,000,0.. characters; at most 20,000"):
        parse_builder_script('PatientBuilder().withDemographics("' + "x" * 1_000_000 + '").create()')
    started = time.monotonic()  # the largest accepted script parses fast (was quadratic)
    script = parse_builder_script(
        'PatientBuilder().withDemographics("' + "x" * 19_000 + '", "Smith").withAge(40).create()'
    )
    assert len(script.calls) == 2 and time.monotonic() - started < 1.0


def test_scheduler_refuses_negative_durations_and_counts(rng):
    from datetime import datetime

    from healthcare_data.errors import ConfigurationError
    from healthcare_data.scheduling import Scheduler

    scheduler = Scheduler()
    with pytest.raises(ConfigurationError, match=r"duration \(minutes\) must be .* >= 1, got -30"):
        scheduler.book(1, datetime(2026, 11, 23, 9), -30)
    with pytest.raises(ConfigurationError, match="count must be a whole number >= 1, got -1"):
        scheduler.find_series(1, 30, count=-1, rng=rng)
    with pytest.raises(ConfigurationError, match="count must be a whole number >= 1, got -1"):
        scheduler.suggest_alternatives(1, datetime(2026, 11, 23, 9), 30, count=-1)


def test_a_flag_wins_over_a_malformed_variable(tmp_path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("QA_SEED", "abc")
    quick = ["seed", "-q", "--no-validate", "--profile", "minimal", "--database-url", url]
    assert main([*quick, "--seed", "3"]) == 0
    capsys.readouterr()
    assert main([*quick, "--reset"]) == 2
    assert "QA_SEED='abc'" in one_line(capsys.readouterr().err)


def test_an_unwritable_metrics_path_fails_before_the_database_is_touched(url, previous, capsys):
    argv = ["seed", "-q", "--profile", "minimal", "--reset", "--database-url", url]
    argv += ["--metrics-json", "/proc/x/m.json"]
    code = main(argv)
    assert code == 2
    assert "--metrics-json '/proc/x/m.json' cannot be written" in one_line(capsys.readouterr().err)
    assert_as_before(url, previous)


def test_export_to_a_directory_reads_back(tmp_path, capsys):
    from healthcare_data.export import load_dataset

    out = tmp_path / "out"
    assert main(["export", "-f", "json", "-o", f"{out}/", "--profile", "minimal"]) == 0
    assert [p.name for p in out.iterdir()] == ["dataset.json"]
    assert len(load_dataset(f"{out}/")["patients"]) == 25


def test_a_foreign_patients_table_is_named(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'other.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT)")
        conn.exec_driver_sql("INSERT INTO patients (name) VALUES ('theirs')")
    engine.dispose()
    before = fingerprint(url)
    for argv in (["validate"], ["seed", "-q", "--profile", "minimal", "--reset"]):
        assert main([*argv, "--database-url", url]) == 2
        assert "table 'patients' that is not healthcare-data's" in capsys.readouterr().err
    assert fingerprint(url) == before


def test_rerunning_a_seeded_example_says_why_the_uuid_clashes(tmp_path):
    from healthcare_data import PatientBuilder, ProviderFactory
    from healthcare_data.errors import UniquenessViolation

    db = Database(f"sqlite:///{tmp_path / 'demo.db'}").create_schema()
    PatientBuilder(db, rng=42).with_persona("elderly_patient").create()
    with pytest.raises(UniquenessViolation, match=r"same seed .* draws the same uuid.*rng=None"):
        PatientBuilder(db, rng=42).with_persona("elderly_patient").create()
    ProviderFactory(db, rng=42).create_specialist("Cardiology")
    with pytest.raises(UniquenessViolation, match=r"providers.uuid .*same seed") as caught:
        ProviderFactory(db, rng=42).create_specialist("Cardiology")
    assert "omit uuid" not in str(caught.value)  # no uuid was passed: that advice could not help
    db.dispose()


def test_an_unknown_name_without_a_close_match_has_a_separator():
    from healthcare_data.errors import UnknownNameError
    from healthcare_data.personas import PERSONAS

    with pytest.raises(UnknownNameError) as caught:
        PERSONAS.get("zzz")
    assert str(caught.value).startswith("Unknown persona 'zzz'; Known: ")


def test_a_validate_during_a_seed_reads_a_whole_dataset(url, previous, capsys):
    """PostgreSQL: validate waits for the seed's lock, then checks the new rows; SQLite:
    it reads the last committed state. Either way it never sees half a dataset."""
    process = start_seed(url, "--profile", "standard", "--seed", "5", "--reset")
    wait_until_mid_write(url, process, on_disk=False)
    code = main(["validate", "--database-url", url])
    out = capsys.readouterr().out
    assert process.wait(timeout=180) == 0, process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    assert code == 0, out
    assert "passed" in out
    assert_sound(url)


# --- the run lock from another process: journeys and the pytest plugin's reset ---------------------

LOCK_HOLDER = """
import sys, time
from sqlalchemy import create_engine, text
from healthcare_data.db import RUN_LOCK_KEY, Database
url = sys.argv[1]
engine = create_engine(url)
conn = engine.connect()
if engine.dialect.name == "sqlite":
    conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE")
elif engine.dialect.name == "postgresql":
    conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": RUN_LOCK_KEY})
else:
    assert conn.execute(text("SELECT GET_LOCK(:n, 5)"), {"n": Database(url).mysql_lock_name}).scalar() == 1
print("held", flush=True)
sys.stdin.read()  # until the test closes our stdin
"""


@contextmanager
def run_lock_held_elsewhere(url: str) -> Iterator[None]:
    """Another process holding the run lock ``seed`` takes (SQLite: the write lock)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.communicate(input="", timeout=30)


def test_journeys_and_the_plugins_reset_take_the_run_lock(url, previous, monkeypatch):
    from healthcare_data.errors import DatabaseBusyError
    from healthcare_data.journeys.generate import JourneySpec, seed_journeys
    from healthcare_data.pytest_plugin import _locked_reset
    from healthcare_data.randomness import Randomness

    monkeypatch.setenv("QA_LOCK_TIMEOUT", "1")
    db = Database(url)
    try:
        with run_lock_held_elsewhere(url):
            with pytest.raises(DatabaseBusyError, match="is busy: waited .* for 1 s"):
                seed_journeys(db, JourneySpec(patients=5), Randomness(1))
            with pytest.raises(DatabaseBusyError, match="is busy"):
                _locked_reset(db)  # what hd_database does on a shared --hd-database-url
        assert_as_before(url, previous)  # neither wrote nor wiped the other run's rows
        seed_journeys(db, JourneySpec(patients=5), Randomness(1))  # the lock free: both work
        assert db.counts()["care_journeys"] > 0
        _locked_reset(db)
        assert db.total_rows() == 0
    finally:
        db.dispose()


LOCK_PROBE = """
import sys
from sqlalchemy import create_engine, text
from healthcare_data.db import RUN_LOCK_KEY, Database
url = sys.argv[1]
engine = create_engine(url, connect_args={"timeout": 0.2} if url.startswith("sqlite") else {})
with engine.connect() as conn:
    if engine.dialect.name == "sqlite":
        try:
            conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE")
            free = True
        except Exception:
            free = False
    elif engine.dialect.name == "postgresql":
        free = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": RUN_LOCK_KEY}).scalar()
    else:
        name = Database(url).mysql_lock_name
        free = conn.execute(text("SELECT IS_FREE_LOCK(:n)"), {"n": name}).scalar() == 1
print("free" if free else "held")
"""


def test_journeys_hold_the_run_lock_while_they_write(url, monkeypatch):
    """Not only at the start: another process finds the lock taken while the rows go in."""
    from healthcare_data.journeys import generate
    from healthcare_data.randomness import Randomness

    seen: list[str] = []
    original = generate.generate_journeys

    def probing(*args, **kwargs):
        for number, batch in enumerate(original(*args, **kwargs)):
            if number == 1:  # the first batch is in the transaction
                probe = [sys.executable, "-c", LOCK_PROBE, url]
                seen.append(subprocess.run(probe, capture_output=True, text=True, env=_env()).stdout.strip())
            yield batch

    monkeypatch.setattr(generate, "generate_journeys", probing)
    db = Database(url)
    try:
        generate.seed_journeys(db, generate.JourneySpec(patients=40), Randomness(1), batch_size=50)
    finally:
        db.dispose()
    assert seen == ["held"]


# --- MariaDB: the same faults ----------------------------------------------------------------------


@pytest.fixture
def mysql_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A throw-away database on the shared MariaDB server (skipped locally, required in CI)."""
    from sqlalchemy.engine import make_url

    admin_url = request.getfixturevalue("mysql_admin_url")
    name = f"hd_faults_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}`"))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


def _mysql_writes(url: str) -> int:
    """Rows the open transactions on this database have modified (0 when none is open)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT COALESCE(SUM(t.trx_rows_modified), 0) FROM information_schema.INNODB_TRX t "
                        "JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
                        "WHERE p.DB = DATABASE()"
                    )
                ).scalar()
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill", "int"])
def test_mariadb_a_run_killed_mid_write_leaves_the_previous_rows(mysql_url, sig):
    seed_here(mysql_url, "--profile", "minimal", "--seed", "0")
    before = fingerprint(mysql_url)
    held = sum(n for n, _ in before.values())
    # Four times load_test's visits: its 1.5 s on MariaDB could end between two polls of a
    # loaded machine (each poll opens a connection), and the signal then came too late.
    process = start_seed(mysql_url, *KILLED_PROFILE, "--patients", "8000", "--appointments", "40000")
    deadline = time.monotonic() + 90
    while _mysql_writes(mysql_url) < held + 2000:  # the reset's deletes, then new rows
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never started writing"
        time.sleep(0.05)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    if sig == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == 130, stderr
        # One line: the boundary's message, or, when InnoDB's rollback of the deleted and
        # inserted rows outlasts the CLI's 0.8 s watchdog under heavy load, the watchdog's
        # (the server then finishes the rollback); the database is as it was either way.
        assert "interrupted; " in one_line(stderr), stderr
    deadline = time.monotonic() + 60  # a killed client: the server rolls its transaction back
    while _mysql_writes(mysql_url):
        assert time.monotonic() < deadline, "the server never rolled the killed run back"
        time.sleep(0.05)
    assert_as_before(mysql_url, before)
    assert_rerun_succeeds(mysql_url)


@pytest.mark.parametrize("holder", ["run lock", "table lock"])
def test_mariadb_a_held_lock_stops_the_run_with_a_message(mysql_url, holder):
    seed_here(mysql_url, "--profile", "minimal", "--seed", "0")
    before = fingerprint(mysql_url)
    if holder == "run lock":
        hold = run_lock_held_elsewhere(mysql_url)
    else:
        hold = _mysql_table_locked(mysql_url)
    with hold:
        started = time.monotonic()
        result = seed(mysql_url, "--profile", "minimal", "--seed", "3", "--reset", QA_LOCK_TIMEOUT="1")
        took = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    message = one_line(result.stderr)
    assert "is busy" in message and "QA_LOCK_TIMEOUT" in message
    assert took < 30
    assert_as_before(mysql_url, before)
    assert_rerun_succeeds(mysql_url)


@contextmanager
def _mysql_table_locked(url: str) -> Iterator[None]:
    """Another session's ``LOCK TABLES patients WRITE`` (a metadata lock, not a row lock)."""
    engine = create_engine(url)
    conn = engine.connect()
    try:
        conn.exec_driver_sql("LOCK TABLES patients WRITE")
        yield
    finally:
        conn.exec_driver_sql("UNLOCK TABLES")
        conn.close()
        engine.dispose()
