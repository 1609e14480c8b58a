"""Exports stream in bounded memory and never leave a truncated file behind."""

from __future__ import annotations

import tracemalloc

import pytest

from healthcare_data import seeding
from healthcare_data.cli import main
from healthcare_data.cli_export import FORMAT_HELP
from healthcare_data.errors import ConfigurationError
from healthcare_data.export import load_dataset
from healthcare_data.export.stream import contiguous
from healthcare_data.export.writers import FORMATS, write_batches
from healthcare_data.generation import Batch
from tests.conftest import TEST_TODAY
from tests.export_support import need

STREAM_FORMATS = ("json", "yaml", "csv", "ndjson", "parquet", "sql", "django", "rails", "prisma")


def _target(tmp_path, fmt):
    return tmp_path / {
        "django": "fixture.json",
        "prisma": "seed.mjs",
        "sql": "dump.sql",
        "json": "out.json",
        "yaml": "out.yaml",
    }.get(fmt, "out")


def _failing(after: int):
    batches = seeding.generate("minimal", 2, today=TEST_TODAY, batch_size=5)
    for number, batch in enumerate(batches):
        if number == after:
            raise ConfigurationError("the source failed mid-stream")
        yield batch


@pytest.mark.parametrize("fmt", STREAM_FORMATS)
def test_a_failed_export_leaves_no_file_and_keeps_an_older_one(tmp_path, fmt):
    if fmt == "parquet":
        need("pyarrow")
    target = _target(tmp_path, fmt)
    with pytest.raises(ConfigurationError, match="mid-stream"):
        write_batches(_failing(after=6), target, fmt)
    assert list(tmp_path.iterdir()) == []  # no target, no temporary or spool files
    write_batches(seeding.generate("minimal", 2, today=TEST_TODAY), target, fmt)
    before = {p: p.read_bytes() for p in ([target] if target.is_file() else sorted(target.rglob("*")))}
    with pytest.raises(ConfigurationError):
        write_batches(_failing(after=6), target, fmt)
    after = {p: p.read_bytes() for p in ([target] if target.is_file() else sorted(target.rglob("*")))}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_contiguous_regroups_interleaved_tables_in_first_seen_order(tmp_path):
    stream = [
        Batch("a", [{"i": 1}]),
        Batch("b", [{"i": 2}]),
        Batch("a", [{"i": 3}]),
        Batch("c", []),
        Batch("b", [{"i": 4}]),
    ]
    out = [(b.table, b.rows) for b in contiguous(stream, tmp_path)]
    assert out == [("a", [{"i": 1}]), ("a", [{"i": 3}]), ("b", [{"i": 2}]), ("b", [{"i": 4}]), ("c", [])]


def test_a_generation_run_exports_equal_whatever_the_batch_size(tmp_path):
    for size in (7, 1000):
        write_batches(
            seeding.generate("minimal", 3, today=TEST_TODAY, batch_size=size),
            tmp_path / f"{size}.json",
            "json",
        )
    assert (tmp_path / "7.json").read_bytes() == (tmp_path / "1000.json").read_bytes()
    assert load_dataset(tmp_path / "7.json") == seeding.generate_tables("minimal", 3, today=TEST_TODAY)


def _synthetic(rows: int, template: dict[str, list[dict]]):
    """``rows`` patients (and as many conditions, interleaved as a generation run does),
    copied from real generated rows with fresh ids: cheap to make, so only the writer's
    memory is measured."""
    patient, condition = template["patients"][0], template["patient_conditions"][0]
    for start in range(0, rows, 100):
        ids = range(start + 1, start + 101)
        yield Batch(
            "patients",
            [{**patient, "id": i, "uuid": f"u{i}", "patient_id": f"P{i}", "ssn": None} for i in ids],
        )
        yield Batch("patient_conditions", [{**condition, "id": i, "patient_id": i} for i in ids])


def _peak(fmt, target, rows, template):
    tracemalloc.start()
    try:
        write_batches(_synthetic(rows, template), target, fmt)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", STREAM_FORMATS)
def test_writer_memory_stays_flat_when_the_dataset_grows_ten_times(tmp_path, fmt):
    if fmt == "parquet":
        need("pyarrow")
    template = seeding.generate_tables("minimal", 1, today=TEST_TODAY)
    _peak(fmt, _target(tmp_path / "warm", fmt), 100, template)  # imports and caches load once
    small = _peak(fmt, _target(tmp_path / "small", fmt), 200, template)
    large = _peak(fmt, _target(tmp_path / "large", fmt), 2_000, template)
    assert large < small * 1.5 + 200_000, f"{small / 1e6:.2f} MB -> {large / 1e6:.2f} MB"


def test_the_cli_lists_and_accepts_every_format(tmp_path, capsys):
    assert FORMAT_HELP.split(", ") == list(FORMATS)
    code = main(
        [
            "export",
            "-f",
            "sql",
            "--dialect",
            "postgresql",
            "-o",
            str(tmp_path / "d.sql"),
            "--profile",
            "minimal",
            "--seed",
            "1",
            "--today",
            TEST_TODAY.isoformat(),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "setval" in (tmp_path / "d.sql").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "xml"], "Unknown export format 'xml'"),
        (["-f", "sql", "--dialect", "oracle"], "'oracle'"),
        (["-f", "fhir", "--timezone", "Nowhere/Land"], "Unknown time zone 'Nowhere/Land'"),
        (["-f", "fhir", "--tables", "patients"], "--tables does not apply to fhir"),
        (["-f", "parquet", "-o", "x.parquet"], "must be a directory"),
    ],
)
def test_bad_export_options_exit_2_with_one_line_and_no_output(tmp_path, capsys, args, message):
    output = ["-o", str(tmp_path / "out")] if "-o" not in args else []
    code = main(["export", *args, *output, "--profile", "minimal", "--seed", "1"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []


def test_progress_is_shown_on_a_terminal_and_not_otherwise(tmp_path, capsys):
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for err, expected in ((Terminal(), True), (io.StringIO(), False)):
        args = ["export", "-f", "csv", "-o", str(tmp_path / f"csv{expected}"), "--profile", "minimal"]
        assert main(args, out=io.StringIO(), err=err) == 0
        assert ("patients" in err.getvalue()) is expected
