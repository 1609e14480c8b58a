"""Tables for people: failure output and the summaries written to ``reports/``.

Failures show the offending rows as a tabulate table (capped, with a count of the
rest); the bulk and validation scenarios print a compact summary and write it to
``reports/<name>.txt`` so passing runs keep it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hamcrest import assert_that, equal_to
from tabulate import tabulate

REPORT_DIR = Path("reports")  # of the suite being run (the working directory)


def table(
    rows: Iterable[Mapping[str, Any]] | Sequence[Sequence[Any]], headers: Any = "keys", limit: int = 20
) -> str:
    """``rows`` as a GitHub-style table; beyond ``limit`` rows, a line says how many more."""
    rows = list(rows)
    shown = rows[:limit]
    text = tabulate(shown, headers=headers, tablefmt="github", floatfmt=".2f", disable_numparse=True)
    if len(rows) > limit:
        text += f"\n... and {len(rows) - limit} more"
    return text


def assert_no_offenders(offenders: Sequence[Mapping[str, Any]], what: str) -> None:
    """Fail with the offending rows as a table when ``offenders`` is not empty."""
    reason = f"{what}: {len(offenders)} offending row(s)\n{table(offenders)}\n" if offenders else what
    assert_that(len(offenders), equal_to(0), reason)


def write_report(
    name: str,
    title: str,
    rows: Sequence[Mapping[str, Any]],
    directory: Path | None = None,
    context: Any = None,
) -> str:
    """Print, write ``reports/<name>.txt`` and attach to the HTML/JSON reports; returns the text."""
    text = f"{title}\n{table(rows, limit=len(rows) or 1)}\n"
    target = directory or REPORT_DIR
    target.mkdir(parents=True, exist_ok=True)
    (target / f"{name}.txt").write_text(text, encoding="utf-8")
    print(text)
    if context is not None:
        attach_text(context, title, text)
    return text


def outcome_tables(outcomes: Sequence[Any]) -> str:
    """The error scenarios' outcomes, then their messages and recoveries, as two tables."""
    messages = [
        {"scenario": o.scenario, "message": o.message, "recovery": o.recovery_detail} for o in outcomes
    ]
    return f"{table([o.row() for o in outcomes])}\n\n{table(messages)}"


def show(context: Any, caption: str, text: str) -> None:
    """Print ``text`` (behave's console output) and attach it to the HTML/JSON reports."""
    print(text)
    attach_text(context, caption, text)


def attach_text(context: Any, caption: str, text: str) -> None:
    """Put ``text`` into every report formatter that takes attachments.

    ``context.attach`` reaches formatters with behave's ``embedding`` hook (json,
    Allure); behave-html-pretty-formatter has ``embed`` instead, found the way its
    README shows (through the runner's formatters).
    """
    attach = getattr(context, "attach", None)  # a stand-in context (unit tests) has none
    if attach is not None:
        attach("text/plain", text.encode("utf-8"))
    for formatter in getattr(getattr(context, "_runner", None), "formatters", ()):
        if not hasattr(formatter, "embedding") and callable(getattr(formatter, "embed", None)):
            formatter.embed("text/plain", text, caption=caption)


def report_suffix(context: Any) -> str:
    """The feature file's name (``dynamic-data-generation``), so each feature keeps its report."""
    feature = getattr(context, "feature", None)
    filename = getattr(feature, "filename", None)
    return Path(filename).stem if filename else "run"


def assert_no_violations(violations: Iterable[Any], what: str) -> None:
    """Fail with the violations (entity, key, field, rule, message, recovery) as a table."""
    assert_no_offenders([v.as_row() for v in violations], what)


def bulk_title(context: Any) -> str:
    """Title of the bulk report: backend, the memory limits and the baseline measured."""
    limit, growth = context.settings.memory_limits
    baseline = context.bulk.run.memory.baseline_mb
    return (
        f"Bulk generation on {context.db.backend} (limits: peak {limit:.0f} MB, "
        f"growth {growth:.0f} MB; baseline {baseline:.1f} MB)"
    )


def distribution_tables(report: Any) -> str:
    """A distribution report's statistical tests (name, n, p, ok, detail), then its violations."""
    tests = [
        {"test": t.name, "n": t.n, "p": round(t.p_value, 4), "ok": t.ok, "detail": t.detail}
        for t in report.tests
    ]
    return f"{table(tests)}\n{table(report.rows())}"
