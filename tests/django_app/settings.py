"""Settings for the fixture test: a fresh SQLite file named by HD_DJANGO_DB."""

import os

SECRET_KEY = "test-only-not-secret"  # noqa: S105 - a throw-away test settings module
INSTALLED_APPS = ["tests.django_app.apps.HealthcareConfig"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["HD_DJANGO_DB"]}}
USE_TZ = False
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
