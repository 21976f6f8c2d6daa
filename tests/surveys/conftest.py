import pytest


@pytest.fixture(autouse=True)
def _quick_answers(settings):
    """Tests answer faster than a person could; the minimum time is tested on its own."""
    settings.SURVEY_MIN_SECONDS = 0
