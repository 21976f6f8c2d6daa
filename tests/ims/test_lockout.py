"""The lockout cannot be turned against users: failures count per username and
client address, behind the production proxy as well, on every form that takes a password."""

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from ims.models import Signature
from ims.proxies import client_address
from ims.signatures import SignatureError, sign

PROXY = "10.0.0.2"  # the TLS proxy: every request reaches the app from this address
ADDRESS_A = "203.0.113.10"
ADDRESS_B = "198.51.100.20"


@pytest.fixture
def behind_proxy(settings):
    """Production: one trusted proxy that appends the client's address to X-Forwarded-For."""
    settings.TRUSTED_PROXIES = 1
    settings.AXES_FAILURE_LIMIT = 5


def from_address(address):
    """A browser at ``address``, seen through the proxy (the client wrote a fake entry first)."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {address}")


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def signed_in(client):
    return "_auth_user_id" in client.session


def test_twenty_made_up_names_from_one_address_do_not_lock_a_real_account(world, behind_proxy):
    browser = from_address(ADDRESS_A)
    for i in range(20):
        assert login(browser, f"made-up-{i}", "guess").status_code == 200
    assert login(browser, "director", "demo").status_code == 302
    assert signed_in(browser)


def test_a_name_paused_at_address_a_signs_in_from_address_b(world, behind_proxy):
    at_a = from_address(ADDRESS_A)
    for _ in range(5):
        login(at_a, "director", "wrong")
    login(at_a, "director", "demo")
    assert not signed_in(at_a)  # paused from A, right password or not
    at_b = from_address(ADDRESS_B)
    assert login(at_b, "director", "demo").status_code == 302
    assert signed_in(at_b)


def test_a_right_password_signs_in_where_others_failed(world, behind_proxy):
    """A school shares one address: a colleague's typos pause only the colleague."""
    browser = from_address(ADDRESS_A)
    for _ in range(5):
        login(browser, "teacher", "typo")
    assert login(browser, "principal", "demo").status_code == 302


def test_pause_messages_do_not_tell_whether_a_username_exists(world, behind_proxy):
    browser = from_address(ADDRESS_A)
    answers = {}
    for username in ("director", "nobody-here"):
        first = login(browser, username, "wrong")
        for _ in range(4):
            last = login(browser, username, "wrong")
        answers[username] = (first.context["form"].errors, last.context["form"].errors)
    assert answers["director"] == answers["nobody-here"]
    assert answers["director"][1]["__all__"].data[0].code == "locked"


def test_failures_while_paused_do_not_prolong_the_pause(world, client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        login(client, "director", "wrong")
    nearly = settings.AXES_COOLOFF_TIME - timezone.timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=timezone.now() - nearly)
    login(client, "director", "still guessing")  # during the pause
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timezone.timedelta(minutes=2))
    assert login(client, "director", "demo").status_code == 302


def test_the_pause_is_short(settings):
    assert settings.AXES_COOLOFF_TIME.total_seconds() <= 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


# --- the one client address -------------------------------------------------------------------


def test_client_address_is_the_connection_without_trusted_proxies(rf, settings):
    settings.TRUSTED_PROXIES = 0
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_address(request) == "127.0.0.1"  # a header anyone can send is not believed


def test_client_address_behind_proxies_ignores_what_the_client_wrote(rf, settings):
    settings.TRUSTED_PROXIES = 1
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.10")
    assert client_address(request) == "203.0.113.10"
    settings.TRUSTED_PROXIES = 2  # an outer proxy, then an inner one that added the outer's
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.10, 10.0.0.1")
    assert client_address(request) == "203.0.113.10"


def test_client_address_falls_back_to_the_connection(rf, settings):
    settings.TRUSTED_PROXIES = 1
    assert client_address(rf.get("/", REMOTE_ADDR=PROXY)) == PROXY
    forged = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="'; DROP TABLE x")
    assert client_address(forged) == PROXY


def test_without_a_trusted_proxy_a_forged_header_does_not_escape_a_pause(world, settings):
    settings.TRUSTED_PROXIES = 0
    settings.AXES_FAILURE_LIMIT = 3
    for i in range(3):
        login(Client(HTTP_X_FORWARDED_FOR=f"192.0.2.{i}"), "director", "wrong")
    browser = Client(HTTP_X_FORWARDED_FOR="192.0.2.99")
    login(browser, "director", "demo")
    assert not signed_in(browser)


# --- password change and signing count too -----------------------------------------------------


