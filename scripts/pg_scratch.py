"""Create or drop a scratch PostgreSQL database on a shared server (used by .ci/run).

usage: python scripts/pg_scratch.py create|drop ADMIN_URL NAME  (create prints its URL)
"""

from __future__ import annotations

import re
import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def main(argv: list[str]) -> int:
    action, admin_url, name = argv
    if action not in ("create", "drop") or not re.fullmatch(r"[a-z0-9_]+", name):
        print(f"usage: pg_scratch.py create|drop ADMIN_URL NAME (got {argv!r})", file=sys.stderr)
        return 2
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if action == "create":
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    if action == "create":
        print(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
