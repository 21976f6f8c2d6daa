"""The people picker: a search endpoint limited to the form's signed scope, and a field that
checks the chosen ids again on submit."""

import pytest
from django import forms
from django.urls import reverse

from ims import pickers
from ims.models import Role
from ims.pickers import PeopleField, PeopleScope, PersonField
from tests.factories import MembershipFactory, UserFactory

URL = reverse("ims:people_search")


@pytest.fixture
def an(world):
    """Nguyễn Văn An, staff at ``school``."""
    person = UserFactory(username="an.nv", full_name="Nguyễn Văn An")
    MembershipFactory(user=person, unit=world.school, role=Role.STAFF)
    return person


def _search(client, actor, query, scope=None, **extra):
    scope = scope if scope is not None else PeopleScope.around(actor)
    params = {"picker_name": "who", "picker_scope": scope.token(actor), "who_q": query, **extra}
    return client.get(URL, params)


def _ids(response):
    import re

    return {int(pk) for pk in re.findall(r'value="(\d+)"', response.content.decode())}


def test_owner_finds_a_name_typed_without_diacritics(world, an, client_for):
    response = _search(client_for(world.principal), world.principal, "nguyen van")
    assert response.status_code == 200
    assert _ids(response) == {an.pk}
    assert "Nguyễn Văn An" in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_member_finds_colleagues_and_the_units_above(world, an, client_for):
    teacher = client_for(world.teacher)
    assert _ids(_search(teacher, world.teacher, "NGUYỄN")) == {an.pk}
    # the director sits at the Department, above the school; the head at one of its divisions
    assert world.director.pk in _ids(_search(teacher, world.teacher, "director"))
    assert world.head.pk in _ids(_search(teacher, world.teacher, "head"))


def test_outsider_from_another_school_finds_nobody_of_the_first(world, an, client_for):
    outsider = client_for(world.principal2)
    assert _ids(_search(outsider, world.principal2, "nguyen")) == set()
    assert world.teacher.pk not in _ids(_search(outsider, world.principal2, "teacher"))
    assert world.principal.pk not in _ids(_search(outsider, world.principal2, "principal"))
    # a token signed for someone else is refused, not used
    token = PeopleScope.around(world.principal).token(world.principal)
    response = outsider.get(URL, {"picker_name": "who", "picker_scope": token, "who_q": "nguyen"})
    assert response.status_code == 400
    assert an.pk not in _ids(response)


def test_forged_or_missing_scope_is_a_clear_400(world, client_for):
    client = client_for(world.principal)
    for scope in ["", "nonsense", "a:b:c"]:
        response = client.get(URL, {"picker_name": "who", "picker_scope": scope, "who_q": "a"})
        assert response.status_code == 400
    response = client.get(URL, {"picker_name": "1 bad", "who_q": "a"})
    assert response.status_code == 400


def test_an_old_page_is_asked_to_reload(world, an, client_for, monkeypatch):
    monkeypatch.setattr(pickers, "TOKEN_MAX_AGE", -1)
    response = _search(client_for(world.principal), world.principal, "nguyen")
    assert response.status_code == 200
    assert _ids(response) == set()


def test_anonymous_is_sent_to_sign_in(world, client):
    response = client.get(URL, {"picker_name": "who", "who_q": "a"})
    assert response.status_code == 302


def test_at_most_twenty_matches(world, client_for):
    for i in range(25):
        person = UserFactory(username=f"tran{i}", full_name=f"Trần Thị Bình {i:02d}")
        MembershipFactory(user=person, unit=world.school, role=Role.STAFF)
    response = _search(client_for(world.principal), world.principal, "tran thi binh")
    assert len(_ids(response)) == pickers.PICKER_LIMIT == 20


def test_inactive_people_and_ended_roles_are_never_listed(world, an, client_for):
    gone = UserFactory(username="gone", full_name="Nguyễn Thị Gone", is_active=False)
    MembershipFactory(user=gone, unit=world.school, role=Role.STAFF)
    ended = UserFactory(username="ended", full_name="Nguyễn Thị Ended")
    MembershipFactory(user=ended, unit=world.school, role=Role.STAFF, is_active=False)
    response = _search(client_for(world.principal), world.principal, "nguyen")
    assert _ids(response) == {an.pk}


def test_ticked_people_stay_ticked_only_within_scope(world, an, client_for):
    response = _search(
        client_for(world.principal),
        world.principal,
        "director",
        who=[str(an.pk), str(world.principal2.pk)],
    )
    html = response.content.decode()
    assert f'value="{an.pk}" checked' in html
    assert world.principal2.pk not in _ids(response)  # a forged tick reveals nothing
    assert world.director.pk in _ids(response)


def test_roles_limit_the_scope(world, client_for):
    scope = PeopleScope.within(world.iso, roles=("auditor", "lead_auditor"))
    found = _ids(_search(client_for(world.iso), world.iso, "auditor", scope=scope))
    assert found == {world.auditor.pk, world.leadauditor.pk}
    assert _ids(_search(client_for(world.iso), world.iso, "teacher", scope=scope)) == set()


