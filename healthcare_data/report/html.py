"""One self-contained HTML page: inline CSS, PNGs as base64 data URIs, no network.

The page opens offline and survives being mailed or kept as a CI artefact. A
two-line script counts the images the browser actually decoded into
``<body data-images-decoded>``, which lets a headless-browser test prove the page
renders rather than only that the file exists.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from healthcare_data.report.gather import ReportData

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{margin-bottom:0} table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef} .fail{background:#fdd} .warn{background:#ffe9b3} .pass{background:#dfd}
img{max-width:100%;border:1px solid #ddd} section{margin:2em 0} .note{color:#a40}
"""
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


def _mix_rows(observed: Mapping[str, int], expected: Mapping[str, float], key: str) -> list[dict[str, Any]]:
    n = sum(observed.values()) or 1
    total = sum(expected.values()) or 1
    return [
        {
            key: name,
            "observed": observed.get(name, 0),
            "expected": round(expected.get(name, 0.0), 1),
            "observed share": f"{observed.get(name, 0) / n:.1%}",
            "expected share": f"{expected.get(name, 0.0) / total:.1%}",
        }
        for name in sorted(set(observed) | set(expected))
    ]


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
