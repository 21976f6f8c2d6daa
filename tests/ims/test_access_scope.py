"""Who sees which units and people: director everything, principal their school only."""

import pytest
from django.urls import reverse

from ims.access import get_object_for_user, has_role, units_visible_to
from ims.models import OrgUnit, Role, User
from ims.search import fold_join
from tests.factories import MembershipFactory, UnitFactory


def test_director_sees_every_unit_and_user(world):
    assert set(OrgUnit.objects.for_user(world.director)) == set(OrgUnit.objects.all())
    visible_people = set(User.objects.for_user(world.director))
    assert visible_people == set(User.objects.exclude(username="AnonymousUser"))


def test_principal_sees_only_their_school_subtree(world):
    class_unit = UnitFactory(code="TH1-A", name="Tổ chuyên môn 1", parent=world.school)
    assert set(OrgUnit.objects.for_user(world.principal)) == {world.school, class_unit}
    assert set(User.objects.for_user(world.principal)) == {world.principal, world.teacher}


def test_subtree_follows_a_moved_unit(world):
    grandchild = UnitFactory(code="TH1-B", parent=world.school)
    world.school.parent = world.commune2
    world.school.save()
    grandchild.refresh_from_db()
    assert grandchild.path.startswith(world.commune2.path)
    assert grandchild.depth == 3
    assert set(OrgUnit.objects.subtree_of(world.commune2)) == {
        world.commune2,
        world.school2,
        world.school,
        grandchild,
    }


def test_unit_cannot_move_under_its_own_descendant(world):
    from django.core.exceptions import ValidationError

    world.commune.parent = world.school
    with pytest.raises(ValidationError):
        world.commune.save()


def test_visibility_is_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(OrgUnit.objects.for_user(world.principal))


def test_inactive_membership_and_user_see_nothing(world):
    world.teacher.memberships.update(is_active=False)
    assert not units_visible_to(world.teacher).exists()
    world.principal.is_active = False
    world.principal.save()
    assert not units_visible_to(world.principal).exists()


def test_role_above_covers_units_below(world):
    assert has_role(world.director, world.school, {Role.DIRECTOR})
    assert not has_role(world.principal2, world.school, {Role.PRINCIPAL})
    assert has_role(world.principal, world.school, {Role.PRINCIPAL})


def test_guardian_grant_shows_one_unit(world):
    from ims.access import grant

    grant(world.principal2, "ims.view_orgunit", world.school)
    assert world.school in OrgUnit.objects.for_user(world.principal2)
    assert world.commune not in OrgUnit.objects.for_user(world.principal2)


def test_get_object_for_user_404s_outside_scope(world):
    from django.http import Http404

    with pytest.raises(Http404):
        get_object_for_user(OrgUnit, world.principal2, pk=world.school.pk)
    assert get_object_for_user(OrgUnit, world.principal, pk=world.school.pk) == world.school


@pytest.mark.parametrize("name", ["ims:unit_detail", "ims:user_detail"])
def test_principal2_gets_404_for_other_school_by_url(world, client_for, name):
    target = world.school.pk if name == "ims:unit_detail" else world.teacher.pk
    url = reverse(name, args=[target])
    assert client_for(world.principal2).get(url).status_code == 404
    assert client_for(world.principal).get(url).status_code == 200
    assert client_for(world.director).get(url).status_code == 200


def test_unit_list_shows_only_visible_units(world, client_for):
    body = client_for(world.principal2).get(reverse("ims:unit_list")).content.decode()
    assert world.school2.name in body
    assert world.school.name not in body
    body = client_for(world.director).get(reverse("ims:unit_list")).content.decode()
    assert world.school.name in body and world.school2.name in body


def test_people_list_scope(world, client_for):
    body = client_for(world.principal2).get(reverse("ims:user_list")).content.decode()
    assert world.teacher.full_name not in body
    body = client_for(world.principal).get(reverse("ims:user_list")).content.decode()
    assert world.teacher.full_name in body


def test_anonymous_is_sent_to_login(world, client):
    response = client.get(reverse("ims:unit_list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_unit_list_query_count_is_flat(world, client_for, django_assert_max_num_queries):
    c = client_for(world.director)
    c.get(reverse("ims:unit_list"))
    for i in range(40):
        MembershipFactory(unit=UnitFactory(code=f"X{i}", parent=world.commune))
    with django_assert_max_num_queries(12):
        response = c.get(reverse("ims:unit_list"))
    assert response.status_code == 200


def test_moving_a_unit_uses_the_parents_current_path_not_a_stale_copy(world):
    stale_commune = OrgUnit.objects.get(pk=world.commune.pk)
    world.commune.parent = world.division
    world.commune.save()
    world.school.refresh_from_db()
    assert world.school.path.startswith(world.division.path)
    # A second object loaded before the move still points at the old path of XA1.
    orphan = OrgUnit(
        code="NEW", name="Điểm trường mới", kind=world.school.kind, parent=stale_commune
    )
    orphan.save()
    assert orphan.path.startswith(OrgUnit.objects.get(pk=world.commune.pk).path)
    assert OrgUnit.objects.subtree_of(world.division).filter(pk=orphan.pk).exists()


def test_saving_with_update_fields_keeps_search_text_current(world):
    world.school.name = "Trường Tiểu học Quyết Thắng"
    world.school.save(update_fields=["name"])
    assert OrgUnit.objects.get(pk=world.school.pk).search_text == fold_join(
        world.school.code, "Trường Tiểu học Quyết Thắng", world.school.name_en
    )
