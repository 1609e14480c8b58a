"""The one place environment variables are read.

Flags and explicit arguments take precedence; these are the fallbacks. The QA_*
variables are those of the QA seed document, honoured where they make sense:

=========================== ====================================================
``DATABASE_URL``            database to seed / validate / export (default: an
                            SQLite file ``healthcare_data.db`` in the working dir)
``QA_ENVIRONMENT``          profile ``seed`` uses without ``--profile`` (standard)
``QA_SEED``                 seed ``seed``/``export`` use without ``--seed`` (0)
``QA_BATCH_SIZE``           rows per generated/written batch (1000)
``QA_USE_BULK_INSERT``      ``true``: fastest writer (COPY / driver tuples);
                            ``false``: plain SQLAlchemy Core executemany
``QA_PARALLEL_WORKERS``     generation processes (default: the CPUs); the rows
                            are the same for any number (healthcare_data.shards)
``QA_VALIDATION_ENABLED``   run the validators after seeding (true)
``QA_VALIDATION_SAMPLE_SIZE`` violations shown per validator in the summary (100)
``QA_STRICT_MODE``          statistics warnings fail the run too (false)
``QA_LOCK_TIMEOUT``         seconds a seed waits for another run or a locked
                            table before it stops, nothing written (30)
``QA_CONNECT_TIMEOUT``      seconds to wait for a PostgreSQL/MySQL server (5)
=========================== ====================================================

A malformed value raises :class:`ConfigurationError` naming the variable, the value
and what would be valid, so the CLI exits 2 with one line; a variable is read only
when no flag or argument replaced it (flags win, even over a malformed variable).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property

from healthcare_data.errors import ConfigurationError

DEFAULT_DATABASE_URL = "sqlite:///healthcare_data.db"
DEFAULT_PROFILE = "standard"
DEFAULT_SEED = 0
DEFAULT_BATCH_SIZE = 1000
DEFAULT_VALIDATION_SAMPLE_SIZE = 100
DEFAULT_LOCK_TIMEOUT = 30
DEFAULT_CONNECT_TIMEOUT = 5

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def database_url(explicit: str | None = None) -> str:
    """``explicit``, else ``$DATABASE_URL``, else an SQLite file in the working directory."""
    return explicit or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def env(name: str, default: str | None = None) -> str | None:
    """A raw environment value (for the QA_* settings the CLI documents)."""
    return os.environ.get(name, default)


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean; use one of {', '.join(_TRUE + _FALSE)}")


def _integer(environ: Mapping[str, str], name: str, default: int | None, minimum: int) -> int | None:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ConfigurationError(f"{name}={raw!r} is not an integer >= {minimum}")
    return value


class QASettings:
    """The QA_* environment settings, each parsed and checked when first read.

    Lazily, because flags win: ``--seed 3`` must work while ``QA_SEED=abc`` is set, so a
    variable is only parsed (and a malformed one only refused) when no flag replaced it.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = dict(os.environ if environ is None else environ)

    @cached_property
    def environment(self) -> str:
        return (self._environ.get("QA_ENVIRONMENT") or "").strip() or DEFAULT_PROFILE

    @cached_property
    def seed(self) -> int:
        return _integer(self._environ, "QA_SEED", DEFAULT_SEED, 0) or 0

    @cached_property
    def batch_size(self) -> int:
        return _integer(self._environ, "QA_BATCH_SIZE", DEFAULT_BATCH_SIZE, 1) or DEFAULT_BATCH_SIZE

    @cached_property
    def use_bulk_insert(self) -> bool:
        return _flag(self._environ, "QA_USE_BULK_INSERT", True)

    @cached_property
    def parallel_workers(self) -> int:
        """Generation processes; 0: one per CPU."""
        return _integer(self._environ, "QA_PARALLEL_WORKERS", 0, 1) or 0

    @cached_property
    def validation_enabled(self) -> bool:
        return _flag(self._environ, "QA_VALIDATION_ENABLED", True)

    @cached_property
    def validation_sample_size(self) -> int:
        return _integer(self._environ, "QA_VALIDATION_SAMPLE_SIZE", DEFAULT_VALIDATION_SAMPLE_SIZE, 0) or 0

    @cached_property
    def strict_mode(self) -> bool:
        return _flag(self._environ, "QA_STRICT_MODE", False)

    @cached_property
    def lock_timeout(self) -> float:
        """Seconds a seed waits for another run's lock (or a locked table) before stopping."""
        return float(_integer(self._environ, "QA_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT, 0) or 0)

    @cached_property
    def connect_timeout(self) -> int:
        """Seconds to wait for a PostgreSQL/MySQL server to answer when connecting."""
        return _integer(self._environ, "QA_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT, 1) or 1

    @property
    def write_method(self) -> str:
        """The bulk engine's writer: fastest for the backend, or plain Core executemany."""
        return "auto" if self.use_bulk_insert else "core"


def qa_settings(environ: Mapping[str, str] | None = None) -> QASettings:
    """The QA_* settings of ``environ`` (default ``os.environ``), parsed on first use."""
    return QASettings(environ)
