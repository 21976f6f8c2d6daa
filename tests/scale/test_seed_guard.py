"""``seed_scale`` writes a province of made-up people: it runs only under the benchmark settings."""

import pytest
from django.core.management import CommandError, call_command

from ims.models import OrgUnit


@pytest.mark.django_db
def test_seed_scale_refuses_outside_the_benchmark_settings():
    with pytest.raises(CommandError, match="scale.bench_settings"):
        call_command("seed_scale", "--factor", "0.01")
    assert not OrgUnit.objects.filter(code__startswith="SCALE").exists()


@pytest.mark.django_db
def test_seed_scale_runs_under_the_benchmark_settings(settings, monkeypatch):
    from scale.management.commands import seed_scale

    ran = []
    monkeypatch.setattr(seed_scale.Generator, "run", lambda self: ran.append(self.plan))
    settings.SCALE_SEED_ALLOWED = True
    call_command("seed_scale", "--factor", "0.01")
    assert len(ran) == 1
