"""The report's figures as PNG bytes (matplotlib, the optional ``report`` extra).

One function per figure, each taking plain counts from :class:`ReportData`, so the
pictures can be checked without a database and the data without a picture.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from healthcare_data.errors import ConfigurationError
from healthcare_data.report.gather import AGE_BANDS, HOLIDAY_ROW, HOURS, OTHER_SEX, ReportData

if TYPE_CHECKING:
    from matplotlib.figure import Figure

OBSERVED, EXPECTED = "#3b6ea8", "#e0a030"


def _figure(width: float, height: float) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ConfigurationError(
            "the report needs matplotlib: pip install 'healthcare-data[report]'"
        ) from None
    # Figure() without pyplot: no GUI backend, no global state, safe in threads and tests.
    return Figure(figsize=(width, height), dpi=90, layout="constrained")


def png(fig: Figure) -> bytes:
    """The figure rendered as PNG bytes (Agg)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def age_pyramid(data: ReportData) -> Figure:
    """Patients per 5-year band: men to the left, women to the right, expected as outlines."""
    fig = _figure(8, 6)
    ax = fig.add_subplot()
    bands = list(AGE_BANDS)
    y = range(len(bands))
    for sex, sign in (("male", -1), ("female", 1)):
        counts = data.age_observed.get(sex, Counter[str]())
        observed = [sign * counts.get(b, 0) for b in bands]
        expected = [sign * data.age_expected.get(sex, {}).get(b, 0.0) for b in bands]
        ax.barh(y, observed, color=OBSERVED if sign < 0 else "#b0517d", label=f"{sex} observed")
        ax.barh(
            y, expected, fill=False, edgecolor=EXPECTED, linewidth=1.5, label="expected" if sign < 0 else None
        )
    ax.set_yticks(list(y), bands)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("patients (male left, female right)")
    ax.set_title("Age pyramid by sex vs expected from the personas")
    # A pyramid has two sides; the other genders are counted beside it, not left out.
    other = sum(data.age_observed.get(OTHER_SEX, Counter[str]()).values())
    other_expected = sum(data.age_expected.get(OTHER_SEX, {}).values())
    if other or other_expected:
        ax.annotate(
            f"{OTHER_SEX}: {other} patients ({other_expected:.1f} expected), not drawn",
            xy=(0.0, -0.12),
            xycoords="axes fraction",
        )
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def observed_vs_expected(title: str, observed: Mapping[str, int], expected: Mapping[str, float]) -> Figure:
    """Side-by-side bars per category: observed count next to expected count."""
    names = sorted(set(observed) | set(expected))
    fig = _figure(8, max(3.0, 0.35 * len(names) + 1.2))
    ax = fig.add_subplot()
    y = range(len(names))
    ax.barh([v - 0.2 for v in y], [observed.get(n, 0) for n in names], 0.4, color=OBSERVED, label="observed")
    ax.barh(
        [v + 0.2 for v in y], [expected.get(n, 0.0) for n in names], 0.4, color=EXPECTED, label="expected"
    )
    ax.set_yticks(list(y), names)
    ax.invert_yaxis()
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside: never over a bar
    return fig


def heatmap(data: ReportData) -> Figure:
    """Appointments by weekday and start hour; visits on US federal holidays get their own row."""
    rows = list(data.heatmap)
    grid = [[data.heatmap[row].get(hour, 0) for hour in HOURS] for row in rows]
    fig = _figure(9, 4)
    ax = fig.add_subplot()
    image = ax.imshow(grid, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(HOURS)), [f"{h:02d}" for h in HOURS])
    ax.set_yticks(range(len(rows)), rows)
    holiday = rows.index(HOLIDAY_ROW)
    ax.axhline(holiday - 0.5, color="red", linewidth=2)
    for k, value in enumerate(grid[holiday]):
        if value:
            ax.text(k, holiday, str(value), ha="center", va="center", color="red", fontweight="bold")
    ax.set_xlabel("start hour")
    ax.set_title(
        f"Appointments by weekday x hour ({sum(data.holiday_visits.values())} on US federal holidays)"
    )
    fig.colorbar(image, ax=ax, label="appointments")
    return fig


def stacked(title: str, table: Mapping[str, Mapping[str, int]]) -> Figure:
    """One bar per persona, split by category (status, visit mode), as shares of its visits."""
    personas = sorted(table)
    categories = sorted({c for counts in table.values() for c in counts})
    fig = _figure(8, max(3.0, 0.4 * len(personas) + 1.5))
    ax = fig.add_subplot()
    left = [0.0] * len(personas)
    for category in categories:
        shares = [table[p].get(category, 0) / (sum(table[p].values()) or 1) for p in personas]
        ax.barh(personas, shares, left=left, label=category)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the persona's visits")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def boxes(title: str, groups: Mapping[str, list[float]]) -> Figure:
    """Distribution of claim amounts per group (box: quartiles, whiskers: 1.5 IQR)."""
    names = sorted(groups)
    fig = _figure(8, max(3.0, 0.4 * len(names) + 1.2))
    ax = fig.add_subplot()
    if names:
        ax.boxplot([groups[n] for n in names], orientation="horizontal", tick_labels=names)
    ax.set_xlabel("claim amount (USD)")
    ax.set_title(title)
    return fig


def bars(title: str, counts: Mapping[str, int]) -> Figure:
    """Counts per category, largest first."""
    items = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    fig = _figure(10, max(3.0, 0.35 * len(items) + 1.2))
    ax = fig.add_subplot()
    ax.barh([k if len(k) <= 48 else k[:45] + "..." for k, _ in items], [v for _, v in items], color=OBSERVED)
    ax.invert_yaxis()
    ax.set_title(title)
    return fig


def figures(data: ReportData) -> dict[str, tuple[str, Any]]:
    """Section id -> (caption, Figure) for every picture of the report, in page order."""
    return {
        "age-pyramid": ("Age pyramid by sex vs expected", age_pyramid(data)),
        "personas": (
            "Persona mix vs expected",
            observed_vs_expected("Patients per persona", data.persona_observed, data.persona_expected),
        ),
        "specialties": (
            "Specialty mix vs expected",
            observed_vs_expected("Providers per specialty", data.specialty_observed, data.specialty_expected),
        ),
        "heatmap": ("Provider hours x weekday (US federal holidays marked)", heatmap(data)),
        "status": ("Visit status by persona", stacked("Visit status by persona", data.status_by_persona)),
        "mode": ("Visit mode by persona", stacked("Visit mode by persona", data.mode_by_persona)),
        "claims-type": (
            "Claim amounts by appointment type",
            boxes("Claims by appointment type", data.claims_by_type),
        ),
        "claims-status": ("Claim amounts by claim status", boxes("Claims by status", data.claims_by_status)),
        "icd10": (
            "ICD-10 chapter counts",
            bars("Diagnoses and conditions per ICD-10 chapter", data.icd10_chapters),
        ),
    }
