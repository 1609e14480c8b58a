"""Datasets behind the Given and bulk steps: the library's scenario profiles at the suite's size.

Glue only: the counts are ``reference/profiles.toml`` ``[scenarios]``
(:func:`healthcare_data.profiles.scenario_profile`), the timed write is
:func:`healthcare_data.measure.measured_write`; this module adds the scenario's
database, rng and settings, and what the bulk Then steps remember.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from healthcare_data.behave.support.tables import BulkRequest
from healthcare_data.generation import DatasetSpec
from healthcare_data.measure import MeasuredWrite, measured_write
from healthcare_data.profiles import scenario_profile
from healthcare_data.seeding import dataset_spec
from healthcare_data.validation.groups import token_number


def generate_scenario(context: Any, name: str) -> MeasuredWrite:
    """The scenario dataset ``name`` sized by userdata validation_patients, kept as ``context.dataset``."""
    spec = dataset_spec(scenario_profile(name, context.settings.validation_patients))
    context.dataset = measured_write(context.db, spec, context.rng, batch_size=context.settings.batch_size)
    return context.dataset


@dataclass
class BulkRun:
    """What the bulk Then steps check: the table's requests, the measured write and each entity's limit."""

    requests: list[BulkRequest]
    run: MeasuredWrite
    limits: dict[str, float]

    @property
    def seconds(self) -> dict[str, float]:
        return self.run.entity_seconds(self.limits)

    @property
    def tokens(self) -> list[str]:
        """Every constraint token of the table, in table order."""
        return [t for r in self.requests for t in r.constraints]

    def offenders(self, stored: dict[str, int]) -> list[dict[str, object]]:
        """Entities whose stored count is not the table's or whose seconds exceed their limit."""
        seconds = self.seconds
        return [
            {
                "entity": r.entity,
                "requested": r.count,
                "stored": stored[r.entity],
                "target": r.target or "-",
                "limit s": self.limits[r.entity],
                "seconds": round(seconds[r.entity], 3),
            }
            for r in self.requests
            if stored[r.entity] != r.count or seconds[r.entity] > self.limits[r.entity]
        ]


def bulk_run(context: Any, requests: list[BulkRequest]) -> BulkRun:
    """Generate the bulk table's dataset (its counts and N_month_range) timed; limits capped by userdata."""
    spec = bulk_spec(requests)
    run = measured_write(context.db, spec, context.rng, batch_size=context.settings.batch_size)
    cap = context.settings.bulk_time_limit_s
    return BulkRun(requests, run, {r.entity: min(r.limit_seconds or cap, cap) for r in requests})


def bulk_spec(requests: list[BulkRequest]) -> DatasetSpec:
    """The DatasetSpec the bulk table asks for: its counts, months from an N_month_range token (else 6)."""
    months = [n for r in requests for t in r.constraints if (n := token_number(t))]
    return DatasetSpec(**{r.entity: r.count for r in requests}, months=months[0] if months else 6).validate()
