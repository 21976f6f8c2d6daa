"""Words that one catalogue must not steal from another (Django uses the first translation of a
msgid it finds: the project's locale/ first, then the apps in INSTALLED_APPS order)."""

from django.template import Context, Template
from django.utils import translation

from documents.models import RevisionStatus
from surveys.models import Campaign


def test_statuses_read_as_states_not_as_actions():
    with translation.override("vi"):
        assert str(RevisionStatus.APPROVED.label) == "Đã phê duyệt"  # not the verb "Phê duyệt"


def test_an_open_campaign_has_one_word_in_the_filter_and_in_the_list():
    badge = Template('{% include "surveys/partials/phase.html" %}')
    campaign = Campaign(status=Campaign.Status.PUBLISHED, opens_on=None, closes_on=None)
    campaign.phase = lambda today=None: "open"
    with translation.override("vi"):
        shown = badge.render(Context({"campaign": campaign}))
        assert str(Campaign.Status.PUBLISHED.label) == "Đang mở"
    assert ">Đang mở</span>" in shown
