"""behave hooks and fixtures of the acceptance suite (re-exported by features/environment.py).

Another repository's ``features/environment.py`` gets them with
``from healthcare_data.behave.environment import *``.

Every scenario starts from a known, empty database with the schema:

* SQLite (default): a fresh database file in a temporary directory per scenario;
* PostgreSQL (``DATABASE_URL=postgresql...``): the run creates its own database
  ``hd_behave_<random>`` on that server (the server is shared), resets it (rows
  deleted in reverse dependency order, sequences restarted) before each scenario and
  drops it at the end of the run.

Settings come from behave userdata (``behave.ini``, ``-D name=value``), read once by
:class:`support.config.SuiteSettings`.

Context contract (every attribute hooks and steps put on ``context``):

Run level (``before_all``)
  ``settings``          SuiteSettings: seed, today, memory_limit_mb, bulk_time_limit_s, ...
  ``run_database_url``  URL of the run's own PostgreSQL database, or None on SQLite
  ``shared_db``         Database on that URL (reset per scenario), or None

Scenario level (``before_scenario``)
  ``db``                Database of this scenario (empty, with the schema)
  ``rng``               Randomness(seed, today): the one seeded source of the scenario
  ``today``             the date ages and appointments are computed from
  ``created``           support.state.Created: ids of rows steps created, with labels
  ``factories``         dict name -> library factory/builder class (Background)
  ``validators``        the library's VALIDATORS registry (Background)

Set by steps, read by later steps of the same scenario
  ``persona_requests``      list[PersonaRequest] (patients.py)
  ``builder_script``        BuilderScript parsed from the docstring (builders.script)
  ``built_patient_id``      id of the patient the builder created (patients.py)
  ``provider_requests``     list[ProviderRequest] (providers.py)
  ``appointment_requests``  list[AppointmentRequest] (scheduling.py)
  ``workflow``              support.workflow.WorkflowRun (workflow.py)
  ``bulk``                  support.bulk.BulkRun: requests, WriteResult, PeakMemory (bulk.py)
  ``validation_runs``       dict validator name -> (ValidationRequest, ValidationReport)
  ``error_outcomes``        list[healthcare_data.error_scenarios.Outcome] (errors.py)
  ``cleanup``               healthcare_data.cleanup.CleanupRun (cleanup.py)
"""

from __future__ import annotations

__all__ = ["before_all", "before_scenario", "run_database", "scenario_database"]

import os
import shutil
import tempfile
import uuid
from pathlib import Path

from behave import fixture, use_fixture
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from healthcare_data import settings as library_settings
from healthcare_data.behave.support.config import SuiteSettings
from healthcare_data.behave.support.state import Created
from healthcare_data.db import Database
from healthcare_data.randomness import Randomness


@fixture
def run_database(context):
    """The run's own PostgreSQL database when DATABASE_URL names one; else nothing."""
    url = library_settings.env("DATABASE_URL")
    context.run_database_url = None
    context.shared_db = None
    if not url or make_url(url).get_backend_name() != "postgresql":
        yield None
        return
    admin_url = make_url(url)
    if admin_url.drivername == "postgresql":
        admin_url = admin_url.set(drivername="postgresql+psycopg")
    name = f"hd_behave_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    context.run_database_url = admin_url.set(database=name).render_as_string(hide_password=False)
    _log_run_database(context, name)
    db = Database(context.run_database_url).create_schema()
    context.shared_db = db
    try:
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@fixture
def scenario_database(context):
    """An empty database with the schema for one scenario."""
    if context.shared_db is not None:
        context.shared_db.reset()
        context.db = context.shared_db
        yield context.db
        return
    directory = tempfile.mkdtemp(prefix="hd_behave_")
    db = Database(f"sqlite:///{Path(directory) / 'scenario.db'}").create_schema()
    context.db = db
    try:
        yield db
    finally:
        db.dispose()
        shutil.rmtree(directory, ignore_errors=True)


def _log_run_database(context, name: str) -> None:
    """Append "<pid> <database>" to userdata ``run_database_log`` (parallel runs prove isolation)."""
    log = context.config.userdata.get("run_database_log")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {name}\n")


def before_all(context):
    context.settings = SuiteSettings.from_userdata(context.config.userdata)
    use_fixture(run_database, context)


def before_scenario(context, scenario):
    use_fixture(scenario_database, context)
    context.rng = Randomness(context.settings.seed, today=context.settings.today)
    context.today = context.rng.today
    context.created = Created()
