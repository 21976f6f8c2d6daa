"""The demo: about 150 NCs in every state and from every source, idempotent."""

from io import StringIO

import pytest

from ims import demo as core_demo
from nonconformities import demo
from nonconformities.models import Nonconformity

pytestmark = pytest.mark.django_db


def test_demo_covers_every_state_and_source_and_is_idempotent(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ctx = core_demo.DemoContext(stdout=StringIO())
    core_demo.seed(ctx)
    demo.seed(ctx)
    ncs = Nonconformity.objects.all()
    assert ncs.count() == demo.TOTAL
    assert set(ncs.values_list("status", flat=True)) == set(Nonconformity.Status.values)
    assert set(ncs.values_list("source", flat=True)) == set(Nonconformity.Source.values)
    assert ncs.overdue().exists()
    assert ncs.filter(repeat_of__isnull=False).exists()
    assert ncs.filter(round__gt=1).exists()
    assert ncs.filter(kind="improvement").exists()
    assert ncs.filter(status="open", containment_assignee__isnull=False).exists()
    assert ncs.with_extensions().filter(extensions__gt=0).exists()
    teacher = ctx.users["teacher"]
    assert Nonconformity.objects.for_user(teacher).filter(actions__owner=teacher).exists()
    demo.seed(ctx)
    assert Nonconformity.objects.count() == demo.TOTAL
