import pytest


@pytest.fixture(autouse=True)
def _survey_urls(settings):
    """Serve ``/s/`` from a test urlconf until ``ims/urls.py`` includes ``surveys.public_urls``."""
    settings.ROOT_URLCONF = "tests.surveys.urls"
    settings.SURVEY_MIN_SECONDS = 0
