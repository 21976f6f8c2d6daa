"""The acknowledgement coverage roll-up stays equal to a from-scratch count after every kind of
change: acknowledge, distribute, remove a distribution, publish (supersede), withdraw,
membership added, ended or moved, account deactivated, unit moved; and the rebuild task."""

import pytest

from documents import coverage, services
from documents.models import CoverageCount, Revision, RevisionStatus
from documents.tasks import rebuild_coverage_task, recount_coverage_task
from ims.accounts import user_deactivate
from ims.models import Membership, Role
from tests.documents.factories import effective_document, pdf_upload, publish
from tests.factories import MembershipFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def reference():
    """{(revision, home unit): (expected, acknowledged)} counted in Python from the rows, by
    the definition in ``documents.coverage`` (independent of its SQL)."""
    memberships = {}
    for m in Membership.objects.filter(is_active=True, user__is_active=True).select_related("unit"):
        memberships.setdefault(m.user_id, []).append(m.unit)
    home = {
        user_id: min(units, key=lambda u: (-u.depth, u.path))
        for user_id, units in memberships.items()
    }
    counts = {}
    for revision in Revision.objects.filter(status=RevisionStatus.EFFECTIVE):
        distributions = list(revision.distributions.select_related("unit"))  # current ones
        acknowledged = set(revision.acknowledgements.values_list("user_id", flat=True))
        readers = set(revision.document.restricted_to.values_list("pk", flat=True))
        for user_id, units in memberships.items():
            if revision.document.confidentiality == "restricted" and user_id not in readers:
                continue  # a restricted document reaches its listed readers only
            reached = any(
                d.user_id == user_id
                or (d.unit_id and any(u.path.startswith(d.unit.path) for u in units))
                for d in distributions
            )
            if not reached:
                continue
            key = (revision.pk, home[user_id].pk)
            expected, done = counts.get(key, (0, 0))
            counts[key] = (expected + 1, done + (user_id in acknowledged))
    return counts


def rollup():
    return {
        (row.revision_id, row.unit_id): (row.expected, row.acknowledged)
        for row in CoverageCount.objects.all()
    }


def assert_correct():
    expected = reference()
    assert coverage.compute() == expected
    assert rollup() == expected


@pytest.fixture
def setup(world, django_capture_on_commit_callbacks):
    """Two documents: QT-A to the first commune's subtree, QT-B to principal2 by name."""
    with django_capture_on_commit_callbacks(execute=True):
        a = effective_document(world, code="QT-A", distribute_to=[world.commune])
        b = effective_document(world, code="QT-B", users=[world.principal2])
    coverage.rebuild()  # the world's people were added before any roll-up existed
    assert_correct()
    return a, b


def test_acknowledging_adds_one_in_the_same_transaction(world, setup):
    a, _b = setup
    revision = a.effective_revision
    before = rollup()[(revision.pk, world.school.pk)]
    services.revision_opened(revision, actor=world.teacher, via="view")
    services.revision_acknowledge(revision, actor=world.teacher)  # no on_commit needed
    assert rollup()[(revision.pk, world.school.pk)] == (before[0], before[1] + 1)
    assert_correct()
    services.revision_acknowledge(revision, actor=world.teacher)  # twice: counted once
    assert_correct()


def test_acknowledging_without_a_row_recounts(world, setup):
    a, _b = setup
    CoverageCount.objects.all().delete()  # a stale roll-up
    services.revision_opened(a.effective_revision, actor=world.principal, via="download")
    services.revision_acknowledge(a.effective_revision, actor=world.principal)
    row = rollup()[(a.effective_revision.pk, world.school.pk)]
    assert row == (2, 1)


def test_distributing_to_a_unit_and_removing_it(world, setup, django_capture_on_commit_callbacks):
    a, _b = setup
    revision = a.effective_revision
    with django_capture_on_commit_callbacks(execute=True):
        services.distribution_add(revision, actor=world.iso, units=[world.commune2])
    assert (revision.pk, world.school2.pk) in rollup()
    assert_correct()
    added = revision.distributions.get(unit=world.commune2)
    with django_capture_on_commit_callbacks(execute=True):
        services.distribution_remove(added, actor=world.iso)
    assert (revision.pk, world.school2.pk) not in rollup()
    assert_correct()


