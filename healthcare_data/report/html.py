"""One self-contained HTML page: inline CSS, PNGs as base64 data URIs, no network.

The page opens offline and survives being mailed or kept as a CI artefact. A
two-line script counts the images the browser actually decoded into
``<body data-images-decoded>``, which lets a headless-browser test prove the page
renders rather than only that the file exists.
"""

from __future__ import annotations

import base64
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from healthcare_data.columns import APPOINTMENT_STATUSES
from healthcare_data.report.gather import ReportData

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{margin-bottom:0} table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef} .fail{background:#fdd} .warn{background:#ffe9b3} .pass{background:#dfd}
img{max-width:100%;border:1px solid #ddd} section{margin:2em 0} .note{color:#a40}
"""
STATUS_NOTE = (
    "Expected: the share of a persona's past visits its appointment_compliance level cancels or "
    "misses (reference/visit_outcomes.toml). A profile that asks records and claims for most "
    "visits keeps more of them completed (docs/reports.md gives the shares per profile)."
)
SCRIPT = (
    "window.addEventListener('load',function(){var n=0;document.querySelectorAll('img')"
    ".forEach(function(i){if(i.complete&&i.naturalWidth>0)n++});"
    "document.body.setAttribute('data-images-decoded',n)});"
)


def table(rows: Sequence[Mapping[str, Any]], css: Iterable[str] | None = None) -> str:
    """An HTML table of dict rows (keys of the first row as headers); every cell escaped."""
    if not rows:
        return "<p>(none)</p>"
    headers = list(rows[0])
    classes = list(css) if css is not None else [""] * len(rows)
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join(
        f'<tr class="{escape(c)}">'
        + "".join(f"<td>{escape(_cell(row.get(h)))}</td>" for h in headers)
        + "</tr>"
        for row, c in zip(rows, classes, strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {v:.1%}" if isinstance(v, float) else f"{k} {v}" for k, v in value.items())
    return "" if value is None else str(value)


def image(png: bytes, alt: str) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{encoded}">'


def sampling_range(n: int, share: float) -> tuple[int, int]:
    """Counts a draw of ``n`` with probability ``share`` gives 95% of the time (normal
    approximation of the binomial): a gap inside it is sampling, not a generator bug."""
    spread = 1.96 * math.sqrt(n * share * (1 - share))
    return max(0, math.floor(n * share - spread)), min(n, math.ceil(n * share + spread))


def _mix_rows(observed: Mapping[str, int], expected: Mapping[str, float], key: str) -> list[dict[str, Any]]:
    n = sum(observed.values())
    total = sum(expected.values()) or 1
    rows = []
    for name in sorted(set(observed) | set(expected)):
        share = expected.get(name, 0.0) / total
        low, high = sampling_range(n, share)
        rows.append(
            {
                key: name,
                "observed": observed.get(name, 0),
                "expected": round(expected.get(name, 0.0), 1),
                "95% sampling range": f"{low}-{high}",
                "observed share": f"{observed.get(name, 0) / (n or 1):.1%}",
                "expected share": f"{share:.1%}",
            }
        )
    return rows


def _status_rows(data: ReportData) -> list[dict[str, Any]]:
    """Per persona: visits by status, and the share of past visits cancelled or missed
    against the reference share (reference/visit_outcomes.toml)."""
    rows = []
    for name in sorted(data.status_by_persona):
        counts = data.status_by_persona[name]
        past = data.past_status_by_persona.get(name, Counter[str]())
        n_past = sum(past.values())
        expected = data.outcome_expected.get(name, {})
        row: dict[str, Any] = {"persona": name, "visits": sum(counts.values())}
        row.update({status: counts.get(status, 0) for status in APPOINTMENT_STATUSES})
        row["past visits"] = n_past
        for status, label in (("cancelled", "cancelled"), ("no_show", "no-show")):
            row[f"{label} of past"] = f"{past.get(status, 0) / (n_past or 1):.1%}"
            row[f"{label} expected"] = f"{expected[status]:.1%}" if status in expected else "-"
        rows.append(row)
    return rows


def render(data: ReportData, pictures: Mapping[str, tuple[str, bytes]]) -> str:
    """The page: metadata, every picture with its numbers, then validation and statistics."""
    meta_rows = [{"": k, "value": v} for k, v in data.meta.items()]
    count_rows = [{"table": k, "rows": v} for k, v in data.counts.items()]
    tables = {
        "personas": table(_mix_rows(data.persona_observed, data.persona_expected, "persona")),
        "specialties": table(_mix_rows(data.specialty_observed, data.specialty_expected, "specialty")),
        "heatmap": table(
            [{"US federal holiday": k, "appointments": v} for k, v in data.holiday_visits.items()]
        ),
        "status": table(_status_rows(data)) + f"<p>{escape(STATUS_NOTE)}</p>",
        "icd10": table([{"chapter": k, "codes": v} for k, v in data.icd10_chapters.most_common()]),
    }
    sections = []
    for section_id, (caption, png) in pictures.items():
        sections.append(
            f'<section id="{escape(section_id)}"><h2>{escape(caption)}</h2>{image(png, caption)}'
            f"{tables.get(section_id, '')}</section>"
        )
    statuses = [str(r.get("status", "")).lower() for r in data.validation]
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in data.notes)
    stats_rows = [
        {
            "test": s["test"],
            "method": s["method"],
            "statistic": s["statistic"],
            "p-value": s["p_value"],
            "n": s["n"],
            "ok": "yes" if s["ok"] else "NO",
            "observed": s["observed"],
            "expected": s["expected"],
        }
        for s in data.statistics
    ]
    title = f"healthcare-data quality report: {data.meta.get('source', '')}"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style><script>{SCRIPT}</script></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<section id="meta"><h2>Data</h2>{table(meta_rows)}{table(count_rows)}</section>'
        + "".join(sections)
        + f'<section id="validation"><h2>Validation</h2>{notes}'
        f"{table(data.validation, statuses)}"
        f"<h3>Statistical tests</h3>{table(stats_rows, ['' if s['ok'] else 'warn' for s in data.statistics])}"
        "</section></body></html>\n"
    )
