"""The workflow sentences: defined in healthcare_data/behave/steps/workflow.py."""

from healthcare_data.behave.steps.workflow import *  # noqa: F403
