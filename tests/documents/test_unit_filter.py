"""The registers' unit filter (``ims.unitfilter``): visible units only, the tree, the selected
value kept, foreign ids refused with a message, cached options refreshed when a unit changes."""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from ims.models import OrgUnit
from ims.unitfilter import UnitFilterField, unit_options
from tests.documents.factories import effective_document
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

REGISTERS = ["documents:register", "nonconformities:register"]


def unit_select(response):
    html = response.content.decode()
    return re.search(r'<select[^>]*name="unit"[^>]*>(.*?)</select>', html, re.S).group(1)


def option_labels(select):
    return [label.replace("\xa0", " ") for label in re.findall(r"<option[^>]*>([^<]*)<", select)]


@pytest.mark.parametrize("register", REGISTERS)
def test_options_are_the_visible_units_as_a_tree(world, client_for, register):
    select = unit_select(client_for(world.iso).get(reverse(register)))
    labels = option_labels(select)
    assert labels[1] == world.root.name  # after "All"
    assert f"      {world.school.name}" in labels  # two levels below the root: indented
    assert len(labels) == 1 + OrgUnit.objects.count()

    select = unit_select(client_for(world.principal2).get(reverse(register)))
    assert option_labels(select)[1:] == [world.school2.name]


@pytest.mark.parametrize("register", REGISTERS)
def test_selected_unit_is_kept(world, client_for, register):
    response = client_for(world.iso).get(reverse(register), {"unit": world.school.pk})
    select = unit_select(response)
    assert f'<option value="{world.school.pk}" selected>' in select
    assert select.count("selected") == 1
    assert "errorlist" not in response.content.decode()


@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize("value", ["foreign", "999999", "abc", "-1", "99999999999999999999"])
def test_foreign_or_bad_unit_is_refused_with_a_message(world, client_for, register, value):
    if value == "foreign":
        value = world.school.pk  # principal2 belongs to school2, in another commune
    response = client_for(world.principal2).get(reverse(register), {"unit": value})
    assert response.status_code == 200
    html = response.content.decode()
    with translation.override("vi"):  # the page's language
        assert gettext(UnitFilterField.default_error_messages["invalid_choice"]) in html
        assert gettext("Some filters were not valid and were ignored.") in html
    assert world.school.name not in unit_select(response)


def test_foreign_unit_does_not_filter_the_documents(world, client_for):
    effective_document(world, code="PUB", unit=world.quality, confidentiality="public")
    client = client_for(world.principal2)
    response = client.get(reverse("documents:register"), {"unit": world.quality.pk})
    assert [d.code for d in response.context["page"].object_list] == ["PUB"]
    assert response.context["form"].errors["unit"]


def test_renamed_unit_shows_its_new_name(world, client_for):
    client = client_for(world.iso)
    url = reverse("documents:register")
    assert "Trường Tiểu học Tô Hiệu" in unit_select(client.get(url))  # now cached
    school = OrgUnit.objects.get(pk=world.school.pk)
    school.name = "Trường Tiểu học Tô Hiệu (đổi tên)"
    school.save()
    assert "Trường Tiểu học Tô Hiệu (đổi tên)" in unit_select(client.get(url))


def test_added_unit_appears_and_can_be_chosen(world, client_for):
    client = client_for(world.iso)
    url = reverse("nonconformities:register")
    unit_select(client.get(url))  # cached
    new = UnitFactory(code="TH3", name="Trường Tiểu học Mới", parent=world.commune)
    assert "Trường Tiểu học Mới" in unit_select(client.get(url))
    response = client.get(url, {"unit": new.pk})
    assert f'<option value="{new.pk}" selected>' in unit_select(response)


def test_options_are_cached_per_scope_and_language(world, settings, django_assert_num_queries):
    first = unit_options(world.iso)
    with django_assert_num_queries(1):  # only the scope; the options come from the cache
        assert unit_options(world.iso) == first
    world.division.name_en = "Primary Education Division"
    world.division.save()
    with translation.override("en"):
        assert "Primary Education Division" in unit_options(world.iso)
    assert "Primary Education Division" not in unit_options(world.iso)
    assert world.school2.name not in unit_options(world.principal)


def test_unbound_field_accepts_any_unit_and_cleans_to_the_unit(world):
    field = UnitFilterField()
    assert field.clean(str(world.school.pk)) == world.school
    assert field.clean("") is None
    field.bind(world.principal2)
    assert field.clean(world.school2.pk) == world.school2
