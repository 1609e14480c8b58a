"""Suite settings from behave userdata (``behave.ini`` ``[behave.userdata]``, ``-D``).

The one place the suite reads its settings; each has a default so a bare
``behave`` run works.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class SuiteSettings:
    seed: int = 20261122
    today: date | None = None
    memory_limit_mb: float = 600.0
    memory_growth_limit_mb: float = 100.0
    bulk_time_limit_s: float = 60.0
    batch_size: int = 1000
    validation_patients: int = 300

    @property
    def memory_limits(self) -> tuple[float, float]:
        """(peak MB, growth MB) the bulk scenario's memory must stay within."""
        return self.memory_limit_mb, self.memory_growth_limit_mb

    @classmethod
    def from_userdata(cls, userdata: Any) -> SuiteSettings:
        def get(name: str, convert: Any, default: Any) -> Any:
            raw = userdata.get(name, "") if userdata is not None else ""
            if raw is None or str(raw).strip() == "":
                return default
            try:
                return convert(str(raw).strip())
            except ValueError:
                raise ValueError(
                    f"behave userdata {name}={raw!r} is not a valid {convert.__name__}"
                ) from None

        return cls(
            seed=get("seed", int, cls.seed),
            today=get("today", date.fromisoformat, None),
            memory_limit_mb=get("memory_limit_mb", float, cls.memory_limit_mb),
            memory_growth_limit_mb=get("memory_growth_limit_mb", float, cls.memory_growth_limit_mb),
            bulk_time_limit_s=get("bulk_time_limit_s", float, cls.bulk_time_limit_s),
            batch_size=get("batch_size", int, cls.batch_size),
            validation_patients=get("validation_patients", int, cls.validation_patients),
        )
