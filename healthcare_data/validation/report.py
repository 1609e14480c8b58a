"""Compatibility: the report types live in :mod:`healthcare_data.violations`."""

from healthcare_data.violations import *  # noqa: F403
from healthcare_data.violations import __all__ as __all__