def test_search_is_two_queries_whatever_the_number_of_people(
    world, client_for, django_assert_num_queries
):
    for i in range(30):
        MembershipFactory(user=UserFactory(full_name=f"Lò Văn {i}"), unit=world.school)
    client = client_for(world.principal)
    scope = PeopleScope.around(world.principal)
    params = {"picker_name": "who", "picker_scope": scope.token(world.principal), "who_q": "lo"}
    # session, user, matches, their units
    with django_assert_num_queries(4):
        response = client.get(URL, params)
    assert len(_ids(response)) == 20


# --- the field -------------------------------------------------------------------------------


def _form(actor, scope=None):
    scope = scope or PeopleScope.around(actor)

    class PickForm(forms.Form):
        who = PersonField(label="Who")
        many = PeopleField(label="Many", required=False)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["who"].bind(actor, scope)
            self.fields["many"].bind(actor, scope)

    return PickForm


def test_field_accepts_an_id_in_scope_and_refuses_one_outside(world, an):
    Form = _form(world.principal)
    form = Form({"who": str(an.pk), "many": [str(an.pk), str(world.director.pk)]})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"who": an, "many": [an, world.director]}

    forged = Form({"who": str(world.principal2.pk)})
    assert not forged.is_valid()
    assert forged.has_error("who", "not_assignable")
    assert world.principal2.display_name not in str(forged["who"])  # never shown back
    assert not Form({"who": "1e3"}).is_valid()
    assert Form({"many": [str(world.principal2.pk)], "who": str(an.pk)}).has_error(
        "many", "not_assignable"
    )


def test_field_without_javascript_resolves_the_typed_name(world, an):
    Form = _form(world.principal)
    form = Form({"who_q": "nguyen van an"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["who"] == an

    several = Form({"who_q": "nguoi dung"})
    assert several.has_error("who", "several")
    html = str(several["who"])
    assert f'value="{world.teacher.pk}"' in html  # offered to choose from
    assert f'value="{world.principal2.pk}"' not in html  # never someone out of scope

    assert Form({"who_q": "principal2"}).has_error("who", "no_match")
    assert Form({}).has_error("who", "required")


def test_typed_words_that_found_the_choice_are_not_a_second_choice(world, an):
    Form = _form(world.principal)
    form = Form({"who": str(an.pk), "who_q": "nguyen", "many": [str(an.pk)], "many_q": "nguyen"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"who": an, "many": [an]}
    # a new name typed over a previous choice (no JavaScript) replaces it
    form = Form({"who": str(an.pk), "who_q": "director"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["who"] == world.director


def test_unbound_field_accepts_nobody(world, an):
    class Unbound(forms.Form):
        who = PersonField()

    assert not Unbound({"who": str(an.pk)}).is_valid()


def test_initial_value_renders_without_a_list_of_everyone(world, an, django_assert_num_queries):
    for i in range(10):
        MembershipFactory(user=UserFactory(full_name=f"Lò Thị {i}"), unit=world.school)
    form = _form(world.principal)(initial={"who": an.pk})
    with django_assert_num_queries(2):  # the chosen person and their units
        html = str(form["who"])
    assert "Nguyễn Văn An" in html
    assert "Lò Thị" not in html


def test_user_search_text_follows_the_name(world, an):
    an.full_name = "Đặng Thị Hoà"
    an.save(update_fields=["full_name"])
    assert PeopleScope.around(world.principal).search("dang thi hoa") == [an]
    assert PeopleScope.around(world.principal).search("nguyen") == []


def test_each_match_and_each_chosen_person_shows_unit_and_role(world, an, client_for):
    from django.utils import translation

    # two people of the same name are told apart by where they work and what they do
    namesake = UserFactory(username="an.nv2", full_name="Nguyễn Văn An")
    MembershipFactory(user=namesake, unit=world.school, role=Role.PRINCIPAL, title="Phó HT")
    world.principal.language = "en"
    world.principal.save(update_fields=["language"])
    page = _search(client_for(world.principal), world.principal, "nguyen van an")
    html = page.content.decode()
    assert f"{world.school.label}: Staff" in html
    assert f"{world.school.label}: Principal (Phó HT)" in html
    with translation.override("en"):
        chosen = str(_form(world.principal)(initial={"many": [an.pk, namesake.pk]})["many"])
    assert f"{world.school.label}: Staff" in chosen and "Principal (Phó HT)" in chosen


def test_a_field_of_a_prefixed_form_is_searched(world, an, client_for):
    """Two pickers on one page (one per corrective action) carry their form's prefix."""
    token = PeopleScope.around(world.principal).token(world.principal)
    params = {"picker_name": "r12-owner", "picker_scope": token, "r12-owner_q": "nguyen"}
    response = client_for(world.principal).get(URL, params)
    assert response.status_code == 200 and _ids(response) == {an.pk}
    assert 'name="r12-owner"' in response.content.decode()
    bad = {**params, "picker_name": "r12-owner<script>"}
    assert client_for(world.principal).get(URL, bad).status_code == 400
