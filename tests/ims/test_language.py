from django.urls import reverse

from ims.models import User


def test_switching_language_changes_interface_and_profile(world, client_for):
    client = client_for(world.director)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/notifications/"})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert User.objects.get(pk=world.director.pk).language == "en"
    assert "Notifications" in client.get("/notifications/").content.decode()


def test_unknown_language_code_changes_nothing_and_says_so(world, client_for):
    client = client_for(world.director)
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"}, follow=True)
    assert User.objects.get(pk=world.director.pk).language == "vi"
    assert "Ngôn ngữ này chưa được hỗ trợ" in response.content.decode()


def test_lao_is_available_for_navigation(world, client_for):
    client = client_for(world.director)
    client.post(reverse("set_language"), {"language": "lo"})
    body = client.get("/", follow=True).content.decode()
    assert '<html lang="lo">' in body
    assert "ການແຈ້ງເຕືອນ" in body  # "Notifications" in Lao


def test_anonymous_language_choice_is_kept_in_cookie(db, client):
    client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert "Sign in" in client.get(reverse("login")).content.decode()


def test_open_redirect_is_refused(world, client_for):
    response = client_for(world.director).post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
