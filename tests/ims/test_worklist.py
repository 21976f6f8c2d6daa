"""The task list ("Việc của tôi", /tasks/): the core registry, ordering, the page, its cost."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ims import worklist
from ims.models import Notification
from ims.worklist import MAX_QUERIES, WorkItem

pytestmark = pytest.mark.django_db
URL = reverse("ims:tasks")


@pytest.fixture
def only(monkeypatch):
    """``only(**providers)``: the registry holds just these providers for the test."""

    def install(**providers):
        monkeypatch.setattr(worklist, "_providers", dict(providers))

    return install


def test_apps_register_their_providers_with_the_core():
    assert {"documents", "nonconformities", "audits", "surveys"} <= set(worklist.providers())


def test_overdue_first_then_by_due_date_undated_last(world, only):
    today = timezone.localdate()

    def provider(user, day):
        yield WorkItem("x.undated", "Không hạn", "/a/")
        yield WorkItem("x.later", "Hạn sau", "/b/", due=today + timedelta(days=9))
        yield WorkItem("x.late", "Quá hạn lâu", "/c/", due=today - timedelta(days=9))
        yield WorkItem("x.soon", "Hạn gần", "/d/", due=today + timedelta(days=1))
        yield WorkItem("x.late2", "Quá hạn", "/e/", due=today - timedelta(days=1))

    only(dummy=provider)
    items = worklist.collect(world.teacher, today)
    assert [i.title for i in items] == ["Quá hạn lâu", "Quá hạn", "Hạn gần", "Hạn sau", "Không hạn"]
    assert [i.overdue for i in items] == [True, True, False, False, False]


def test_a_provider_may_say_an_item_is_not_overdue_and_it_comes_after_overdue_ones(world, only):
    today = timezone.localdate()
    only(
        dummy=lambda u, d: [
            WorkItem("x", "Để biết", "/", due=today - timedelta(days=3), overdue=False),
            WorkItem("x", "Quá hạn", "/", due=today - timedelta(days=1)),
        ]
    )
    items = worklist.collect(world.teacher, today)
    assert [(i.title, i.overdue) for i in items] == [("Quá hạn", True), ("Để biết", False)]


def test_nobody_signed_in_has_no_tasks(only):
    from django.contrib.auth.models import AnonymousUser

    only(dummy=lambda u, d: [WorkItem("x", "T", "/")])
    assert worklist.collect(AnonymousUser()) == []


def test_the_page_lists_each_item_with_its_link_unit_due_date_and_kind(world, client_for, only):
    worklist.register_kind("test.kind", "Việc thử", order=999)
    due = timezone.localdate() - timedelta(days=2)
    only(dummy=lambda u, d: [WorkItem("test.kind", "Việc A", "/org/", unit="TH1", due=due)])
    body = client_for(world.teacher).get(URL).content.decode()
    assert 'href="/org/"' in body and "Việc A" in body and "TH1" in body
    assert due.strftime("%d/%m/%Y") in body
    assert "Việc thử" in body
    assert 'class="card task overdue"' in body


def test_counts_per_kind_and_the_kind_filter(world, client_for, only):
    def provider(user, day):
        yield from [WorkItem("k.one", f"Một {i}", "/") for i in range(3)]
        yield WorkItem("k.two", "Hai", "/")

    only(dummy=provider)
    response = client_for(world.teacher).get(URL)
    assert {key: n for key, _label, n in response.context["per_kind"]} == {"k.one": 3, "k.two": 1}
    response = client_for(world.teacher).get(URL, {"kind": "k.two"})
    assert [i.title for i in response.context["items"]] == ["Hai"]
    # An unknown kind shows everything rather than an empty page.
    response = client_for(world.teacher).get(URL, {"kind": "nope"})
    assert len(response.context["items"]) == 4


def test_empty_state_says_nothing_is_waiting(world, client_for, only):
    only()
    response = client_for(world.teacher).get(URL)
    assert 'data-testid="no-tasks"' in response.content.decode()


def test_each_user_sees_only_their_own_items(world, client_for, only):
    only(dummy=lambda u, d: [WorkItem("k", f"Của {u.username}", "/")])
    body = client_for(world.principal2).get(URL).content.decode()
    assert "Của principal2" in body and "Của principal" + "<" not in body


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _many_rows(world, n):
    """``n`` items of every real kind waiting for ``world.principal``."""
    from documents import services
    from documents.models import Distribution
    from nonconformities.models import CorrectiveAction, Nonconformity
    from tests.audits.factories import make_audit
    from tests.documents.factories import bulk_documents, draft_of, make_document
    from tests.nonconformities.factories import raise_nc
    from tests.surveys.factories import make_campaign, submit

    for document in bulk_documents(world, n, unit=world.school, prefix=f"Q{n}"):
        Distribution.objects.create(
            revision=document.effective_revision, user=world.principal, created_by=world.iso
        )
    for i in range(n):
        nc = raise_nc(world.iso, world.school, title=f"NC {n}-{i}")
        CorrectiveAction.objects.create(
            nonconformity=nc,
            description=f"Hành động {i}",
            owner=world.principal,
            due=timezone.localdate() + timedelta(days=i),
            created_by=world.iso,
        )
        Nonconformity.objects.filter(pk=nc.pk).update(
            status=Nonconformity.Status.IN_ACTION, containment="Đã khắc phục.", root_cause="Thiếu."
        )
    for i in range(n):  # in review: one to review, one to approve (every review signed)
        to_review = make_document(world, code=f"R{n}-{i}", reviewers=[world.principal])
        services.revision_submit(draft_of(to_review), actor=world.iso)
        to_approve = make_document(
            world,
            unit=world.school,
            owner=world.teacher,
            code=f"A{n}-{i}",
            reviewers=[world.head],
            approver=world.principal,
        )
        services.revision_submit(draft_of(to_approve), actor=world.teacher)
        services.revision_review(draft_of(to_approve), actor=world.head, password="demo")
    campaign = make_campaign(world, units=[world.school], title=f"Khảo sát {n}")
    submit(campaign, world.school, n=5, likert=1)
    for i in range(n):
        audit = make_audit(world, code=f"DG-{n}-{i}", team=False)
        audit.team.create(user=world.principal, role="auditor", added_by=world.iso)


def _page_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries), response


def test_the_page_answers_in_at_most_20_queries_however_many_items_and_providers(
    world, client_for, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    from ims.models import User

    # Two more providers, each one bounded query, as later modules would add.
    def bounded(user, today):
        for pk in User.objects.filter(pk=user.pk).values_list("pk", flat=True):
            yield WorkItem("dummy", f"Dummy {pk}", "/")

    for i in range(2):
        monkeypatch.setitem(worklist._providers, f"dummy{i}", bounded)
    client = client_for(world.principal)
    _many_rows(world, 2)
    _page_queries(client)  # the first request of a session writes it once
    few, response = _page_queries(client)
    few_items = response.context["total"]
    _many_rows(world, 25)
    # The first read after new survey responses refreshes their released figures once, in a
    # bounded number of queries (surveys.results.releases); the steady page is measured.
    due, _response = _page_queries(client)
    assert due <= few + 8
    many, response = _page_queries(client)
    kinds = {key for key, _label, _n in response.context["per_kind"]}
    assert {"documents.review", "documents.approve", "surveys.low_result"} <= kinds
    assert response.context["total"] > few_items + 110
    assert many == few, "the page's query count grows with its rows"
    assert many <= MAX_QUERIES == 20


def test_opening_the_page_of_a_notification_marks_it_read(world, client_for):
    # (the bell's own tests are in test_notification_bell.py; the task list page is one page)
    Notification.objects.create(user=world.teacher, title="x", url=URL)
    client_for(world.teacher).get(URL)
    assert not Notification.objects.filter(user=world.teacher, read_at__isnull=True).exists()
