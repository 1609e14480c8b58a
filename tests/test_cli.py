"""The ``healthcare-data`` command through its real entry points.

``python -m healthcare_data ...`` in a subprocess for what a person types (exit codes,
one-line errors, no traceback, the default SQLite file), ``main(argv)`` with captured
output where the test needs to look inside the database or patch a validator.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from healthcare_data.cli import COUNT_FLAGS, ProgressBars, main
from healthcare_data.db import Database
from healthcare_data.export import load_dataset, read_database

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = {"patients": 25, "providers": 10, "appointments": 50, "medical_records": 25, "insurance_claims": 30}
DOCUMENT_METRICS = {
    "environment",
    "profile_name",
    "total_time_seconds",
    "target_time_seconds",
    "performance_ratio",
    "target_met",
    "total_records_created",
    "records_per_second",
    "validation_time_seconds",
    "errors",
    "success",
}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """No DATABASE_URL or QA_* from the caller's shell leaks into a test."""
    for name in list(os.environ):
        if name == "DATABASE_URL" or name.startswith("QA_"):
            monkeypatch.delenv(name)


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """``python -m healthcare_data ARGS`` as a user would run it."""
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("QA_")}
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "healthcare_data", *args],
        cwd=cwd or ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def url_of(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def entity_counts(db: Database) -> dict[str, int]:
    counts = db.counts()
    return {name: counts[name] for name in MINIMAL}


def one_line_error(result_err: str) -> str:
    lines = [line for line in result_err.splitlines() if line.strip()]
    assert len(lines) == 1, result_err
    assert "Traceback" not in result_err
    assert lines[0].startswith("healthcare-data: error: "), lines[0]
    return lines[0]


# --- help, version, startup -------------------------------------------------------------------


def test_help_lists_every_command():
    result = run("--help")
    assert result.returncode == 0, result.stderr
    for command in ("seed", "validate", "export", "vocabulary", "profiles"):
        assert command in result.stdout


def test_version_and_missing_command():
    assert run("--version").stdout.startswith("healthcare-data ")
    result = run()
    assert result.returncode == 2 and "usage:" in result.stdout


def test_the_cli_module_imports_the_heavy_parts_lazily():
    probe = (
        "import sys, healthcare_data.cli; "
        "print([m for m in ('healthcare_data.generation', 'healthcare_data.bulk', 'healthcare_data.seeding', "
        "'tabulate', 'yaml') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.stdout.strip() == "[]", result.stderr


# --- seed -----------------------------------------------------------------------------------


def test_seed_minimal_on_each_backend(db, tmp_path, capsys):
    metrics_path = tmp_path / "metrics.json"
    code, out, err = cli(
        capsys,
        "seed",
        "--profile",
        "minimal",
        "--database-url",
        url_of(db),
        "--seed",
        "7",
        "--metrics-json",
        str(metrics_path),
    )
    assert code == 0, out + err
    assert entity_counts(db) == MINIMAL
    for expected in ("entity", "rows/s", "Validation", "referential_integrity", "Target time: 60 s"):
        assert expected in out
    assert err == ""  # not a terminal: no progress bars
    metrics = json.loads(metrics_path.read_text())
    assert DOCUMENT_METRICS <= set(metrics)
    assert metrics["environment"] == "minimal" and metrics["profile_name"] == "Minimal QA Dataset"
    assert metrics["total_records_created"] == db.total_rows()
    assert metrics["target_met"] is True and metrics["success"] is True and metrics["errors"] == []
    assert metrics["backend"] == db.backend


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["standard", "integration", "load_test"])
def test_every_profile_seeds_and_validates_on_each_backend(db, profile, capsys):
    from healthcare_data.profiles import PROFILES

    code, out, err = cli(capsys, "seed", "--profile", profile, "--database-url", url_of(db), "--quiet")
    assert code == 0, out + err
    expected = PROFILES.get(profile)
    assert entity_counts(db) == {name: expected.count(name) for name in MINIMAL}
    assert db.counts()["tenants"] == expected.tenants
    assert db.counts()["locations"] == expected.count("locations")
    assert "MET" in out and "FAIL" not in out


def summary_rows(out: str, entity: str) -> int:
    """The rows column of ``entity``'s line in the seed summary table."""
    lines = [line.split() for line in out.splitlines() if line.split()[:1] == [entity]]
    assert len(lines) == 1, out
    return int(lines[0][1])


def locations_per_tenant(db: Database) -> dict[int | None, int]:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT tenant_id, COUNT(*) FROM locations GROUP BY tenant_id")).all()
    return {tenant: count for tenant, count in rows}


@pytest.mark.parametrize(
    ("profile", "per_tenant"),
    [("minimal", {None: 5}), ("standard", {1: 4, 2: 3, 3: 3})],
)
def test_the_profiles_locations_are_seeded_shown_and_counted(
    sqlite_db, tmp_path, capsys, profile, per_tenant
):
    from healthcare_data.profiles import PROFILES

    expected = PROFILES.get(profile).count("locations")
    metrics_path = tmp_path / "metrics.json"
    code, out, err = cli(
        capsys,
        "seed",
        "--profile",
        profile,
        "--database-url",
        url_of(sqlite_db),
        "--no-validate",
        "--metrics-json",
        str(metrics_path),
    )
    assert code == 0, out + err
    assert sqlite_db.counts()["locations"] == expected == sum(per_tenant.values())
    assert locations_per_tenant(sqlite_db) == per_tenant  # round-robin over the tenants
    assert summary_rows(out, "locations") == expected
    metrics = json.loads(metrics_path.read_text())
    assert metrics["entities"]["locations"]["rows"] == expected
    assert metrics["total_records_created"] == sqlite_db.total_rows()
    assert metrics["total_records_created"] == sum(e["rows"] for e in metrics["entities"].values())


def test_the_locations_flag_overrides_the_profile(sqlite_db, capsys):
    url = url_of(sqlite_db)
    code, out, err = cli(
        capsys, "seed", "--profile", "minimal", "--locations", "3", "--database-url", url, "--no-validate"
    )
    assert code == 0, out + err
    assert locations_per_tenant(sqlite_db) == {None: 3}
    assert summary_rows(out, "locations") == 3
    code, out, err = cli(
        capsys,
        "seed",
        "--profile",
        "standard",
        "--locations",
        "3",
        "--reset",
        "--database-url",
        url,
        "--no-validate",
    )
    assert code == 0, out + err
    assert locations_per_tenant(sqlite_db) == {1: 1, 2: 1, 3: 1}


def test_seed_defaults_to_an_sqlite_file_in_the_working_directory(tmp_path):
    result = run("seed", "--profile", "minimal", "--no-validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "healthcare_data.db"
    assert f"SQLite file {path}" in result.stdout
    assert entity_counts(Database(f"sqlite:///{path}")) == MINIMAL
    assert "Validation: skipped" in result.stdout
    assert result.stderr == ""


def test_environment_variables_pick_database_profile_and_validation(tmp_path):
    path = tmp_path / "env.db"
    result = run(
        "seed",
        cwd=tmp_path,
        env={
            "DATABASE_URL": f"sqlite:///{path}",
            "QA_ENVIRONMENT": "minimal",
            "QA_VALIDATION_ENABLED": "false",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "profile 'minimal'" in result.stdout and "Validation: skipped" in result.stdout
    assert entity_counts(Database(f"sqlite:///{path}")) == MINIMAL
    flag_wins = run(
        "seed",
        "--database-url",
        f"sqlite:///{tmp_path / 'flag.db'}",
        "--profile",
        "minimal",
        "--no-validate",
        cwd=tmp_path,
        env={"DATABASE_URL": f"sqlite:///{path}"},
    )
    assert flag_wins.returncode == 0 and (tmp_path / "flag.db").exists()


def test_a_bad_qa_setting_is_a_one_line_error(tmp_path):
    result = run("seed", "--profile", "minimal", cwd=tmp_path, env={"QA_BATCH_SIZE": "lots"})
    assert result.returncode == 2
    assert "QA_BATCH_SIZE='lots' is not an integer >= 1" in one_line_error(result.stderr)
    assert not (tmp_path / "healthcare_data.db").exists()


def test_reseeding_a_non_empty_database_asks_for_reset_or_append(sqlite_db, capsys):
    url = url_of(sqlite_db)
    assert cli(capsys, "seed", "--profile", "minimal", "--database-url", url, "--no-validate")[0] == 0
    code, _, err = cli(capsys, "seed", "--profile", "minimal", "--database-url", url)
    assert code == 2
    assert "--reset" in one_line_error(err) and "--append" in err
    assert entity_counts(sqlite_db) == MINIMAL  # nothing written

    code, _, err = cli(capsys, "seed", "--profile=minimal", "--database-url", url, "--reset", "--seed", "3")
    assert code == 0, err
    assert entity_counts(sqlite_db) == MINIMAL


def test_append_continues_the_ids(db, capsys):
    url = url_of(db)
    assert cli(capsys, "seed", "--profile", "minimal", "--database-url", url, "--no-validate")[0] == 0
    code, out, err = cli(capsys, "seed", "--profile", "minimal", "--database-url", url, "--append")
    assert code == 0, out + err
    assert entity_counts(db) == {name: 2 * n for name, n in MINIMAL.items()}
    with db.engine.connect() as conn:
        for table in ("patients", "providers", "appointments", "medical_records", "insurance_claims"):
            ids = conn.execute(text(f"SELECT id FROM {table} ORDER BY id")).scalars().all()
            assert ids == list(range(1, 2 * MINIMAL[table] + 1)), table
            uuids = conn.execute(text(f"SELECT COUNT(DISTINCT uuid) FROM {table}")).scalar_one()
            assert uuids == 2 * MINIMAL[table], table
    assert "referential_integrity" in out and "FAIL" not in out


CROSS_TENANT = {
    "appointment vs patient/provider": """
        SELECT COUNT(*) FROM appointments a
        JOIN patients p ON p.id = a.patient_id JOIN providers d ON d.id = a.provider_id
        WHERE a.tenant_id IS NULL OR p.tenant_id IS NULL OR d.tenant_id IS NULL
           OR a.tenant_id <> p.tenant_id OR a.tenant_id <> d.tenant_id""",
    "medical record": """
        SELECT COUNT(*) FROM medical_records r
        JOIN patients p ON p.id = r.patient_id JOIN providers d ON d.id = r.provider_id
        WHERE p.tenant_id <> d.tenant_id""",
    "claim": """
        SELECT COUNT(*) FROM insurance_claims c
        JOIN patients p ON p.id = c.patient_id JOIN providers d ON d.id = c.provider_id
        WHERE p.tenant_id <> d.tenant_id""",
    "untenanted rows": """
        SELECT (SELECT COUNT(*) FROM patients WHERE tenant_id IS NULL)
             + (SELECT COUNT(*) FROM providers WHERE tenant_id IS NULL)""",
}


def test_tenants_get_isolated_patients_providers_and_appointments(db, capsys):
    code, out, err = cli(capsys, "seed", "--profile=minimal", "--tenants", "3", "--database-url", url_of(db))
    assert code == 0, out + err
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM tenants")).scalar_one() == 3
        for name, query in CROSS_TENANT.items():
            assert conn.execute(text(query)).scalar_one() == 0, name
        per_tenant = conn.execute(
            text(
                "SELECT t.id, (SELECT COUNT(*) FROM patients p WHERE p.tenant_id = t.id),"
                " (SELECT COUNT(*) FROM providers d WHERE d.tenant_id = t.id),"
                " (SELECT COUNT(*) FROM appointments a WHERE a.tenant_id = t.id) FROM tenants t"
            )
        ).all()
    assert all(patients and providers and appointments for _, patients, providers, appointments in per_tenant)


def test_seed_is_reproducible(tmp_path, capsys):
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / name}.db"
        code = main(
            [
                "seed",
                "--profile",
                "minimal",
                "--seed",
                "9",
                "--today",
                "2026-11-22",
                "--database-url",
                url,
                "--no-validate",
            ]
        )
        assert code == 0
    capsys.readouterr()
    first = read_database(Database(f"sqlite:///{tmp_path / 'a'}.db"))
    second = read_database(Database(f"sqlite:///{tmp_path / 'b'}.db"))
    for rows in (*first.values(), *second.values()):
        for row in rows:
            row.pop("created_at", None), row.pop("updated_at", None)
    assert first == second


def test_custom_profile_file(tmp_path, capsys):
    profile = tmp_path / "tiny.toml"
    profile.write_text(
        'name = "tiny"\ntarget_seconds = 30\n[counts]\nClient = 6\nProvider = 2\nAppointment = 8\n'
        "Note = 3\nLedgerEntry = 2\n"
    )
    url = f"sqlite:///{tmp_path / 'tiny.db'}"
    code, out, err = cli(capsys, "seed", "--profile", str(profile), "--database-url", url, "--no-validate")
    assert code == 0, err
    assert "profile 'tiny'" in out and "Target time: 30 s" in out
    assert entity_counts(Database(url)) == {
        "patients": 6,
        "providers": 2,
        "appointments": 8,
        "medical_records": 3,
        "insurance_claims": 2,
    }


def test_custom_profile_asking_for_phi_is_refused(tmp_path):
    profile = tmp_path / "phi.yaml"
    profile.write_text("extends: minimal\nfields:\n  patients: [patient_id, social_security_number]\n")
    result = run("seed", "--profile", str(profile), cwd=tmp_path)
    assert result.returncode == 2
    assert "PHI field detected" in one_line_error(result.stderr)
    assert not (tmp_path / "healthcare_data.db").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["seed", "--profile", "standrd"], "Unknown profile 'standrd'; did you mean 'standard'?"),
        (["seed", "--profile", "minimal", "--patients", "-5"], "patients must be >= 0, got -5"),
        (["seed", "--profile", "minimal", "--tenants", "-1"], "tenants must be >= 0, got -1"),
        (["seed", "--profile", "minimal", "--locations", "-1"], "locations must be >= 0, got -1"),
        (
            ["seed", "--profile", "standard", "--locations", "2"],
            "has 3 tenants but only 2 locations; each tenant needs at least one location (--locations 3",
        ),
        (
            ["seed", "--profile", "minimal", "--tenants", "6"],
            "has 6 tenants but only 5 locations",
        ),
        (
            ["seed", "--profile", "minimal", "--medical-records", "51"],
            "medical_records=51 exceeds appointments=50",
        ),
        (["seed", "--database-url", "notaurl"], "Malformed database URL 'notaurl'"),
        (["seed", "--database-url", "oracle://scott@host/db"], "Unsupported database 'oracle'"),
        (["seed", "--database-url", "postgresql://nobody@127.0.0.1:9/none"], "Cannot reach database"),
        (["seed", "--database-url", "sqlite:////no/such/dir/x.db"], "Cannot reach database"),
        (["seed", "--reset", "--append"], "argument --append: not allowed with argument --reset"),
        (["seed", "--batch-size", "0"], "batch size must be a whole number >= 1, got 0"),
        (["seed", "--method", "cpy"], "Unknown write method 'cpy'; did you mean 'copy'?"),
        (["seed", "--method", "copy"], "Write method 'copy' needs postgresql, not sqlite"),
        (["seed", "--seed", "abc"], "argument --seed/-s: invalid int value: 'abc'"),
        (["seed", "--seed", "-2"], "seed must be a whole number >= 0, got -2"),
        (["seed", "--today", "someday"], "--today 'someday' is not a date"),
        (["seed", "--profile", "missing.toml"], "Profile file 'missing.toml' does not exist"),
        (["export", "--format", "xml", "-o", "x"], "Unknown export format 'xml'"),
        (["export", "--format", "json", "-o", "x.json", "--seed", "3"], "--seed needs --profile"),
        (["export", "--format", "json", "-o", "x.json", "--tenants", "3"], "--tenants needs --profile"),
        (
            ["export", "-f", "json", "-o", "x.json", "--profile", "minimal", "--database-url", "sqlite:///y.db"],
            "not allowed with argument",
        ),
        (
            ["export", "-f", "json", "-o", "x.json", "--profile", "minimal", "--fields", "patients=passport"],
            "PHI field detected",
        ),
        (
            ["export", "-f", "json", "-o", "x.json", "--profile", "minimal", "--fields", "patients"],
            "must look like table=col1,col2",
        ),
        (["validate", "--database-url", "postgresql://nobody@127.0.0.1:9/x"], "Cannot reach database"),
        (["vocabulary", "persona"], "argument section: invalid choice: 'persona'"),
        (["profiles", "standrd"], "did you mean 'standard'?"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, args, message):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in one_line_error(result.stderr)
    assert not (tmp_path / "healthcare_data.db").exists()
    assert not (tmp_path / "x.json").exists()


def test_counts_the_generator_refuses_mid_stream_leave_the_database_as_it_was(db, capsys, monkeypatch):
    # A refusal after patients and appointments were written (the eligibility check runs
    # mid-stream): the reset and the write are one transaction, so the old rows stay.
    from healthcare_data import generation
    from healthcare_data.errors import ConfigurationError

    first = cli(capsys, "seed", "--profile", "minimal", "-q", "--no-validate", "--database-url", url_of(db))
    assert first[0] == 0
    before = db.counts()

    def refuse(plan, eligible):
        raise ConfigurationError("insurance_claims=50 but only 41 appointments are eligible")

    monkeypatch.setattr(generation, "_check_eligible", refuse)
    code, _, err = cli(
        capsys, "seed", "--profile", "minimal", "--seed", "9", "--reset", "--database-url", url_of(db)
    )
    assert code == 2
    assert "insurance_claims=50" in one_line_error(err) and "nothing was written" in err
    assert db.counts() == before


def test_unreachable_postgres_writes_nothing_even_with_a_valid_profile(tmp_path):
    result = run("seed", "--profile", "minimal", "--database-url", "postgresql+psycopg://postgres@127.0.0.1:9/x")
    assert result.returncode == 2
    assert "postgresql+psycopg://postgres@127.0.0.1:9/x" in one_line_error(result.stderr)


# --- validation -----------------------------------------------------------------------------


def _failing(category: str):
    from healthcare_data.validation.report import ValidationReport, Violation

    def run_all(db, today=None):
        violation = Violation(
            "providers", "1234567890", "npi_number", "npi_check_digit", "bad", "fix", category
        )
        return {"format_validation": ValidationReport("format_validation", 10, [violation], 0.01)}

    return run_all


def test_seed_exits_1_when_validation_fails(tmp_path, capsys, monkeypatch):
    import healthcare_data.validation as validation

    monkeypatch.setattr(validation, "run_all", _failing("format"))
    metrics_path = tmp_path / "m.json"
    code, out, err = cli(
        capsys,
        "seed",
        "--profile",
        "minimal",
        "--database-url",
        f"sqlite:///{tmp_path / 'v.db'}",
        "--metrics-json",
        str(metrics_path),
    )
    assert code == 1
    assert "FAIL" in out and "npi_check_digit" in out
    assert "validation" not in err or "format_validation" in err
    metrics = json.loads(metrics_path.read_text())
    assert metrics["success"] is False and metrics["errors"]


def test_statistics_findings_warn_unless_strict(tmp_path, capsys, monkeypatch):
    import healthcare_data.validation as validation

    monkeypatch.setattr(validation, "run_all", _failing("statistics"))
    url = f"sqlite:///{tmp_path / 's.db'}"
    code, out, _ = cli(capsys, "seed", "--profile", "minimal", "--database-url", url)
    assert code == 0 and "WARN" in out
    code, out, _ = cli(capsys, "seed", "--profile", "minimal", "--database-url", url, "--reset", "--strict")
    assert code == 1 and "FAIL" in out


def test_validate_reports_and_exits_1_on_a_corrupted_database(db, capsys):
    from healthcare_data.identifiers import is_valid_npi

    url = url_of(db)
    assert cli(capsys, "seed", "--profile", "minimal", "--database-url", url, "--no-validate")[0] == 0
    code, out, err = cli(capsys, "validate", "--database-url", url)
    assert code == 0, out + err
    assert "format_validation" in out and "passed" in out
    assert not is_valid_npi("1234567890")
    with db.transaction() as conn:
        conn.execute(text("UPDATE providers SET npi_number = '1234567890' WHERE id = 1"))
    code, out, err = cli(capsys, "validate", "--database-url", url)
    assert code == 1
    assert "FAIL" in out and "1234567890" in out
    assert err.startswith("healthcare-data: validation failed")


def test_validate_a_database_the_tool_never_seeded(tmp_path):
    Database(f"sqlite:///{tmp_path / 'other.db'}").check_connection()  # an existing, foreign database
    result = run("validate", "--database-url", f"sqlite:///{tmp_path / 'other.db'}")
    assert result.returncode == 2
    assert "has no healthcare-data tables; seed it first" in one_line_error(result.stderr)
    missing = run("export", "-f", "json", "-o", "x.json", cwd=tmp_path)
    assert missing.returncode == 2
    assert "healthcare_data.db' does not exist; seed it first" in one_line_error(missing.stderr)
    assert not (tmp_path / "healthcare_data.db").exists()


# --- export ---------------------------------------------------------------------------------


def test_export_from_a_database_and_from_a_profile(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'e.db'}"
    assert cli(capsys, "seed", "--profile", "minimal", "--database-url", url, "--no-validate")[0] == 0
    code, out, _ = cli(
        capsys, "export", "--format", "json", "--output", str(tmp_path / "db.json"), "--database-url", url
    )
    assert code == 0 and "Exported" in out
    assert load_dataset(tmp_path / "db.json") == read_database(Database(url))

    code, out, _ = cli(
        capsys, "export", "-f", "csv", "-o", str(tmp_path / "csv"), "--profile", "minimal", "--seed", "4"
    )
    assert code == 0, out
    assert (tmp_path / "csv" / "_manifest.json").exists()
    assert len(load_dataset(tmp_path / "csv")["patients"]) == 25

    code, _, _ = cli(
        capsys,
        "export",
        "-f",
        "yaml",
        "-o",
        str(tmp_path / "yaml"),
        "--profile",
        "minimal",
        "--per-table",
        "--tables",
        "patients,providers",
        "--fields",
        "patients=patient_id,date_of_birth",
    )
    assert code == 0
    loaded = load_dataset(tmp_path / "yaml")
    assert set(loaded) == {"patients", "providers"}
    assert set(loaded["patients"][0]) == {"patient_id", "date_of_birth"}

    result = run("export", "-f", "ndjson", "-o", str(tmp_path / "all.ndjson"), "--database-url", url)
    assert result.returncode == 0, result.stderr
    assert load_dataset(tmp_path / "all.ndjson") == read_database(Database(url))


# --- vocabulary and profiles ---------------------------------------------------------------


def test_vocabulary_prints_every_registry_as_a_table():
    result = run("vocabulary")
    assert result.returncode == 0, result.stderr
    for expected in (
        "Personas",
        "elderly_patient",
        "Traits",
        "hospital_based",
        "Specialties",
        "Cardiology",
        "Appointment Types",
        "Annual Physical",
        "Tokens",
        "age_65_plus",
        "Constraints",
        "morning_preferred",
    ):
        assert expected in result.stdout
    assert "not available" not in result.stdout


def test_output_piped_into_head_ends_quietly():
    command = f"{sys.executable} -m healthcare_data vocabulary | head -1"
    result = subprocess.run(
        command, shell=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert result.returncode == 0 and result.stderr == ""


def test_vocabulary_section(capsys):
    code, out, _ = cli(capsys, "vocabulary", "constraints")
    assert code == 0
    assert "morning_preferred" in out and "elderly_patient" not in out


def test_profiles_lists_the_four_profiles(capsys):
    code, out, _ = cli(capsys, "profiles")
    assert code == 0
    for name in ("minimal", "standard", "load_test", "integration"):
        assert name in out


# --- progress --------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bars_on_a_terminal_and_quiet_flag(tmp_path):
    out, err = io.StringIO(), _Terminal()
    code = main(
        ["seed", "--profile", "minimal", "--database-url", f"sqlite:///{tmp_path / 'p.db'}", "--no-validate"],
        out=out,
        err=err,
    )
    assert code == 0
    assert "patients" in err.getvalue() and "100%" in err.getvalue() and "[####" in err.getvalue()
    quiet = _Terminal()
    code = main(
        [
            "seed",
            "--profile",
            "minimal",
            "--database-url",
            f"sqlite:///{tmp_path / 'q.db'}",
            "--no-validate",
            "--quiet",
        ],
        out=io.StringIO(),
        err=quiet,
    )
    assert code == 0 and quiet.getvalue() == ""


BAR_TABLES = ("tenants", *COUNT_FLAGS)  # the entities with a bar (conditions fold in)


def test_a_sharded_seed_draws_one_bar_over_all_tables_not_a_line_per_change_of_table(tmp_path):
    """Workers deliver each shard's tables in turn: once a table comes back, one bar over
    every entity replaces the per-table lines (before: a new line at every change)."""
    err = _Terminal()
    url = f"sqlite:///{tmp_path / 's.db'}"
    code = main(["seed", "--profile", "load_test", "--database-url", url, "--no-validate", "--workers", "2"],
                out=io.StringIO(), err=err)  # fmt: skip
    assert code == 0
    lines = err.getvalue().split("\n")
    names = [line.rsplit("\r", 1)[-1].split()[0] for line in lines if line.strip()]
    assert len(names) == len(set(names)), names  # no entity opens a second line
    assert names[-1] == "all"
    with Database(url).engine.connect() as conn:
        rows = sum(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in BAR_TABLES)
    assert lines[-2].rsplit("\r", 1)[-1].split()[3:5] == ["100%", f"{rows}/{rows}"]


def test_the_single_process_seed_keeps_a_line_per_entity():
    bars = ProgressBars({"patients": 4, "appointments": 6}, _Terminal(), True)
    for table, rows, so_far in [("patients", 4, 4), ("patient_conditions", 3, 3), ("appointments", 6, 6)]:
        bars(table, rows, so_far)
    bars.close()
    lines = bars.stream.getvalue().split("\n")
    names = [line.rsplit("\r", 1)[-1].split()[0] for line in lines if line.strip()]
    assert names == ["patients", "appointments"]
    assert "(+3 conditions)" in lines[0]


# --- MariaDB / MySQL (optional: needs PyMySQL and a server) ------------------------------------

MYSQL_ADMIN_URL = os.environ.get("HEALTHCARE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")


@pytest.fixture
def mysql_url():
    pytest.importorskip("pymysql")
    import uuid

    from sqlalchemy import create_engine

    name = f"hd_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(MYSQL_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
    except Exception as exc:  # noqa: BLE001 - no server: skip, MariaDB is optional
        admin.dispose()
        pytest.skip(f"MariaDB/MySQL unreachable at {MYSQL_ADMIN_URL}: {exc.__class__.__name__}")
    try:
        yield f"{MYSQL_ADMIN_URL.rstrip('/')}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


def test_seed_minimal_on_mariadb(mysql_url, capsys):
    code, out, err = cli(capsys, "seed", "--profile=minimal", "--tenants", "2", "--database-url", mysql_url)
    assert code == 0, out + err
    database = Database(mysql_url)
    try:
        assert entity_counts(database) == MINIMAL
        with database.engine.connect() as conn:
            assert conn.execute(text(CROSS_TENANT["appointment vs patient/provider"])).scalar_one() == 0
    finally:
        database.dispose()
