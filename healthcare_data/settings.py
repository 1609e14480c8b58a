"""The one place environment variables are read.

Flags and explicit arguments take precedence; these are the fallbacks.
"""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "sqlite:///healthcare_data.db"


def database_url(explicit: str | None = None) -> str:
    """``explicit``, else ``$DATABASE_URL``, else an SQLite file in the working directory."""
    return explicit or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def env(name: str, default: str | None = None) -> str | None:
    """A raw environment value (for the QA_* settings the CLI documents)."""
    return os.environ.get(name, default)
