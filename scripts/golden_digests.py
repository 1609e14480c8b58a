"""Golden digests: a SHA-256 per table of a few seeds and profiles (tests/data/golden_digests.json).

``tests/test_golden.py`` regenerates these datasets and compares, so any change to the
generated rows fails a test and shows in review. When a change is deliberate, rewrite
the file and commit it with the change:

    python scripts/golden_digests.py --write

Names and street names come from Faker's en_US lists (``healthcare_data.fakes``); their
own digest is stored too, so a Faker upgrade that changes them says so by name.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

TARGET = Path(__file__).resolve().parent.parent / "tests" / "data" / "golden_digests.json"
TODAY = date(2026, 11, 22)
#: name -> (profile or None for the bulk scenario, seed, options)
CASES: dict[str, tuple[str | None, int, dict[str, Any]]] = {
    "minimal-seed0": ("minimal", 0, {}),
    "standard-seed1-3tenants": ("standard", 1, {"tenants": 3}),
    "bulk-x0.3-seed7": (None, 7, {"scale": 0.3}),
}


def _digest(rows: list[dict[str, Any]]) -> str:
    ordered = sorted(rows, key=lambda r: (r.get("id", 0), r.get("patient_id", 0)))
    text = json.dumps(ordered, default=str, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def case_digests(profile: str | None, seed: int, options: dict[str, Any]) -> dict[str, str]:
    """``table: "rows sha256"`` of one generated dataset (no database involved)."""
    from healthcare_data.generation import DatasetSpec, generate_dataset
    from healthcare_data.randomness import Randomness
    from healthcare_data.seeding import generate

    if profile is None:
        spec = DatasetSpec.bulk_scenario(options["scale"])
        batches = generate_dataset(spec, Randomness(seed, today=TODAY), 1000)
    else:
        batches = generate(profile, seed, today=TODAY, **options)
    tables: dict[str, list[dict[str, Any]]] = {}
    for batch in batches:
        tables.setdefault(batch.table, []).extend(batch.rows)
    return {table: f"{len(rows)} {_digest(rows)}" for table, rows in sorted(tables.items())}


def faker_lists_digest() -> str:
    """What the generated names and streets take from Faker: its en_US lists."""
    from healthcare_data import fakes

    lists = {
        "first": {k: [w.options, w.cumulative] for k, w in sorted(fakes.FIRST_NAMES.items())},
        "last": [fakes.LAST_NAMES.options, fakes.LAST_NAMES.cumulative],
        "street_suffixes": list(fakes.STREET_SUFFIXES),
    }
    return hashlib.sha256(json.dumps(lists, sort_keys=True).encode("utf-8")).hexdigest()


def current() -> dict[str, Any]:
    import faker

    return {
        "faker_version": faker.VERSION,
        "faker_lists": faker_lists_digest(),
        "cases": {name: case_digests(*case) for name, case in CASES.items()},
    }


def main() -> int:
    if "--write" not in sys.argv:
        print(json.dumps(current(), indent=2))
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(current(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
