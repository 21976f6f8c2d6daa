"""The benchmark's baseline view: unreachable unless BENCH_BASELINES is on, and as bare as it
claims (no query)."""

import importlib

import pytest
from django.test import RequestFactory
from django.urls import clear_url_caches

from scale import urls as scale_urls
from scale import views


@pytest.mark.django_db
def test_baselines_are_not_routed_by_default(client):
    assert client.get("/_bench/bare/").status_code == 404


def test_baselines_follow_the_setting(settings, monkeypatch):
    monkeypatch.delenv("BENCH_BASELINES", raising=False)
    settings.BENCH_BASELINES = True
    try:
        assert len(importlib.reload(scale_urls).urlpatterns) == 1
        settings.BENCH_BASELINES = False
        assert importlib.reload(scale_urls).urlpatterns == []
        del settings.BENCH_BASELINES
        monkeypatch.setenv("BENCH_BASELINES", "true")
        assert len(importlib.reload(scale_urls).urlpatterns) == 1
    finally:
        monkeypatch.delenv("BENCH_BASELINES", raising=False)
        importlib.reload(scale_urls)
        clear_url_caches()


@pytest.mark.django_db
def test_bare_view_runs_no_query(django_assert_num_queries):
    request = RequestFactory().get("/_bench/bare/")
    with django_assert_num_queries(0):
        response = views.bare(request)
    assert response.status_code == 200
