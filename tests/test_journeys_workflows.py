"""Workflow files: one YAML file per journey, index, README with state diagrams, the
summary report; they parse with a YAML parser, load with the export loader and
re-validate; the `workflows` command from a generation run or a seeded database."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from healthcare_data.cli import main
from healthcare_data.export import load_dataset
from healthcare_data.journeys import JourneySpec, default_definitions
from healthcare_data.journeys.generate import RECORD_TABLES, journey_tables, seed_journeys
from healthcare_data.journeys.workflows import revalidate, validate_dataset, write_workflows
from healthcare_data.randomness import Randomness

from .conftest import TEST_TODAY


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, object, dict]:
    tables = journey_tables(JourneySpec(records=500), Randomness(9, today=TEST_TODAY))
    out = tmp_path_factory.mktemp("wf") / "integration"
    return out, write_workflows(tables, out, TEST_TODAY), tables


def test_one_file_per_workflow_an_index_a_readme_and_the_summary(written):
    out, summary, tables = written
    files = sorted(p.name for p in (out / "workflows").iterdir())
    assert files == sorted([w["file"] for w in summary.workflows] + ["_shared.yaml"])
    assert {w["journey"] for w in summary.workflows} == set(default_definitions().journeys)
    index = yaml.safe_load((out / "index.yaml").read_text())["integration_test_data"]
    assert (
        index["total_workflows"] == len(summary.workflows) and index["total_scenarios"] == summary.scenarios
    )
    assert index["total_records"] == summary.records == sum(len(tables[t]) for t in RECORD_TABLES)
    readme = (out / "README.md").read_text()
    assert readme.count("```mermaid") == len(summary.workflows)
    assert "stateDiagram-v2" in readme and "booked --> attended" in readme
    report = (out / "summary.txt").read_text()
    assert report.startswith("✓ Integration Test Data Generated Successfully")
    for line in (
        "Workflows: 5",
        f"Scenarios: {summary.scenarios}",
        f"Total Records: {summary.records}",
        "- Temporal Consistency: ✓ PASSED",
        "- State Transitions: ✓ PASSED",
        "- Referential Integrity: ✓ PASSED",
        "- Business Rules: ✓ PASSED",
        "- YAML Format: ✓ PASSED",
    ):
        assert line in report


def test_scenarios_hold_their_entities_in_order_with_timestamps_and_states(written):
    out, summary, _ = written
    doc = yaml.safe_load((out / "workflows" / "acute-care.yaml").read_text())
    assert doc["scenario_count"] == len(doc["scenarios"]) > 0
    for scenario in doc["scenarios"]:
        states = [s["state"] for s in scenario["steps"]]
        assert states[0] == "booked"
        times = [s["at"] for s in scenario["steps"]]
        assert times == sorted(times)
        types = [e["type"] for e in scenario["entities_created"]]
        assert types[0] == "appointments"
        if "prescriptions" in types:
            assert types.index("medical_records") < types.index("prescriptions")


def test_files_parse_load_back_and_revalidate(written):
    out, summary, tables = written
    for path in (out / "workflows").iterdir():
        assert isinstance(yaml.safe_load(path.read_text()), dict)  # a YAML parser reads every file
    loaded = load_dataset(out / "workflows")
    for name in RECORD_TABLES:
        assert sorted(r["id"] for r in loaded.get(name, [])) == sorted(r["id"] for r in tables.get(name, []))
    assert loaded["appointments"][0]["appointment_date"].__class__.__name__ == "datetime"
    assert all(not v for v in revalidate(out, TEST_TODAY).values())


def test_a_corrupted_file_fails_revalidation(written, tmp_path):
    out, _, _ = written
    loaded = load_dataset(out / "workflows")
    visit = next(a for a in loaded["appointments"] if a["status"] == "completed")
    visit["status"] = "scheduled"  # a past visit still scheduled
    checks = validate_dataset(loaded, TEST_TODAY)
    assert "appointment_status_time" in [v.rule for v in checks["Temporal Consistency"]]
    del loaded["providers"][0]
    assert validate_dataset(loaded, TEST_TODAY)["Referential Integrity"]


def test_cli_from_a_generation_run(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "workflows",
            "--output",
            str(tmp_path / "wf"),
            "--records",
            "150",
            "--seed",
            "3",
            "--today",
            "2026-11-22",
        ],
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    assert "Allocation from cardinalities: patients" in out.getvalue()
    assert "✓ Integration Test Data Generated Successfully" in out.getvalue()
    assert (tmp_path / "wf" / "index.yaml").is_file()


def test_cli_from_a_seeded_database(sqlite_db, tmp_path):
    seed_journeys(sqlite_db, JourneySpec(patients=20), Randomness(4, today=TEST_TODAY))
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "workflows",
            "--output",
            str(tmp_path / "wf"),
            "--database-url",
            sqlite_db.url,
            "--today",
            "2026-11-22",
        ],
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    assert "Scenarios: " in out.getvalue()
    with sqlite_db.transaction() as conn:  # corrupt the database: the command reports it and exits 1
        from healthcare_data.journeys.mutations import corrupt

        corrupt(conn, "a payment that does not add up", TEST_TODAY)
    code = main(
        [
            "workflows",
            "--output",
            str(tmp_path / "wf2"),
            "--database-url",
            sqlite_db.url,
            "--today",
            "2026-11-22",
        ],
        out=(out := io.StringIO()),
        err=err,
    )
    assert (
        code == 1 and "- Business Rules: ✗ FAILED" in out.getvalue() and "payments_add_up" in out.getvalue()
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--records", "0"], "records must be a whole number >= 1, got 0"),
        (["--profile", "standrd"], "did you mean 'standard'"),
        (["--journeys", "missing.toml"], "does not exist"),
        (["--records", "10", "--profile", "minimal"], "not allowed with argument"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2_and_leaves_nothing(tmp_path, args, message):
    out, err = io.StringIO(), io.StringIO()
    code = main(["workflows", "--output", str(tmp_path / "wf"), *args], out=out, err=err)
    assert code == 2 and message in err.getvalue() and err.getvalue().count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_a_non_empty_output(tmp_path):
    (tmp_path / "wf").mkdir()
    (tmp_path / "wf" / "keep.txt").write_text("mine")
    err = io.StringIO()
    assert (
        main(["workflows", "--output", str(tmp_path / "wf"), "--records", "50"], out=io.StringIO(), err=err)
        == 2
    )
    assert "not an empty directory" in err.getvalue()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wf"] and (tmp_path / "wf" / "keep.txt").exists()


def test_cli_from_a_profile_takes_its_patient_count(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "workflows",
            "--output",
            str(tmp_path / "wf"),
            "--profile",
            "minimal",
            "--seed",
            "2",
            "--today",
            "2026-11-22",
        ],
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    index = yaml.safe_load((tmp_path / "wf" / "index.yaml").read_text())["integration_test_data"]
    registration = next(w for w in index["workflows"] if w["journey"] == "registration")
    assert registration["scenario_count"] == 25  # the minimal profile's patients
