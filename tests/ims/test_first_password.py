"""People imported without an e-mail sign in with a first password their manager gives, and
must choose their own at that first sign-in."""

import pytest
from django.urls import reverse

from ims.imports import import_users
from ims.models import TransitionEvent, User

pytestmark = pytest.mark.django_db

FIRST = "Ban-Chieng-Mung-2026"


@pytest.fixture
def imported(world):
    data = f"username,full_name,unit_code,role\nlo.thi.c,Lò Thị C,{world.school.code},staff\n"
    assert import_users(data.encode(), user=world.director, dry_run=False).applied
    person = User.objects.get(username="lo.thi.c")
    assert not person.email and not person.has_usable_password()
    return person


def give(client, person, password=FIRST):
    return client.post(
        reverse("ims:user_first_password", args=[person.pk]),
        {"new_password1": password, "new_password2": password},
    )


def test_manager_gives_a_first_password_that_must_be_changed(client_for, client, world, imported):
    assert give(client_for(world.director), imported).status_code == 302
    imported.refresh_from_db()
    assert imported.check_password(FIRST) and imported.must_change_password
    assert TransitionEvent.objects.filter(object_id=str(imported.pk), action="first_password")

    signed_in = client.post(reverse("login"), {"username": "lo.thi.c", "password": FIRST})
    assert signed_in.status_code == 302
    for url in [reverse("home"), reverse("ims:notification_list"), "/documents/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("password_change")
    assert client.get(reverse("password_change")).status_code == 200

    own = "Mat-khau-cua-toi-77"
    changed = client.post(
        reverse("password_change"),
        {"old_password": FIRST, "new_password1": own, "new_password2": own},
    )
    assert changed.status_code == 302
    imported.refresh_from_db()
    assert not imported.must_change_password and imported.check_password(own)
    assert client.get(reverse("ims:notification_list")).status_code == 200


def test_member_and_outsider_cannot_give_a_password(client_for, world, imported):
    assert give(client_for(world.teacher), imported).status_code in {403, 404}
    assert give(client_for(world.principal2), imported).status_code == 404
    imported.refresh_from_db()
    assert not imported.has_usable_password() and not imported.must_change_password


def test_no_first_password_for_someone_who_resets_their_own(client_for, world):
    teacher = world.teacher  # has an e-mail address
    User.objects.filter(pk=teacher.pk).update(last_login="2026-01-05T08:00:00Z")
    assert give(client_for(world.director), teacher).status_code == 302
    teacher.refresh_from_db()
    assert teacher.check_password("demo") and not teacher.must_change_password


def test_a_weak_first_password_is_refused(client_for, world, imported):
    assert give(client_for(world.director), imported, password="123").status_code == 302
    imported.refresh_from_db()
    assert not imported.has_usable_password()
