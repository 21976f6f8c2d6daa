"""Sign-in: wrong credentials, the (username, address) lockout, Vietnamese by default."""

from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from ims.models import User


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_wrong_credentials_show_clear_vietnamese_message(world, client):
    response = _login(client, "director", "nope")
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.content.decode()
    assert "_auth_user_id" not in client.session


def _locked(response):
    form = response.context["form"]
    return form.has_error("__all__", code="locked")


def test_failed_logins_lock_out_after_configured_count(world, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        assert not _locked(_login(client, "director", "bad"))
    assert _locked(_login(client, "director", "bad"))
    # Even the right password is refused while paused.
    response = _login(client, "director", "demo")
    assert "_auth_user_id" not in client.session
    assert _locked(response)
    assert AccessAttempt.objects.get(username="director").failures_since_start == 3


def test_lock_expires(world, client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        _login(client, "director", "bad")
    assert _locked(_login(client, "director", "demo"))
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME)
    response = _login(client, "director", "demo")
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="director").exists()


def test_success_resets_failure_count(world, client):
    _login(client, "director", "bad")
    assert AccessAttempt.objects.get(username="director").failures_since_start == 1
    _login(client, "director", "demo")
    assert not AccessAttempt.objects.filter(username="director").exists()


def test_many_unknown_usernames_from_one_address_lock_no_real_account(world, client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for i in range(8):
        _login(client, f"ghost{i}", "x")
    response = _login(client, "director", "demo")
    assert response.status_code == 302


def test_login_page_is_vietnamese_even_for_english_browsers(db, client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    body = response.content.decode()
    assert '<html lang="vi">' in body
    assert "Đăng nhập" in body


def test_deactivated_user_cannot_sign_in(world, client):
    world.teacher.is_active = False
    world.teacher.save()
    _login(client, "teacher", "demo")
    assert "_auth_user_id" not in client.session


def test_users_are_never_deleted(world):
    import pytest
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        world.teacher.delete()
    with pytest.raises(PermissionDenied):
        User.objects.filter(username="teacher").delete()


def test_usernames_are_unique_ignoring_case(world):
    import pytest
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="TEACHER")


def test_password_reset_sends_email(world, client, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": world.teacher.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body


def test_admin_sign_in_is_locked_out_too(world, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    User.objects.filter(pk=world.director.pk).update(is_staff=True)
    for _ in range(3):
        client.post("/admin/login/", {"username": "director", "password": "bad"})
    response = client.post("/admin/login/", {"username": "director", "password": "demo"})
    assert "_auth_user_id" not in client.session
    assert _locked(response)


def test_admin_sign_in_refuses_non_staff(world, client):
    client.post("/admin/login/", {"username": "teacher", "password": "demo"})
    assert "_auth_user_id" not in client.session


def test_imported_account_without_password_can_reset_by_email(world, client, mailoutbox):
    from ims.imports import import_users

    data = b"username,full_name,email,unit_code,role\ngv.moi,Lo Thi Moi,moi@example.vn,TH1,staff\n"
    assert import_users(data, user=world.iso, dry_run=False).applied
    client.post(reverse("password_reset"), {"email": "moi@example.vn"})
    assert len(mailoutbox) == 1 and "/accounts/reset/" in mailoutbox[0].body


def test_wrong_passwords_for_a_real_account_do_not_lock_the_whole_school(world, client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(8):
        _login(client, "teacher", "typo")
    response = _login(client, "principal", "demo")
    assert response.status_code == 302


def test_guessing_one_password_across_many_accounts_counts_each_pair(world, client, settings):
    """Spraying one password over many names from one address: each (name, address) pair holds
    its own count, and no real account at that address is paused for it."""
    from tests.factories import UserFactory

    settings.AXES_FAILURE_LIMIT = 2
    for i in range(8):
        UserFactory(username=f"gv{i}")
        _login(client, f"gv{i}", "Password1")
    assert set(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == {1}
    assert _login(client, "director", "demo").status_code == 302