def test_wrong_old_passwords_count_towards_the_lockout(world, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client.force_login(world.teacher)
    url = reverse("password_change")
    new = {"new_password1": "Một-mật-khẩu-mới-2026", "new_password2": "Một-mật-khẩu-mới-2026"}
    wrong = [client.post(url, {"old_password": "wrong", **new}) for _ in range(3)]
    paused = client.post(url, {"old_password": "demo", **new})
    assert paused.status_code == 200  # refused although the old password is right
    # The same answer as for a wrong password: nothing tells a pause from a typo.
    assert paused.context["form"].errors == wrong[0].context["form"].errors
    world.teacher.refresh_from_db()
    assert world.teacher.check_password("demo")
    # And it is the sign-in lockout: the login page from this address is paused as well.
    client.logout()
    login(client, "teacher", "demo")
    assert not signed_in(client)


def test_right_old_password_changes_it(world, client):
    client.force_login(world.teacher)
    new = "Một-mật-khẩu-mới-2026"
    response = client.post(
        reverse("password_change"),
        {"old_password": "demo", "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    world.teacher.refresh_from_db()
    assert world.teacher.check_password(new)


@pytest.fixture
def signable(monkeypatch):
    from ims.models import OrgUnit

    monkeypatch.setattr(
        OrgUnit,
        "signature_payload",
        lambda self: {"code": self.code, "name": self.name},
        raising=False,
    )


def test_signing_checks_the_pause_first_and_answers_as_for_a_wrong_password(
    world, rf, settings, signable
):
    settings.TRUSTED_PROXIES = 1
    settings.AXES_FAILURE_LIMIT = 3

    def request_from(address):
        return rf.post("/sign/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address)

    def attempt(password, address=ADDRESS_A):
        with translation.override("en"), pytest.raises(SignatureError) as refused:
            sign(
                world.school,
                signer=world.principal,
                password=password,
                meaning=Signature.Meaning.APPROVED,
                request=request_from(address),
            )
        return refused.value.messages

    wrong = attempt("wrong")
    for _ in range(2):  # the failed sign-ins of the login page count towards the same pause
        login(from_address(ADDRESS_A), "principal", "wrong")
    assert attempt("demo") == wrong  # paused: the right password is not even looked at
    assert Signature.objects.count() == 0
    # From another address the pair is not paused.
    with translation.override("en"):
        sign(
            world.school,
            signer=world.principal,
            password="demo",
            meaning=Signature.Meaning.APPROVED,
            request=request_from(ADDRESS_B),
        )
    assert Signature.objects.count() == 1


# --- password reset -----------------------------------------------------------------------------


def test_password_reset_is_limited_per_address(world, settings, mailoutbox):
    settings.TRUSTED_PROXIES = 1
    settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 2
    at_a = from_address(ADDRESS_A)
    url = reverse("password_reset")
    for user in (world.teacher, world.principal):
        assert at_a.post(url, {"email": user.email}).status_code == 302
    refused = at_a.post(url, {"email": world.director.email})
    assert refused.status_code == 200 and refused.context["form"].has_error("email", "too_many")
    assert len(mailoutbox) == 2
    assert from_address(ADDRESS_B).post(url, {"email": world.director.email}).status_code == 302
    assert len(mailoutbox) == 3


def test_password_reset_is_limited_per_target_whether_or_not_it_exists(world, settings, mailoutbox):
    settings.TRUSTED_PROXIES = 1
    settings.PASSWORD_RESET_PER_EMAIL_PER_HOUR = 2
    url = reverse("password_reset")
    answers = {}
    for email in (world.teacher.email, "nobody@example.vn"):
        statuses = [
            from_address(f"192.0.2.{i}").post(url, {"email": email}).status_code for i in range(3)
        ]
        answers[email] = statuses
    assert answers[world.teacher.email] == answers["nobody@example.vn"] == [302, 302, 200]
    assert len(mailoutbox) == 2


def test_reset_link_is_built_from_site_url_not_the_host_header(world, client, settings, mailoutbox):
    settings.ALLOWED_HOSTS = ["ims.example.edu.vn", "evil.example"]
    settings.SITE_URL = "https://ims.example.edu.vn"
    response = client.post(
        reverse("password_reset"), {"email": world.teacher.email}, HTTP_HOST="evil.example"
    )
    assert response.status_code == 302
    [message] = mailoutbox
    assert "https://ims.example.edu.vn/accounts/reset/" in message.body
    assert "evil.example" not in message.body


def test_admin_unlock_ends_the_pause_of_the_selected_accounts(world, client, settings, rf):
    from django.contrib import admin

    from ims.models import User

    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        login(client, "director", "wrong")
    login(client, "teacher", "wrong")
    model_admin = admin.site._registry[User]
    model_admin.unlock(rf.post("/admin/"), User.objects.filter(username="director"))
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["teacher"]
    assert login(client, "director", "demo").status_code == 302
