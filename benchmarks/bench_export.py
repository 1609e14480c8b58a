"""Export throughput and peak memory per format, from a seeded SQLite database.

For each size (patients; other tables scaled as in the `standard` profile: providers n/8,
appointments 3n, records 1.5n, claims 1.5n) the script seeds a scratch SQLite file once,
then exports it to every format, each in a fresh subprocess, and prints one line per
format: rows exported, seconds, rows/s, the child's CPU seconds and rows per CPU second
(steadier than wall time on a shared machine) and its peak RSS (VmHWM). ``baseline`` is the
pre-streaming way (``read_database`` into memory, then write JSON), measured in the same
run: its peak grows with the data, the streamed exports' should not.

    PYTHONPATH=. python benchmarks/bench_export.py --patients 10000 100000

``--sources DIR`` keeps each seeded database as ``DIR/source-<patients>.db`` and reuses it
on the next run (seeding 1,000,000 patients takes longer than most exports), so a long
run can be split into one invocation per format.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from healthcare_data.export.writers import FORMATS as EXPORT_FORMATS

FORMATS = ("baseline", *EXPORT_FORMATS)
TARGETS = {
    "json": "out.json",
    "yaml": "out.yaml",
    "sql": "dump.sql",
    "django": "fixture.json",
    "prisma": "seed.mjs",
    "baseline": "baseline.json",
}

# Peak RSS is the child's VmHWM (Linux), not getrusage's ru_maxrss: after fork+exec,
# ru_maxrss starts at the parent's RSS, so a child of a parent that had just seeded 100k
# patients reported that parent's 133 MB as its own peak and hid the export's growth.
CHILD = r"""
import json, resource, sys, time
from healthcare_data.db import Database

def rss(field):
    try:
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) for l in status if l.startswith(field)) / 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

fmt, url, target = sys.argv[1:4]
db = Database(url)
rows = sum(db.counts().values())
base = rss("VmRSS:")
started, cpu = time.perf_counter(), time.process_time()
if fmt == "baseline":
    from healthcare_data.export import read_database, write_tables
    write_tables(read_database(db), target, "json")
else:
    from healthcare_data import seeding
    seeding.export(target, fmt, url=db)
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
peak = rss("VmHWM:")
print(json.dumps({"rows": rows, "seconds": seconds, "cpu": cpu, "peak_mb": peak, "base_mb": base}))
"""


def seed(path: Path, patients: int) -> str:
    """Seed ``path`` unless a finished earlier run left it there (written aside, then renamed)."""
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    _seed(partial, patients)
    partial.rename(path)
    return url


def _seed(path: Path, patients: int) -> None:
    from healthcare_data import seeding
    from healthcare_data.bulk import write_dataset
    from healthcare_data.db import Database

    counts = {
        "patients": patients,
        "providers": max(patients // 8, 5),
        "appointments": patients * 3,
        "medical_records": patients * 3 // 2,
        "insurance_claims": patients * 3 // 2,
    }
    url = f"sqlite:///{path}"
    db = Database(url).create_schema()
    write_dataset(db, seeding.generate("standard", 7, counts=counts, batch_size=5000))
    db.dispose()


def run(fmt: str, url: str, work: Path) -> dict:
    target = work / TARGETS.get(fmt, fmt)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, fmt, url, str(target)], capture_output=True, text=True, check=True
    )
    shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--sources", type=Path, help="keep (and reuse) the seeded databases here")
    args = parser.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    from tabulate import tabulate

    lines = []
    with tempfile.TemporaryDirectory(prefix="bench_export.") as scratch:
        work = Path(scratch)
        for patients in args.patients:
            started = time.perf_counter()
            url = seed((args.sources or work) / f"source-{patients}.db", patients)
            print(f"seeded {patients} patients in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            for fmt in formats:
                result = run(fmt, url, work)
                lines.append(
                    {
                        "format": fmt,
                        "patients": patients,
                        "rows": result["rows"],
                        "seconds": round(result["seconds"], 1),
                        "rows/s": round(result["rows"] / result["seconds"]),
                        "CPU s": round(result["cpu"], 1),
                        "rows/CPU s": round(result["rows"] / result["cpu"]),
                        "peak RSS MB": round(result["peak_mb"]),
                        "base MB": round(result["base_mb"]),
                    }
                )
                print(lines[-1], file=sys.stderr)
    print(tabulate(lines, headers="keys", tablefmt="github", intfmt=","))


if __name__ == "__main__":
    main()
