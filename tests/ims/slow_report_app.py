"""The real Celery app plus a report kind that renders slowly, for the worker-killed test.

A worker started with ``-A tests.ims.slow_report_app`` knows the ``slow`` kind; the test process
registers it too by importing this module.
"""

import time

import django

from ims.celery import app

django.setup()

from ims.report_kinds import UnitReport  # noqa: E402  (needs the apps loaded)
from ims.reports import register_report  # noqa: E402

SECONDS = 4


class SlowUnitReport(UnitReport):
    """Slow between storing the PDF and marking the job done: the worst moment to be killed."""

    code = "slow"

    def filename(self, obj, params):
        time.sleep(SECONDS)
        return super().filename(obj, params)


register_report(SlowUnitReport())

__all__ = ["app"]
