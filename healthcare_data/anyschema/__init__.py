"""Fill a database the project did not design: reflect -> plan -> generate -> write.

``introspect(url)`` reads a live schema into an editable :class:`Plan`;
``generate(url_or_plan, rows=...)`` fills that database's own tables in place (or
writes JSONL/CSV/SQL files) with safe, realistic, related rows. See docs/any-schema.md.
"""

from __future__ import annotations

from healthcare_data.anyschema.api import generate, plan_summary
from healthcare_data.anyschema.fill import FORMATS, METHODS, FillResult
from healthcare_data.anyschema.introspect import introspect
from healthcare_data.anyschema.patterns import Pattern
from healthcare_data.anyschema.plan import Plan, dumps, load, save

__all__ = [
    "FORMATS",
    "METHODS",
    "FillResult",
    "Pattern",
    "Plan",
    "dumps",
    "generate",
    "introspect",
    "load",
    "plan_summary",
    "save",
]
