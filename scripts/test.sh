#!/usr/bin/env bash
# The project's whole test suite: pytest, then behave on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pytest -q
if [ -d features ] && ls features/*.feature >/dev/null 2>&1; then
  python -m behave --format progress --no-capture-stderr features
fi
