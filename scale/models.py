from django.db import models


class BaselineInsert(models.Model):
    """One row per request to the benchmark's bare-INSERT view (``BENCH_BASELINES`` only)."""

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "baseline insert"

    def __str__(self):
        return f"{self.pk} {self.created_at:%Y-%m-%d %H:%M:%S}"
