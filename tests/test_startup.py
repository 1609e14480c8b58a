"""Start-up loads only what is used: a property of the import graph, not a timing."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sqlalchemy", "sqlalchemy.orm", "faker", "scipy", "healthcare_data.validation", "zipcodes")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_import_healthcare_data_loads_no_heavy_module() -> None:
    loaded = _modules_after("import healthcare_data")
    assert not loaded & set(HEAVY)


def test_cli_help_loads_no_heavy_module() -> None:
    loaded = _modules_after(
        "import contextlib, io\nfrom healthcare_data.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['--help'])\n    except SystemExit:\n        pass"
    )
    assert "healthcare_data.cli" in loaded
    assert not loaded & set(HEAVY)


def test_generating_rows_loads_no_database_module_nor_faker() -> None:
    """Generation alone (pool workers, NDJSON/Parquet parts) never reads a database, so it
    must not pay SQLAlchemy's import and the ORM mapping (~0.25 CPU s per process); names
    come from reference/names_en_US.tsv, not from importing Faker (~0.07 CPU s)."""
    loaded = _modules_after(
        "from datetime import date\n"
        "from healthcare_data.generation import DatasetSpec, generate_dataset\n"
        "from healthcare_data.randomness import Randomness\n"
        "spec = DatasetSpec(patients=40, providers=4, appointments=60, medical_records=10,\n"
        "                   insurance_claims=5)\n"
        "assert sum(len(b) for b in generate_dataset(spec, Randomness(3, today=date(2026, 11, 22)))) > 160"
    )
    assert "healthcare_data.rows.appointments" in loaded
    assert not loaded & {"sqlalchemy", "sqlalchemy.orm", "healthcare_data.schema", "faker"}


def test_public_names_resolve_on_first_use() -> None:
    import healthcare_data

    assert set(healthcare_data.__all__) == set(healthcare_data._EXPORTS)
    for name in healthcare_data.__all__:
        assert getattr(healthcare_data, name) is not None, name
    from healthcare_data.scheduling import Scheduler

    assert healthcare_data.Scheduler is Scheduler
    assert healthcare_data.personas.PERSONAS is healthcare_data.PERSONAS


def test_unknown_name_is_an_attribute_error() -> None:
    import healthcare_data

    try:
        healthcare_data.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")
