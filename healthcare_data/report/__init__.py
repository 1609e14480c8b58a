"""Data-quality report: one self-contained HTML page with pictures of a dataset.

``report_html(db)`` reads a database; ``profile_report_html("standard", seed=1)``
seeds a profile into a temporary SQLite file first, so both go through the same
reading code. Plotting needs the ``report`` extra (matplotlib)::

    pip install 'healthcare-data[report]'
    healthcare-data report --profile standard --seed 7 --output report.html
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from healthcare_data import __version__
from healthcare_data.connections import require_schema
from healthcare_data.report import plots
from healthcare_data.report.gather import ReportData, gather
from healthcare_data.report.html import render
from healthcare_data.seed_result import run_validators, statistics_rows, validation_notes, validation_row
from healthcare_data.seeding import dataset_spec
from healthcare_data.seeding import seed as seed_profile

if TYPE_CHECKING:
    from healthcare_data.db import Database

__all__ = ["ReportData", "gather", "profile_report_html", "report_data", "report_html"]

log = logging.getLogger(__name__)


def report_data(
    db: Database,
    *,
    today: date | None = None,
    meta: Mapping[str, Any] | None = None,
    persona_mix: Mapping[str, float] | None = None,
    specialty_mix: Mapping[str, float] | None = None,
    strict: bool = False,
) -> ReportData:
    """Counts, validation results and statistics of ``db`` (no plotting)."""
    require_schema(db)
    today = today or date.today()
    info = {
        "source": db.url,
        "seed": "not recorded in the database",
        "profile": "not recorded in the database",
        "healthcare-data version": __version__,
        **(meta or {}),
    }
    with db.engine.connect() as conn:
        data = gather(conn, today, persona_mix=persona_mix, specialty_mix=specialty_mix, meta=info)
    reports, seconds = run_validators(db, today=today)
    log.info("validated %s in %.2f s", db.url, seconds)
    data.validation = [validation_row(r, strict) for r in reports.values()]
    data.statistics = statistics_rows(reports)
    data.notes = validation_notes(reports)
    return data


def render_report(data: ReportData) -> str:
    """The HTML page of ``data`` (plots every figure; needs matplotlib)."""
    pictures = {key: (caption, plots.png(fig)) for key, (caption, fig) in plots.figures(data).items()}
    return render(data, pictures)


def report_html(db: Database, **options: Any) -> str:
    """The report page of a database (options: today, meta, persona_mix, specialty_mix)."""
    return render_report(report_data(db, **options))


def profile_report_html(
    profile: str,
    *,
    seed: int | None = None,
    tenants: int | None = None,
    counts: Mapping[str, int] | None = None,
    today: date | None = None,
) -> str:
    """Seed ``profile`` into a throw-away SQLite file and report on it (nothing is left behind)."""
    with tempfile.TemporaryDirectory(prefix="hd-report-") as folder:
        url = f"sqlite:///{Path(folder) / 'report.db'}"
        result = seed_profile(
            profile, url, seed=seed, tenants=tenants, counts=counts, validate=False, today=today
        )
        try:
            spec = dataset_spec(result.profile)
            meta = {
                "source": f"generation run of profile {result.profile.name!r}",
                "profile": f"{result.profile.name} ({result.profile.title})",
                "seed": result.seed,
            }
            return report_html(
                result.database,
                today=today,
                meta=meta,
                persona_mix=spec.persona_mix,
                specialty_mix=spec.specialty_mix,
            )
        finally:
            result.database.dispose()
