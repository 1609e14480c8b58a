"""Build ``healthcare_data/reference/zip_codes.tsv.gz`` from the ``zipcodes`` package.

Why: ``zipcodes`` decompresses and parses its whole JSON (~43,000 ZIPs, ~0.9 s, ~50 MB)
on first use, and ``filter_by(state=...)`` scans every row. The library only needs five
fields per ZIP, so this script writes them once as a small sorted TSV that
:mod:`healthcare_data.reference.zip_codes` reads in a few milliseconds.

Run after upgrading ``zipcodes`` (``tests/test_zip_table.py`` fails until you do):

    python scripts/build_zip_table.py
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "healthcare_data" / "reference" / "zip_codes.tsv.gz"
#: zip_code_type -> the one letter stored (the library only ever asks for STANDARD).
TYPE_CODES = {"STANDARD": "S", "PO BOX": "P", "UNIQUE": "U", "MILITARY": "M"}
HEADER = "zip\ttype\tactive\tstate\tcity\tarea_code\tacceptable_cities"


def table_lines() -> list[str]:
    """One line per ZIP, in the package's own order (which ``places_in`` keeps)."""
    import zipcodes

    lines = [HEADER, f"# zipcodes {zipcodes.__version__}"]
    for row in zipcodes.list_all():
        fields = (
            row["zip_code"],
            TYPE_CODES[row["zip_code_type"]],
            "1" if row["active"] else "0",
            row["state"],
            row["city"],
            (row.get("area_codes") or ["555"])[0],
            "|".join(row.get("acceptable_cities") or []),
        )
        if any("\t" in f or "\n" in f or "|" in f for f in fields[4:6]):
            raise SystemExit(f"ZIP {row['zip_code']}: a field holds a tab, newline or '|': {fields}")
        lines.append("\t".join(fields))
    return lines


def main() -> int:
    lines = table_lines()
    data = ("\n".join(lines) + "\n").encode("utf-8")
    # mtime=0: the same input always gives the same bytes (no spurious diffs).
    TARGET.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"wrote {TARGET} ({TARGET.stat().st_size:,} bytes, {len(lines) - 2:,} ZIPs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
