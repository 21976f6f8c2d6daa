"""Settings for the test suite: the project's settings with DEBUG on at start-up (as ``make run``),
plus the ``scale`` app that ``tests/scale`` exercises (it is not installed in production).

pytest-django still runs every test with ``settings.DEBUG = False``.
"""

import os

os.environ.setdefault("DEBUG", "true")

from ims.settings import *  # noqa: E402, F403

INSTALLED_APPS = [*INSTALLED_APPS, "scale"]  # noqa: F405
