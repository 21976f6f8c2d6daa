"""Two publishes at the same moment leave exactly one effective revision (PostgreSQL, threads)."""

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from documents import services
from documents.models import Revision, RevisionStatus
from ims.models import Signature
from ims.signatures import sign
from tests.conftest import build_world
from tests.documents.factories import draft_of, make_document, pdf_upload

pytestmark = pytest.mark.django_db(transaction=True)


def _approved(revision, world):
    services.revision_submit(revision, actor=revision.author)
    for reviewer in revision.reviewers.all():
        services.revision_review(revision, actor=reviewer, password="demo")
    services.revision_approve(revision, actor=world.director, password="demo")
    return Revision.objects.get(pk=revision.pk)


def _race(*jobs):
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait()
            job()
            results[i] = "ok"
        except Exception as error:  # noqa: BLE001 — the losing thread's error is the result
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real row locks between threads")


def test_same_revision_published_twice_at_once(postgres):
    world = build_world()
    revision = _approved(draft_of(make_document(world)), world)
    publish = lambda: services.revision_publish(revision, actor=world.director, password="demo")  # noqa: E731
    results = _race(publish, publish)
    assert sorted(map(str, results)).count("ok") == 1
    assert Revision.objects.filter(status=RevisionStatus.EFFECTIVE).count() == 1


def test_two_revisions_published_at_once_leave_one_effective(postgres):
    world = build_world()
    document = make_document(world)
    first = _approved(draft_of(document), world)
    # A second approved revision next to the first (as after a data migration): both race.
    second = Revision.objects.create(
        document=document,
        number=2,
        status=RevisionStatus.APPROVED,
        change_summary="Lần 2",
        author=world.iso,
        approver=world.director,
        file=first.file.name,
        file_name=first.file_name,
        file_kind="pdf",
        file_size=first.file_size,
        sha256=first.sha256,
    )
    # ...with its approval signature, which publishing checks.
    sign(second, signer=world.director, password="demo", meaning=Signature.Meaning.APPROVED)
    results = _race(
        lambda: services.revision_publish(first, actor=world.director, password="demo"),
        lambda: services.revision_publish(second, actor=world.director, password="demo"),
    )
    assert results == ["ok", "ok"]
    statuses = sorted(Revision.objects.filter(document=document).values_list("status", flat=True))
    assert statuses == ["effective", "superseded"]
    document.refresh_from_db()
    assert document.effective_revision.status == RevisionStatus.EFFECTIVE


def test_database_refuses_a_second_effective_revision():
    world = build_world()
    document = make_document(world)
    first = draft_of(document)
    from tests.documents.factories import publish

    publish(first)
    second = services.revision_create(
        document,
        actor=world.iso,
        upload=pdf_upload(),
        change_summary="Lần 2",
        reviewers=[world.head],
        approver=world.director,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Revision.objects.filter(pk=second.pk).update(
            status=RevisionStatus.EFFECTIVE, effective_date=first.effective_date
        )
