"""Choosing in forms: units show the tree, several items are a checkbox list (never a
``<select multiple>``), and a failed form lists its errors at the top with links to the fields."""

import importlib
import inspect
import re

import pytest
from django import forms
from django.urls import reverse

from ims.clausechoice import ClauseMultipleChoiceField
from ims.models import Clause, OrgUnit
from ims.unitchoice import INDENT, UnitChoiceField, UnitMultipleChoiceField
from ims.unitfilter import UnitFilterField
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

FORM_MODULES = ["documents.forms", "audits.forms", "nonconformities.forms", "surveys.forms"]
UNIT_FIELDS = (UnitChoiceField, UnitMultipleChoiceField, UnitFilterField)


def _form_fields():
    """(form class, field name, field) for every declared field of every app form."""
    for module_name in FORM_MODULES:
        module = importlib.import_module(module_name)
        for _name, form_class in inspect.getmembers(module, inspect.isclass):
            if not issubclass(form_class, forms.BaseForm) or form_class.__module__ != module_name:
                continue
            for field_name, field in form_class.base_fields.items():
                yield form_class, field_name, field


def test_no_form_offers_a_select_multiple():
    offenders = [
        f"{form.__name__}.{name}"
        for form, name, field in _form_fields()
        if isinstance(field.widget, forms.SelectMultiple)
        and not isinstance(field.widget, forms.CheckboxSelectMultiple)
    ]
    assert offenders == []


# Register filters that indent their own option list (audits.forms.offer_units).
INDENTED_ELSEWHERE = {"AuditFilterForm.unit", "FindingFilterForm.unit"}


def test_every_unit_choice_shows_the_tree():
    offenders = [
        f"{form.__name__}.{name}"
        for form, name, field in _form_fields()
        if getattr(getattr(field, "queryset", None), "model", None) is OrgUnit
        and not isinstance(field.widget, forms.HiddenInput)
        and not isinstance(field, UNIT_FIELDS)
        and f"{form.__name__}.{name}" not in INDENTED_ELSEWHERE
    ]
    # ModelForm fields are built from the model: the documents' owner unit among them.
    from documents.forms import DocumentForm

    assert isinstance(DocumentForm.base_fields["owner_unit"], UnitChoiceField)
    assert offenders == []


def test_a_unit_field_indents_each_unit_under_the_listed_unit_above_it(world):
    field = UnitChoiceField(queryset=OrgUnit.objects.all())
    labels = {str(value): label for value, label in field.choices if value != ""}
    assert labels[str(world.root.pk)] == world.root.label
    assert labels[str(world.commune.pk)] == INDENT + world.commune.label
    assert labels[str(world.school.pk)] == INDENT * 2 + world.school.label
    order = [str(value) for value, _label in field.choices if value != ""]
    assert order.index(str(world.commune.pk)) < order.index(str(world.school.pk))


def test_a_list_that_starts_below_the_root_is_not_pushed_right(world):
    field = UnitChoiceField(queryset=OrgUnit.objects.filter(pk__in=[world.school.pk]))
    assert [label for value, label in field.choices if value != ""] == [world.school.label]
    # a school listed without its commune sits at the commune's level, not under a sibling
    field.queryset = OrgUnit.objects.filter(pk__in=[world.division.pk, world.school.pk])
    assert [label for value, label in field.choices if value != ""] == [
        world.division.label,
        world.school.label,
    ]


def test_several_units_render_as_an_indented_checkbox_list(world):
    deep = UnitFactory(code="DEEP", name="Điểm trường Bản Mòng", parent=world.school)
    field = UnitMultipleChoiceField(queryset=OrgUnit.objects.all())
    html = field.widget.render("units", [world.school.pk], attrs={"id": "id_units"})
    assert "<select" not in html
    assert re.search(
        rf'depth-2"[^>]*><input type="checkbox" name="units" value="{world.school.pk}"[^>]*checked',
        html,
    )
    assert re.search(rf'depth-3"[^>]*><input type="checkbox" name="units" value="{deep.pk}"', html)
    assert 'class="multichoice-tools" hidden' in html  # the filter box waits for JavaScript


def test_clauses_are_grouped_by_criteria_set_and_indented_by_number():
    clauses = Clause.objects.select_related("criteria_set").filter(criteria_set__is_active=True)
    assert clauses.count() > 20
    field = ClauseMultipleChoiceField(queryset=clauses)
    html = field.widget.render("clauses", [], attrs={"id": "id_clauses"})
    groups = re.findall(r'<p class="multichoice-group">([^<]+)</p>', html)
    assert len(groups) == len(set(groups)) == clauses.values("criteria_set").distinct().count()
    sub = clauses.filter(number__contains=".").first()
    assert re.search(
        rf'depth-{sub.depth}"[^>]*><input type="checkbox" name="clauses" value="{sub.pk}"', html
    )
    assert html.count('type="checkbox"') == clauses.count()


def test_several_clauses_are_submitted_as_ticked_boxes(world, client_for):
    clauses = list(Clause.objects.filter(criteria_set__is_active=True)[:3])
    response = client_for(world.iso).post(
        reverse("nonconformities:raise"),
        {
            "unit": world.quality.pk,
            "title": "Hồ sơ thiếu chữ ký",
            "description": "Thiếu chữ ký phê duyệt.",
            "source": "complaint",
            "severity": "minor",
            "kind": "nonconformity",
            "clauses": [c.pk for c in clauses],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    from nonconformities.models import Nonconformity

    assert set(Nonconformity.objects.get().clauses.all()) == set(clauses)


def test_a_failed_form_lists_its_errors_at_the_top_with_links(world, client_for):
    client = client_for(world.iso)
    response = client.post(reverse("nonconformities:raise"), {"unit": world.quality.pk})
    assert response.status_code == 200
    page = response.content.decode()
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert summary, "no error summary"
    assert page.index("error-summary") < page.index('name="title"')
    assert 'href="#id_title"' in summary.group(0)
    assert 'href="#id_description"' in summary.group(0)
    assert 'id="id_title"' in page  # the link lands on the field


def test_a_valid_page_has_no_error_summary(world, client_for):
    page = client_for(world.iso).get(reverse("nonconformities:raise")).content.decode()
    assert "error-summary" not in page
