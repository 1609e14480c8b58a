"""Build ``healthcare_data/reference/names_en_US.tsv`` from Faker's en_US lists.

Why: generated names and street suffixes come from Faker's frequency-weighted en_US
lists, but importing them imports ``faker`` (its ``__init__`` loads the factory, the
locale config and the generator: ~0.07 CPU s per process) for four static tables.
:mod:`healthcare_data.fakes` reads them from this table instead, in the same order with
the same weights, so the generated rows do not change.

Run after upgrading Faker (``tests/test_name_table.py`` fails until you do; the golden
digests then say whether the rows change):

    python scripts/build_name_table.py
"""

from __future__ import annotations

import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "healthcare_data" / "reference" / "names_en_US.tsv"
HEADER = "list\tvalue\tweight"


def table_lines() -> list[str]:
    """``list<TAB>value<TAB>weight`` in Faker's own order; weights as ``repr`` (exact floats)."""
    import faker
    from faker.providers.address.en_US import Provider as Address
    from faker.providers.person.en_US import Provider as Person

    lines = [HEADER, f"# Faker {faker.VERSION}, en_US person and address providers"]
    for kind, weights in (
        ("first_male", Person.first_names_male),
        ("first_female", Person.first_names_female),
        ("last", Person.last_names),
    ):
        lines += [f"{kind}\t{name}\t{weight!r}" for name, weight in weights.items()]
    lines += [f"street_suffix\t{suffix}\t" for suffix in Address.street_suffixes]
    if any(line.count("\t") != 2 or "\n" in line for line in lines[2:]):
        raise SystemExit("a name holds a tab or newline")
    return lines


def main() -> int:
    lines = table_lines()
    TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {TARGET} ({len(lines) - 2:,} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
