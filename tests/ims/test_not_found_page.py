"""A 404 never shows Django's debug page, which lists every URL pattern, even with DEBUG on."""

import pytest

TECHNICAL = "Using the URLconf defined in"


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_unknown_url_shows_the_sites_own_404(client, settings, debug):
    settings.DEBUG = debug
    response = client.get("/no-such-page/anywhere/")
    assert response.status_code == 404
    assert TECHNICAL not in response.content.decode()
    assert "admin/" not in response.content.decode()
    assert "404.html" in [t.name for t in response.templates]


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_missing_object_shows_the_sites_own_404(client, settings, world, debug):
    settings.DEBUG = debug
    client.force_login(world.director)
    response = client.get("/org/987654321/")
    assert response.status_code == 404
    assert TECHNICAL not in response.content.decode()
    assert "404.html" in [t.name for t in response.templates]


@pytest.mark.django_db
def test_a_missing_slash_still_redirects_with_debug_on(client, settings, world):
    settings.DEBUG = True
    client.force_login(world.director)
    response = client.get("/org")
    assert response.status_code == 301 and response["Location"] == "/org/"
