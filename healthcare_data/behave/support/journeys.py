"""Glue of the patient-journeys steps: table rows to library requests (behave only)."""

from __future__ import annotations

from collections.abc import Mapping

from healthcare_data.journeys.builder import JourneyBuilder

BUILD_COLUMNS = ("journey", "conditions", "follow_ups", "referral")


def builder_from_row(row: Mapping[str, str]) -> JourneyBuilder:
    """A JourneyBuilder from one row of "When I build a journey:" (empty cells: no request)."""
    builder = JourneyBuilder(row["journey"].strip())
    conditions = [c.strip() for c in (row.get("conditions") or "").split(",") if c.strip()]
    builder.for_patient(conditions=conditions or None)
    if (row.get("follow_ups") or "").strip():
        builder.with_follow_ups(int(row["follow_ups"]))
    if (row.get("referral") or "").strip():
        builder.with_referral(row["referral"].strip())
    return builder
