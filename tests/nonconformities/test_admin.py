import pytest
from django.urls import reverse

from nonconformities.models import CauseCategory

pytestmark = pytest.mark.django_db


def test_admin_edits_cause_categories_and_shows_ncs_read_only(loop, world, client):
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    nc = loop.in_action()
    assert client.get(reverse("admin:nonconformities_causecategory_changelist")).status_code == 200
    category = CauseCategory.objects.get(code="people")
    response = client.post(
        reverse("admin:nonconformities_causecategory_change", args=[category.pk]),
        {"code": "people", "name": "Con người (nhân sự)", "order": 1, "is_active": "on"},
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.name == "Con người (nhân sự)"
    assert client.get(reverse("admin:nonconformities_nonconformity_changelist")).status_code == 200
    page = client.get(reverse("admin:nonconformities_nonconformity_change", args=[nc.pk]))
    assert page.status_code == 200
    response = client.post(
        reverse("admin:nonconformities_nonconformity_change", args=[nc.pk]), {"title": "x"}
    )
    assert response.status_code == 403
    nc.refresh_from_db()
    assert nc.title != "x"


def test_reference_loader_keeps_edited_names(db):
    from django.apps import apps

    from nonconformities.data import load_reference_data

    CauseCategory.objects.filter(code="people").update(name="Nhân sự")
    load_reference_data(apps)
    assert CauseCategory.objects.get(code="people").name == "Nhân sự"
    assert CauseCategory.objects.count() == 6
