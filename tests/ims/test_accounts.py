"""Accounts are deactivated and reactivated by those who manage them, never deleted; people set
their own language and email delivery."""

from django.urls import reverse

from ims.models import User
from ims.transitions import history_of


def test_director_deactivates_a_teacher_with_a_reason(world, client_for):
    client = client_for(world.director)
    response = client.post(
        reverse("ims:user_deactivate", args=[world.teacher.pk]), {"reason": "Chuyển công tác"}
    )
    assert response.status_code == 302
    teacher = User.objects.get(pk=world.teacher.pk)
    assert not teacher.is_active and teacher.deactivated_at is not None
    [event] = history_of(teacher)
    assert event.actor == world.director and event.reason == "Chuyển công tác"
    page = client.get(reverse("ims:user_detail", args=[teacher.pk])).content.decode()
    assert "Chuyển công tác" in page and 'data-testid="reactivate"' in page
    assert "Đang hoạt động → Đã vô hiệu hóa" in page


def test_deactivation_without_a_reason_changes_nothing(world, client_for):
    client = client_for(world.director)
    response = client.post(
        reverse("ims:user_deactivate", args=[world.teacher.pk]), {"reason": " "}, follow=True
    )
    assert "Hãy nêu lý do" in response.content.decode()
    assert User.objects.get(pk=world.teacher.pk).is_active


def test_reactivated_account_can_sign_in_again(world, client_for, client):
    director = client_for(world.director)
    director.post(reverse("ims:user_deactivate", args=[world.teacher.pk]), {"reason": "Nghỉ"})
    director.post(reverse("ims:user_reactivate", args=[world.teacher.pk]), {"reason": "Trở lại"})
    response = client.post(reverse("login"), {"username": "teacher", "password": "demo"})
    assert response.status_code == 302
    assert User.objects.get(pk=world.teacher.pk).deactivated_at is None


def test_principal_cannot_deactivate_their_teacher(world, client_for):
    response = client_for(world.principal).post(
        reverse("ims:user_deactivate", args=[world.teacher.pk]), {"reason": "x"}
    )
    assert response.status_code == 403
    assert User.objects.get(pk=world.teacher.pk).is_active


def test_outsider_gets_404(world, client_for):
    client = client_for(world.principal2)
    assert client.get(reverse("ims:user_detail", args=[world.teacher.pk])).status_code == 404
    response = client.post(reverse("ims:user_deactivate", args=[world.teacher.pk]), {"reason": "x"})
    assert response.status_code == 404
    assert User.objects.get(pk=world.teacher.pk).is_active


def test_nobody_deactivates_themselves(world, client_for):
    response = client_for(world.director).post(
        reverse("ims:user_deactivate", args=[world.director.pk]), {"reason": "x"}
    )
    assert response.status_code == 403


def test_member_sees_no_account_controls(world, client_for):
    page = client_for(world.principal).get(reverse("ims:user_detail", args=[world.teacher.pk]))
    assert page.status_code == 200 and 'data-testid="deactivate"' not in page.content.decode()


def test_people_list_can_show_deactivated_accounts(world, client_for):
    User.objects.filter(pk=world.teacher.pk).update(is_active=False)
    client = client_for(world.director)
    assert world.teacher.username not in client.get(reverse("ims:user_list")).content.decode()
    listed = client.get(reverse("ims:user_list"), {"status": "deactivated"}).content.decode()
    assert world.teacher.username in listed


def test_person_chooses_digest_and_english(world, client_for):
    client = client_for(world.teacher)
    response = client.post(
        reverse("ims:profile"),
        {"full_name": "Lò Văn Giáo", "phone": "", "language": "en", "email_delivery": "digest"},
    )
    assert response.status_code == 302
    teacher = User.objects.get(pk=world.teacher.pk)
    assert (teacher.language, teacher.email_delivery) == ("en", "digest")
    assert "My settings" in client.get(reverse("ims:profile")).content.decode()


def test_bad_profile_input_changes_nothing(world, client_for):
    client = client_for(world.teacher)
    response = client.post(
        reverse("ims:profile"), {"full_name": "x", "language": "klingon", "email_delivery": "fax"}
    )
    assert response.status_code == 200
    teacher = User.objects.get(pk=world.teacher.pk)
    assert teacher.language == "vi" and teacher.full_name != "x"


def test_reactivation_needs_a_reason_too(world, client_for):
    from ims.models import User as U

    U.objects.filter(pk=world.teacher.pk).update(is_active=False)
    client_for(world.director).post(reverse("ims:user_reactivate", args=[world.teacher.pk]))
    assert not U.objects.get(pk=world.teacher.pk).is_active


def test_a_too_long_reason_is_refused_with_its_own_message(world, client_for):
    response = client_for(world.director).post(
        reverse("ims:user_deactivate", args=[world.teacher.pk]), {"reason": "x" * 600}, follow=True
    )
    assert "500" in response.content.decode()
    assert User.objects.get(pk=world.teacher.pk).is_active


def test_a_manager_cannot_deactivate_a_peer_manager(world, client_for):
    response = client_for(world.iso).post(
        reverse("ims:user_deactivate", args=[world.director.pk]), {"reason": "x"}
    )
    assert response.status_code == 403
    assert User.objects.get(pk=world.director.pk).is_active


def test_a_manager_cannot_change_someone_who_also_works_elsewhere(world, client_for):
    from ims.models import Role
    from tests.factories import MembershipFactory, UserFactory

    commune_manager = UserFactory(username="xa1.iso")
    MembershipFactory(user=commune_manager, unit=world.commune, role=Role.QUALITY_MANAGER)
    MembershipFactory(user=world.teacher, unit=world.school2, role=Role.STAFF)
    response = client_for(commune_manager).post(
        reverse("ims:user_deactivate", args=[world.teacher.pk]), {"reason": "x"}
    )
    assert response.status_code in {403, 404}
    assert User.objects.get(pk=world.teacher.pk).is_active
    MembershipFactory(user=commune_manager, unit=world.commune2, role=Role.QUALITY_MANAGER)
    client_for(commune_manager).post(
        reverse("ims:user_deactivate", args=[world.teacher.pk]), {"reason": "x"}
    )
    assert not User.objects.get(pk=world.teacher.pk).is_active


def test_staff_accounts_are_changed_by_administrators_only(world, client_for):
    User.objects.filter(pk=world.teacher.pk).update(is_staff=True)
    response = client_for(world.director).post(
        reverse("ims:user_deactivate", args=[world.teacher.pk]), {"reason": "x"}
    )
    assert response.status_code == 403
