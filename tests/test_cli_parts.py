"""``healthcare-data export --profile ... --parts/--workers N``: part files through the CLI.

The files the command writes are :func:`healthcare_data.parts.write_parts`'s, byte for
byte, for 1 and 2 workers; read back, they hold the rows of the single-process export of
the same run. Bad combinations are one line (exit 2) and leave nothing; a killed worker
or Ctrl-C leaves nothing either.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psutil
import pytest

from healthcare_data import shards
from healthcare_data.cli import main

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2026-06-01"
# Two tenants, several care groups; TASK_ROWS is lowered below so there are several parts.
PROFILE = """
name = "parts_small"
extends = "standard"
tenants = 2
[counts]
patients = 300
providers = 40
appointments = 1200
medical_records = 500
insurance_claims = 300
locations = 4
"""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No DATABASE_URL or QA_* from the caller's shell leaks into a test."""
    for name in list(os.environ):
        if name == "DATABASE_URL" or name.startswith("QA_"):
            monkeypatch.delenv(name)


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(shards, "TASK_ROWS", 300)
    path = tmp_path / "parts_small.toml"
    path.write_text(PROFILE)
    return str(path)


def export(*argv: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err if err is not None else io.StringIO()
    code = main(["export", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("healthcare-data: error: "), lines[0]
    return lines[0]


def files_of(directory: Path) -> dict[str, bytes]:
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    return {str(p.relative_to(directory)): p.read_bytes() for p in files}


def ndjson_rows(files: list[Path]) -> list[dict]:
    return [json.loads(line) for file in files for line in file.read_text().splitlines()]


# --- the same data three ways ----------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("fmt", ["ndjson", "parquet"])
def test_cli_parts_are_write_parts_files_and_the_single_process_rows(
    profile: str, tmp_path: Path, workers: int, fmt: str
) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    from healthcare_data import seeding
    from healthcare_data.parts import write_parts
    from healthcare_data.profiles import resolve_profile
    from healthcare_data.randomness import Randomness

    run = ("--profile", profile, "--seed", "7", "--today", TODAY, "-f", fmt)
    code, out, err = export(*run, "-o", str(tmp_path / "cli"), "--workers", str(workers))
    assert code == 0, out + err
    assert f"up to {workers} worker processes" in out

    spec = seeding.dataset_spec(resolve_profile(profile))
    write_parts(spec, Randomness(7, today=date.fromisoformat(TODAY)), tmp_path / "lib", fmt, workers=workers)
    cli_files = files_of(tmp_path / "cli")
    assert cli_files == files_of(tmp_path / "lib")
    assert sum(name.startswith("appointments/") for name in cli_files) > 1  # several parts, not one

    code, out, err = export(*run, "-o", str(tmp_path / "single"), "--per-table")
    assert code == 0, out + err
    tables = sorted(p.stem for p in (tmp_path / "single").glob(f"*.{fmt}"))
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == tables and len(tables) == 9
    for table in tables:
        parts = sorted((tmp_path / "cli" / table).iterdir())
        whole = tmp_path / "single" / f"{table}.{fmt}"
        if fmt == "ndjson":
            rows = ndjson_rows(parts)
            assert rows == ndjson_rows([whole]) and rows, table
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            joined = pa.concat_tables(pq.read_table(p) for p in parts)
            assert joined.num_rows > 0 and joined.equals(pq.read_table(whole)), table


def test_workers_default_to_qa_parallel_workers_as_in_seed(
    profile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from healthcare_data import parts

    asked: list[int] = []
    real = parts.write_parts

    def spy(*args, **kwargs):
        asked.append(kwargs["workers"])
        return real(*args, **kwargs)

    monkeypatch.setattr(parts, "write_parts", spy)
    run = ("--profile", profile, "--today", TODAY, "-f", "ndjson", "--parts")
    monkeypatch.setenv("QA_PARALLEL_WORKERS", "3")
    code, out, err = export(*run, "-o", str(tmp_path / "three"))
    assert code == 0, err
    assert asked == [3] and "up to 3 worker processes" in out
    monkeypatch.delenv("QA_PARALLEL_WORKERS")
    code, out, err = export(*run, "-o", str(tmp_path / "cpus"), "--per-table")  # parts are per table
    assert code == 0, err
    assert asked == [3, shards.default_workers()]
    assert files_of(tmp_path / "three") == files_of(tmp_path / "cpus")


def test_the_environment_alone_keeps_the_default_layout(
    profile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_PARALLEL_WORKERS", "2")
    code, out, err = export("--profile", profile, "-f", "ndjson", "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert "part files" not in out
    assert (tmp_path / "out" / "patients.ndjson").is_file()
    assert not any(p.is_dir() for p in (tmp_path / "out").iterdir())


# --- bad combinations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--database-url", "sqlite:///x.db", "-f", "ndjson", "--workers", "2"],
            "--workers needs --profile: part files are written by generation workers; "
            "--database-url sqlite:///x.db is read by one writer",
        ),
        (["-f", "ndjson", "--parts"], "--parts needs --profile"),
        (["--profile", "minimal", "-f", "csv", "--workers", "2"], "as ndjson or parquet, not --format csv"),
        (
            ["--profile", "minimal", "-f", "json", "--dask-scheduler", "tcp://127.0.0.1:1"],
            "--dask-scheduler writes part files as ndjson or parquet, not --format json",
        ),
        (
            ["--profile", "minimal", "-f", "ndjson", "--tables", "patients", "--parts"],
            "--tables does not apply to part files (--parts): they hold whole tables",
        ),
        (
            ["--profile", "minimal", "-f", "ndjson", "--fields", "patients=id", "--workers", "1"],
            "--fields does not apply to part files (--workers)",
        ),
        (
            ["--profile", "minimal", "-f", "ndjson", "--workers", "0"],
            "workers must be a whole number >= 1, got 0",
        ),
    ],
    ids=["database-url", "no-profile", "csv", "json-dask", "tables", "fields", "zero-workers"],
)
def test_bad_combinations_are_one_line_and_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = export(*args, "-o", "out")
    assert code == 2, out + err
    assert message in one_line_error(err)
    assert list(tmp_path.iterdir()) == []


def test_stdout_is_refused_for_part_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = export("--profile", "minimal", "-f", "ndjson", "-o", "-", "--workers", "2")
    assert code == 2 and out == ""
    assert "--workers writes part files into a directory; give -o DIR, not '-'" in one_line_error(err)
    assert list(tmp_path.iterdir()) == []


def test_a_used_output_directory_is_refused_and_kept(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    code, _, err = export("--profile", "minimal", "-f", "ndjson", "-o", str(tmp_path / "out"), "--parts")
    assert code == 2
    assert "is not an empty directory" in one_line_error(err)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_a_profile_that_narrows_its_fields_is_refused(tmp_path: Path) -> None:
    custom = tmp_path / "narrow.toml"
    custom.write_text('name = "narrow"\nextends = "minimal"\n[fields]\npatients = ["id", "gender"]\n')
    code, _, err = export("--profile", str(custom), "-f", "ndjson", "-o", str(tmp_path / "out"), "--parts")
    assert code == 2
    message = one_line_error(err)
    assert "profile 'narrow' narrows its exports with [fields]; part files hold whole tables" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["narrow.toml"]


def test_the_cli_part_formats_are_the_writers(tmp_path: Path) -> None:
    from healthcare_data.cli_export import PART_FORMATS
    from healthcare_data.parts import PART_FORMATS as WRITTEN

    assert PART_FORMATS == tuple(WRITTEN)


# --- progress ---------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_and_not_with_quiet(profile: str, tmp_path: Path) -> None:
    shown = _Terminal()
    code, out, _ = export("--profile", profile, "-f", "ndjson", "-o", str(tmp_path / "a"), "--workers", "2",
                          err=shown)
    assert code == 0
    total = int(out.split("Exported ")[1].split()[0])
    redrawn = shown.getvalue().split("\r")
    assert len(redrawn) > 3  # one redraw per part file
    assert redrawn[-1].startswith("all tables") and f" {total} rows" in redrawn[-1]
    quiet = _Terminal()
    code, _, _ = export(
        "--profile", profile, "-f", "ndjson", "-o", str(tmp_path / "b"), "--parts", "-q", err=quiet
    )
    assert code == 0 and quiet.getvalue() == ""


# --- failures mid-run: nothing left behind ------------------------------------------------------------


# Two phase-1 tasks of ~9,000 rows (a few seconds each): when part 0 (written by this
# process) is in, both workers are mid-task, so an interrupt must wait for them to let go.
BIG = """
name = "parts_big"
extends = "load_test"
[counts]
patients = 3000
appointments = 15000
"""
RUN = """
import sys
from healthcare_data import cli, shards
shards.TASK_ROWS = 9000
sys.exit(cli.main(["export", "--profile", "big.toml", "-f", "ndjson", "-o", "out", "--workers", "2"]))
"""


def _start(tmp_path: Path) -> subprocess.Popen[str]:
    """``export --profile big.toml --workers 2`` into tmp_path/out, in a process of its own."""
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("QA_")}
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    (tmp_path / "big.toml").write_text(BIG)
    return subprocess.Popen([sys.executable, "-c", RUN], cwd=tmp_path, env=environment, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _wait_for_part(tmp_path: Path, process: subprocess.Popen[str], table: str) -> None:
    """Until ``table``'s first part file is in the hidden staging directory."""
    deadline = time.monotonic() + 120
    while not any(tmp_path.glob(f".out.*.partial/{table}/part-*")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no part file was ever written"
        time.sleep(0.01)


def _left(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name != "big.toml")


def _workers(process: subprocess.Popen[str]) -> list[psutil.Process]:
    """The pool's workers: children of the forkserver, grandchildren of the command."""
    return [p for p in psutil.Process(process.pid).children(recursive=True) if p.ppid() != process.pid]


def _wait_for_workers(process: subprocess.Popen[str]) -> None:
    """Until both workers are up. Python's forkserver prints a traceback of its own when
    Ctrl-C lands while it is still starting or forking a worker (the data is safe then
    too): this test is about interrupting workers mid-task."""
    deadline = time.monotonic() + 120
    while len(_workers(process)) < 2:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the pool never started"
        time.sleep(0.01)


def test_a_killed_worker_fails_the_export_and_leaves_nothing(tmp_path: Path) -> None:
    process = _start(tmp_path)
    try:
        _wait_for_part(tmp_path, process, "patients")  # a worker's part: the pool is up
        workers = _workers(process)
        assert workers, "no pool workers found"
        for worker in workers:
            worker.send_signal(signal.SIGKILL)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, err
    assert "worker process died" in one_line_error(err)
    assert _left(tmp_path) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "term"])
def test_an_interrupted_export_exits_130_and_leaves_nothing(tmp_path: Path, sig: signal.Signals) -> None:
    process = _start(tmp_path)
    try:
        _wait_for_workers(process)
        time.sleep(0.3)  # into their tasks of a few seconds: the clean-up has to wait for them
        os.killpg(process.pid, sig)  # as Ctrl-C does: the whole process group
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == ["healthcare-data: interrupted; nothing was exported (the unfinished output was removed)"]
    assert _left(tmp_path) == []


def test_dask_cluster_writes_the_same_files_as_one_worker(profile: str, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    run = ("--profile", profile, "--seed", "7", "--today", TODAY, "-f", "ndjson")
    code, out, err = export(*run, "-o", str(tmp_path / "one"), "--workers", "1")
    assert code == 0, out + err
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        code, out, err = export(*run, "-o", str(tmp_path / "dask"), "--dask-scheduler", address)
    assert code == 0, out + err
    assert f"on the Dask cluster {address}" in out
    assert files_of(tmp_path / "dask") == files_of(tmp_path / "one")
