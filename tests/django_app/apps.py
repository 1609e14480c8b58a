from django.apps import AppConfig


class HealthcareConfig(AppConfig):
    name = "tests.django_app"
    label = "healthcare"
    default_auto_field = "django.db.models.AutoField"
