"""The bulk sentences: defined in healthcare_data/behave/steps/bulk.py."""

from healthcare_data.behave.steps.bulk import *  # noqa: F403