def test_a_new_revision_superseding_takes_over(world, setup, django_capture_on_commit_callbacks):
    a, _b = setup
    old = a.effective_revision
    services.revision_opened(old, actor=world.teacher, via="download")
    services.revision_acknowledge(old, actor=world.teacher)
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.revision_create(
            a,
            actor=world.iso,
            upload=pdf_upload(),
            change_summary="Lần 2",
            reviewers=[world.head],
            approver=world.director,
        )
        publish(draft)
    assert not CoverageCount.objects.filter(revision=old).exists()
    new = Revision.objects.get(document=a, status=RevisionStatus.EFFECTIVE)
    # Same distribution, nobody acknowledged the new revision yet.
    assert rollup()[(new.pk, world.school.pk)] == (2, 0)
    assert_correct()


def test_withdrawing_removes_the_rows(world, setup):
    a, _b = setup
    revision = a.effective_revision
    services.document_withdraw(a, actor=world.iso, reason="Không còn áp dụng")
    assert not CoverageCount.objects.filter(revision=revision).exists()
    assert_correct()


def test_membership_added_and_ended(world, setup, django_capture_on_commit_callbacks):
    a, _b = setup
    newcomer = UserFactory(username="newcomer")
    with django_capture_on_commit_callbacks(execute=True):
        membership = MembershipFactory(user=newcomer, unit=world.school, role=Role.STAFF)
    assert rollup()[(a.effective_revision.pk, world.school.pk)] == (3, 0)
    assert_correct()
    with django_capture_on_commit_callbacks(execute=True):
        membership.is_active = False
        membership.save()
    assert rollup()[(a.effective_revision.pk, world.school.pk)] == (2, 0)
    assert_correct()


def test_a_second_membership_moves_the_home_unit(world, setup, django_capture_on_commit_callbacks):
    """principal2 (school2) also joins the first school's commune office: school2 stays home
    (deeper), but QT-A now reaches them; when they join a deeper unit, home moves there."""
    a, b = setup
    deeper = UnitFactory(code="TO1", parent=world.school)
    with django_capture_on_commit_callbacks(execute=True):
        MembershipFactory(user=world.principal2, unit=world.commune, role=Role.STAFF)
    assert rollup()[(a.effective_revision.pk, world.school2.pk)] == (1, 0)
    assert_correct()
    with django_capture_on_commit_callbacks(execute=True):
        moved = MembershipFactory(user=world.principal2, unit=world.school, role=Role.STAFF)
        moved.unit = deeper
        moved.save()
    assert rollup()[(b.effective_revision.pk, deeper.pk)] == (1, 0)
    assert (b.effective_revision.pk, world.school2.pk) not in rollup()
    assert_correct()
    with django_capture_on_commit_callbacks(execute=True):
        moved.delete()
    assert rollup()[(b.effective_revision.pk, world.school2.pk)] == (1, 0)
    assert_correct()


def test_deactivated_account_no_longer_counts(world, setup, django_capture_on_commit_callbacks):
    a, _b = setup
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(world.director, world.teacher, "Chuyển công tác")
    assert rollup()[(a.effective_revision.pk, world.school.pk)] == (1, 0)
    assert_correct()


def test_signing_in_recounts_nothing(world, setup, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        world.teacher.save(update_fields=["last_login"])
    assert callbacks == []


def test_a_unit_moved_under_another_rebuilds(world, setup, django_capture_on_commit_callbacks):
    a, _b = setup
    with django_capture_on_commit_callbacks(execute=True):
        world.school2.parent = world.commune
        world.school2.save()
    assert (a.effective_revision.pk, world.school2.pk) in rollup()
    assert_correct()


def test_rebuild_task_repairs_any_drift(world, setup):
    a, _b = setup
    CoverageCount.objects.update(expected=99)
    CoverageCount.objects.filter(unit=world.school).delete()
    rebuild_coverage_task()
    assert_correct()
    CoverageCount.objects.all().delete()
    recount_coverage_task([a.effective_revision.pk], [], [])
    assert set(rollup()) == {k for k in reference() if k[0] == a.effective_revision.pk}


def test_only_effective_revisions_have_rows(world, setup):
    a, _b = setup
    services.revision_create(
        a, actor=world.iso, upload=pdf_upload(), change_summary="Lần 2", approver=world.director
    )
    coverage.rebuild()
    assert CoverageCount.objects.exists()
    assert not CoverageCount.objects.exclude(revision__status=RevisionStatus.EFFECTIVE).exists()


def test_rebuild_command_prints_the_rows(world, setup, capsys):
    from django.core.management import call_command

    call_command("rebuild_coverage")
    assert f"{len(reference())} coverage rows" in capsys.readouterr().out
