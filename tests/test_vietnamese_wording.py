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


def test_each_record_has_its_own_word_for_title_and_number():
    from django.template import Template as T

    from documents.register import EXPORT_HEADERS
    from nonconformities.forms import ActionForm, RaiseForm
    from surveys.forms import CampaignForm
    from surveys.models import QuestionKind

    with translation.override("vi"):
        assert str(RaiseForm.base_fields["title"].label) == "Tiêu đề"  # not "Tên tài liệu"
        assert str(CampaignForm.base_fields["title"].label) == "Tên đợt khảo sát"
        assert str(ActionForm.base_fields["owner"].label) == "Người thực hiện"
        assert str(QuestionKind.NUMBER.label) == "Số"  # a number, not a document's "Số, ký hiệu"
        nc_header = T('{% load i18n %}{% translate "Number" context "nonconformity" %}').render(
            Context()
        )
        doc_header = T('{% load i18n %}{% translate "Title" context "document" %}').render(
            Context()
        )
        exported = [str(h) for h in EXPORT_HEADERS]
    assert (nc_header, doc_header) == ("Số hiệu", "Tên tài liệu")
    assert "Tên tài liệu" in exported and "Số, ký hiệu" in exported
