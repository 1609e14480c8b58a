"""Run in a subprocess: create the tables in a fresh SQLite file, ``loaddata`` the fixture,
print every table's rows as JSON (Django's own reading of them)."""

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_app.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402

call_command("migrate", run_syncdb=True, verbosity=0)
call_command("loaddata", sys.argv[1], verbosity=0)
tables = {
    model._meta.db_table: list(model.objects.order_by("pk").values())
    for model in apps.get_app_config("healthcare").get_models()
}
print(json.dumps(tables, default=str))
