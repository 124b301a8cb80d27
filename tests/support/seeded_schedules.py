"""The seeded schedules again, for a test after a transactional test emptied every table (a flush
does not re-run data migrations)."""
from __future__ import annotations

import importlib

from django.apps import apps

SEED = importlib.import_module("scheduling.migrations.0002_seed_schedules")


def reseed() -> None:
    """Run the seed migration's own function (it creates only what is missing)."""
    SEED.seed(apps, None)
