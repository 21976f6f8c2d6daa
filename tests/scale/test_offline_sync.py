"""bench/offline_sync.py, kept from rotting: a few offline→online cycles of its simulated device
against the live server, connections cut, nothing lost or doubled; and its comparison with the
database calls lost and duplicated what is."""

import importlib.util
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from audits.models import Audit, ChecklistItem, Finding, FindingEvidence
from ims.tokens import api_token_create
from tests.audits.factories import make_audit
from tests.conftest import build_world

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("offline_sync", ROOT / "bench" / "offline_sync.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token(settings, tmp_path):
    """The auditor's token, on an audit in progress today with a checklist of three items."""
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world()
    today = timezone.localdate()
    audit = make_audit(
        world,
        status=Audit.Status.IN_PROGRESS,
        planned_start=today,
        planned_end=today + timedelta(days=1),
    )
    for order, clause in enumerate(audit.clauses.all()):
        item = ChecklistItem.objects.create(
            audit=audit, key=f"clause:{clause.pk}", clause=clause, question="?", order=order
        )
        item.clauses.add(clause)
    return api_token_create(actor=world.auditor, name="stress")[1]


def run(live_server, token, tmp_path, *, cycles, cut_rate, seed=3):
    device = tmp_path / "device"
    data, stats = bench.run_cycles(
        live_server.url,
        token,
        cycles=cycles,
        outbox_dir=device,
        seed=seed,
        chunk=16 * 1024,
        cut_rate=cut_rate,
    )
    return data, stats, device


def test_three_cycles_with_cut_connections_lose_and_duplicate_nothing(live_server, token, tmp_path):
    data, stats, device = run(live_server, token, tmp_path, cycles=3, cut_rate=0.4)
    result = bench.compare(data, bench.photo_sizes(device))
    assert (result["lost"], result["duplicated"], result["unsent"]) == (0, 0, 0), result
    # It did cut, in each of its ways, and the server holds exactly what the device recorded.
    assert set(stats["cuts"]) == set(bench.CUTS) and min(stats["cuts"].values()) > 0
    assert Finding.objects.count() == result["findings"] >= 6
    photos = FindingEvidence.objects.filter(kind=FindingEvidence.Kind.PHOTO).count()
    assert photos == result["photos"] >= 6
    assert result["checklist_answers"] >= 3


def test_comparison_counts_a_missing_photo_and_answer_lost_and_an_extra_note_duplicated(
    live_server, token, tmp_path
):
    data, _stats, device = run(live_server, token, tmp_path, cycles=1, cut_rate=0)
    sizes = bench.photo_sizes(device)
    assert bench.compare(data, sizes)["lost"] == 0
    finding = Finding.objects.get(pk=next(iter(data["findings"])))
    FindingEvidence.objects.create(
        finding=finding,
        kind="note",
        text=data["findings"][str(finding.pk)]["body"]["notes"][0],
        created_by=finding.created_by,
    )
    result = bench.compare(data, sizes)
    assert (result["lost"], result["duplicated"]) == (0, 1)
    FindingEvidence.objects.filter(kind=FindingEvidence.Kind.PHOTO).first().delete()
    ChecklistItem.objects.filter(pk=int(data["answered"][0])).update(note="")
    result = bench.compare(data, sizes)
    assert (result["lost"], result["duplicated"]) == (2, 1)
    Finding.objects.filter(pk=finding.pk).update(statement=finding.statement + " ")
    assert bench.compare(data, sizes)["lost"] == 3
