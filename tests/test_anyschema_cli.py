"""The introspect / generate / interactive commands through the real entry point."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import sys

import pytest
import yaml
from sqlalchemy import text

from healthcare_data.cli import main
from healthcare_data.db import make_engine
from healthcare_data.fakes import is_safe_email
from tests.schemas import SCHEMAS


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def library_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'lib.db'}"
    engine = make_engine(url)
    SCHEMAS["library"]().create_all(engine)
    engine.dispose()
    return url


def _count(url: str, table: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
    engine.dispose()
    return n


def test_introspect_then_generate_from_the_plan(tmp_path, library_url: str) -> None:
    plan = tmp_path / "schema.yaml"
    code, out, err = run("introspect", "--database-url", library_url, "--output", str(plan), "--rows", "40")
    assert code == 0, err
    assert "insert order: authors, books; 1 cycle(s) broken" in out
    assert yaml.safe_load(plan.read_text())["tables"]["books"]["rows"] == 40
    code, out, err = run(
        "generate", "--database-url", library_url, "--schema", str(plan), "--seed", "3", "-q"
    )
    assert code == 0, err
    assert "80 rows into" in out and "transaction per run, fresh" in out
    assert _count(library_url, "books") == 40


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["generate", "--database-url", "nosuch://x"], "Unsupported database 'nosuch'"),
        (["generate", "--database-url", "sqlite:////nonexistent/dir/x.db"], "does not exist"),
        (["generate", "--rows", "-5"], "--rows -5 must be >= 0"),
        (["generate", "--format", "csv"], "--format 'csv' needs --output"),
        (["generate", "--batch-size", "0"], "--batch-size 0 must be >= 1"),
        (["generate", "--method", "turbo"], "invalid choice: 'turbo'"),
        (["generate", "--schema", "missing.yaml"], "Cannot read plan"),
        (["generate", "--method", "copy"], "method 'copy' needs PostgreSQL"),
        (["introspect", "--tables", "bookz"], "Unknown table 'bookz'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    library_url: str, argv: list[str], message: str
) -> None:
    if "--database-url" not in argv:
        argv = [*argv, "--database-url", library_url]
    code, out, err = run(*argv)
    assert code == 2, (out, err)
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert _count(library_url, "authors") == 0


def test_a_database_with_rows_is_refused(library_url: str) -> None:
    assert run("generate", "--database-url", library_url, "--rows", "5", "-q")[0] == 0
    code, _, err = run("generate", "--database-url", library_url, "--rows", "5", "-q")
    assert code == 2 and "Tables already hold rows: authors (5 rows), books (5 rows)" in err
    assert _count(library_url, "authors") == 5


def test_jsonl_and_csv_files_one_per_table(tmp_path, library_url: str) -> None:
    code, _, err = run(
        "generate",
        "--database-url",
        library_url,
        "--rows",
        "30",
        "-o",
        str(tmp_path / "j"),
        "--format",
        "jsonl",
        "--seed",
        "9",
    )
    assert code == 0, err
    authors = [json.loads(line) for line in (tmp_path / "j" / "authors.jsonl").read_text().splitlines()]
    assert len(authors) == 30 and all(is_safe_email(a["email"]) for a in authors)
    assert all(a["favorite_book_id"] is not None for a in authors)  # files need no update pass
    code, _, err = run(
        "generate",
        "--database-url",
        library_url,
        "--rows",
        "30",
        "-o",
        str(tmp_path / "c"),
        "--format",
        "csv",
        "--seed",
        "9",
    )
    assert code == 0, err
    with (tmp_path / "c" / "books.csv").open() as handle:
        books = list(csv.DictReader(handle))
    assert len(books) == 30 and set(books[0]) == {"id", "isbn", "title", "author_id", "price", "published_on"}
    assert [a["email"] for a in authors] == [
        json.loads(line)["email"] for line in (tmp_path / "j" / "authors.jsonl").read_text().splitlines()
    ]
    assert _count(library_url, "authors") == 0  # files only: the database is untouched


def test_sql_file_loads_into_a_database_that_enforces_its_keys(tmp_path, library_url: str) -> None:
    code, _, err = run(
        "generate",
        "--database-url",
        library_url,
        "--rows",
        "25",
        "-o",
        str(tmp_path / "out.sql"),
        "--format",
        "sql",
    )
    assert code == 0, err
    script = (tmp_path / "out.sql").read_text()
    assert script.startswith("-- generated") and "UPDATE authors SET favorite_book_id" in script
    path = library_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(script)
    assert conn.execute("SELECT COUNT(*) FROM books").fetchone() == (25,)
    assert conn.execute("SELECT COUNT(*) FROM authors WHERE favorite_book_id IS NULL").fetchone() == (0,)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_sql_file_loads_on_postgresql(tmp_path, postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    metadata = SCHEMAS["hierarchy"]()
    metadata.create_all(engine)
    try:
        code, _, err = run(
            "generate",
            "--database-url",
            postgres_url,
            "--rows",
            "20",
            "-o",
            str(tmp_path / "h.sql"),
            "--format",
            "sql",
        )
        assert code == 0, err
        with engine.begin() as conn:
            conn.exec_driver_sql(
                (tmp_path / "h.sql").read_text().replace("BEGIN;", "").replace("COMMIT;", "")
            )
            assert (
                conn.execute(text("SELECT COUNT(*) FROM departments WHERE head_id IS NOT NULL")).scalar_one()
                == 20
            )
    finally:
        metadata.drop_all(engine)
        engine.dispose()


pexpect = pytest.importorskip("pexpect")


def _spawn(tmp_path, *argv: str):
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "COLUMNS": "200"}
    return pexpect.spawn(
        sys.executable,
        ["-m", "healthcare_data", *argv],
        env=env,
        encoding="utf-8",
        timeout=60,
        cwd=str(tmp_path),
    )


def test_interactive_walks_a_person_through_a_fill(tmp_path, library_url: str) -> None:
    child = _spawn(tmp_path, "interactive")
    child.expect("Source: database URL or plan file: ")
    child.sendline(library_url)
    child.expect(r"Tables \(insert order\): authors, books")
    child.expect(r"Tables to fill .*\[all\]: ")
    child.sendline("books")
    child.expect("Also filling authors")
    child.expect(r"Rows per table \[100\]: ")
    child.sendline("lots")  # a person's typo is explained and asked again
    child.expect("invalid literal")
    child.expect(r"Rows per table \[100\]: ")
    child.sendline("12")
    child.expect(r"Output: .*\[database\]: ")
    child.sendline("")
    child.expect(r"Seed \[0\]: ")
    child.sendline("4")
    child.expect("Plan preview:")
    child.expect(r"books .* author_id->authors \(insert\)")
    child.expect(r"cycle authors <-> books: authors\(favorite_book_id\) -> books\(id\) \(update\)")
    child.expect(r"Write 12 rows per table to sqlite:.*\? \(y/n\) \[n\]: ")
    child.sendline("y")
    child.expect("24 rows into")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert _count(library_url, "books") == 12 and _count(library_url, "authors") == 12


def test_interactive_alias_from_a_plan_file_and_no_writes_nothing(tmp_path, library_url: str) -> None:
    plan = tmp_path / "plan.yaml"
    assert run("introspect", "--database-url", library_url, "-o", str(plan))[0] == 0
    child = _spawn(tmp_path, "i")
    child.expect("Source: ")
    child.sendline(str(tmp_path / "nope.yaml"))  # a wrong path is explained and asked again
    child.expect("Cannot read plan")
    child.expect("Source: ")
    child.sendline(str(plan))
    child.expect(r"Tables to fill .*: ")
    child.sendline("")
    child.expect(r"Rows per table .*: ")
    child.sendline("5")
    child.expect(r"Output: .*\[out\]: ")
    child.sendline(str(tmp_path / "files"))
    child.expect(r"Format \(jsonl, csv, sql\) \[jsonl\]: ")
    child.sendline("xml")
    child.expect("'xml': choose one of jsonl, csv, sql")
    child.sendline("csv")
    child.expect(r"Seed \[0\]: ")
    child.sendline("")
    child.expect(r"\(y/n\) \[n\]: ")
    child.sendline("n")
    child.expect("Cancelled: nothing written.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and not (tmp_path / "files").exists()


def test_progress_bars_on_a_terminal(tmp_path, library_url: str) -> None:
    child = _spawn(
        tmp_path, "generate", "--database-url", library_url, "--rows", "300", "--batch-size", "100"
    )
    child.expect(r"authors +\[#+\.*\] +\d+% \d+/300")
    child.expect(r"books +\[#{28}\] 100% 300/300")
    child.expect("600 rows into")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
