"""Register, detail, step views and attachments: owner, member with fewer rights, outsider."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ims.files import in_memory
from ims.models import Clause
from nonconformities import services
from nonconformities.models import Attachment, Nonconformity

pytestmark = pytest.mark.django_db
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def detail_url(nc):
    return reverse("nonconformities:detail", args=[nc.pk])


# --- register ----------------------------------------------------------------------------


def test_register_shows_own_units_ncs_only(loop, world, client_for):
    mine = loop.raised(title="Sổ điểm điện tử cập nhật chậm")
    other = services.nonconformity_raise(
        actor=world.principal2,
        unit=world.school2,
        title="Thiếu kế hoạch phòng cháy",
        description="x",
        source="complaint",
    )
    url = reverse("nonconformities:register")
    for user, sees_mine, sees_other in [
        (world.principal, True, False),
        (world.teacher, True, False),
        (world.principal2, False, True),
        (world.director, True, True),
        (world.iso, True, True),
    ]:
        body = client_for(user).get(url).content.decode()
        assert (mine.number in body) is sees_mine, user
        assert (other.number in body) is sees_other, user


def test_register_search_ignores_case_and_diacritics(loop, world, client_for):
    hit = loop.raised(title="Sổ điểm điện tử cập nhật chậm")
    miss = loop.raised(title="Thiếu biên bản họp")
    body = client_for(world.iso).get(reverse("nonconformities:register"), {"q": "SO DIEM"})
    text = body.content.decode()
    assert hit.number in text and miss.number not in text


def test_register_filters(loop, world, client_for):
    clause = Clause.objects.first()
    major = loop.raised(severity="major", source="survey", clauses=[clause])
    minor = loop.raised(source="complaint")
    late = loop.in_action()
    type(loop.action).objects.filter(pk=loop.action.pk).update(
        due=timezone.localdate() - timedelta(days=2)
    )
    client = client_for(world.iso)
    url = reverse("nonconformities:register")

    def numbers(**params):
        text = client.get(url, params).content.decode()
        return {nc.number for nc in (major, minor, late) if nc.number in text}

    assert numbers(severity="major") == {major.number}
    assert numbers(source="survey") == {major.number}
    assert numbers(status="in_action") == {late.number}
    assert numbers(overdue="on") == {late.number}
    assert numbers(clause=clause.pk) == {major.number}
    assert numbers(unit=world.school.pk) == {major.number, minor.number, late.number}
    assert numbers(unit=world.school2.pk) == set()
    # A bad filter value is ignored with a message, never a 500.
    response = client.get(url, {"status": "nonsense", "unit": "abc"})
    assert response.status_code == 200


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_register_exports(loop, world, client_for, fmt):
    nc = loop.raised(title='=HYPERLINK("http://x")')
    response = client_for(world.iso).get(reverse("nonconformities:register"), {"format": fmt})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        text = body.decode("utf-8-sig")
        assert nc.number in text
        assert "'=HYPERLINK" in text  # formulas neutralised
    else:
        from io import BytesIO

        from openpyxl import load_workbook

        rows = list(load_workbook(BytesIO(body)).active.values)
        assert rows[1][0] == nc.number


def test_register_query_count_is_flat_for_10_and_500_ncs(
    loop, world, client_for, django_assert_max_num_queries
):
    client = client_for(world.iso)
    url = reverse("nonconformities:register")
    for _ in range(10):
        loop.raised()
    client.get(url)
    with django_assert_max_num_queries(16) as small:
        client.get(url)
    for _ in range(490):
        loop.raised(source="survey")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


# --- detail and steps --------------------------------------------------------------------


def test_detail_owner_member_outsider(loop, world, client_for):
    nc = loop.raised()
    assert client_for(world.principal).get(detail_url(nc)).status_code == 200
    assert client_for(world.teacher).get(detail_url(nc)).status_code == 200
    assert client_for(world.principal2).get(detail_url(nc)).status_code == 404
    assert client_for(world.head).get(detail_url(nc)).status_code == 404  # another division


def test_action_owner_from_another_unit_sees_the_nc(loop, world, client_for):
    nc = loop.extent_checked()
    assert client_for(world.principal2).get(detail_url(nc)).status_code == 404
    services.action_add(
        nc,
        actor=world.principal,
        description="Hỗ trợ chuyên môn",
        owner=world.principal2,
        due=timezone.localdate() + timedelta(days=3),
    )
    assert client_for(world.principal2).get(detail_url(nc)).status_code == 200


def test_step_forms_shown_only_to_who_may_act(loop, world, client_for):
    nc = loop.raised()
    assert b"nc-contain" in client_for(world.teacher).get(detail_url(nc)).content
    assert b"nc-contain" not in client_for(world.auditor).get(detail_url(nc)).content


def test_contain_through_the_view(loop, world, client_for):
    nc = loop.raised()
    url = reverse("nonconformities:contain", args=[nc.pk])
    client = client_for(world.teacher)
    response = client.post(url, {"containment": "", "contained_on": "2020-01-01"})
    assert response.status_code == 400
    nc.refresh_from_db()
    assert nc.status == "open"
    today = timezone.localdate().isoformat()
    response = client.post(url, {"containment": "Thu hồi sổ, lập lại.", "contained_on": today})
    assert response.status_code == 302
    nc.refresh_from_db()
    assert nc.status == "contained" and nc.contained_by == world.teacher


def test_step_by_outsider_is_404_and_by_viewer_without_rights_is_refused(loop, world, client_for):
    nc = loop.raised()
    url = reverse("nonconformities:contain", args=[nc.pk])
    data = {"containment": "x", "contained_on": timezone.localdate().isoformat()}
    assert client_for(world.principal2).post(url, data).status_code == 404
    response = client_for(world.auditor).post(url, data)  # sees it (root), has no work role
    # refused in its step, with the rule, on the page it was asked from
    assert response.status_code == 400
    assert 'data-testid="nc-step-error"' in response.content.decode()
    nc.refresh_from_db()
    assert nc.status == "open"


def test_analyse_through_the_view(loop, world, client_for):
    nc = loop.contained()
    url = reverse("nonconformities:analyse", args=[nc.pk])
    # a root cause with neither a "why" nor a fishbone cause is refused, with the reason shown
    world.principal.language = "en"
    world.principal.save(update_fields=["language"])
    client = client_for(world.principal)
    response = client.post(url, {"root_cause": "Không có"})
    assert response.status_code == 400
    assert "Give at least one “why” or one fishbone cause." in response.content.decode()
    nc.refresh_from_db()
    assert nc.status == "contained" and nc.root_cause == "" and not nc.causes.exists()
    response = client.post(
        url,
        {
            "why1": "Sổ không được cập nhật",
            "why2": "Giáo viên chưa được hướng dẫn",
            "cat_people": "Giáo viên mới\nChưa tập huấn",
            "root_cause": "Chưa có hướng dẫn cập nhật sổ điểm.",
        },
    )
    assert response.status_code == 302
    nc.refresh_from_db()
    assert nc.status == "analysed"
    assert nc.causes.filter(method="fishbone").count() == 2


def test_extent_refuses_unknown_related_number(loop, world, client_for):
    nc = loop.analysed()
    other = services.nonconformity_raise(
        actor=world.principal2, unit=world.school2, title="x", description="x", source="survey"
    )
    url = reverse("nonconformities:extent", args=[nc.pk])
    client = client_for(world.principal)
    response = client.post(url, {"extent_check": "Đã rà soát", "related": other.number})
    assert response.status_code == 400  # not visible to the principal: not found
    visible = loop.raised()
    response = client.post(url, {"extent_check": "Đã rà soát", "related": visible.number})
    assert response.status_code == 302
    nc.refresh_from_db()
    assert list(nc.related.all()) == [visible]
    assert list(visible.related.all()) == [nc]


def test_complete_action_with_evidence_file_then_verify_and_close(loop, world, client_for):
    nc = loop.in_action()
    action = loop.action
    url = reverse("nonconformities:action_complete", args=[nc.pk, action.pk])
    prefix = f"a{action.pk}"
    # Someone else than the owner: refused, nothing changes.
    client_for(world.principal).post(url, {f"{prefix}-evidence": "x"})
    action.refresh_from_db()
    assert action.status == "open"
    bad = in_memory(b"MZ\x90\x00 not a pdf", "bang-chung.pdf")
    response = client_for(world.teacher).post(
        url, {f"{prefix}-evidence": "Đã làm", f"{prefix}-file": bad}
    )
    assert response.status_code == 400
    action.refresh_from_db()
    assert action.status == "open" and not Attachment.objects.exists()
    good = in_memory(PDF_BYTES, "bang-chung.pdf")
    response = client_for(world.teacher).post(
        url, {f"{prefix}-evidence": "Đã làm", f"{prefix}-file": good}
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "done"
    attachment = Attachment.objects.get()
    assert attachment.action == action
    # verify
    response = client_for(world.teacher).post(
        reverse("nonconformities:verify", args=[nc.pk]), {"result": "effective", "notes": "x"}
    )
    nc.refresh_from_db()
    assert nc.status == "awaiting_verification"
    client_for(world.director).post(
        reverse("nonconformities:verify", args=[nc.pk]),
        {"result": "effective", "notes": "Không tái diễn"},
    )
    nc.refresh_from_db()
    assert nc.status == "verified"
    close = reverse("nonconformities:close", args=[nc.pk])
    response = client_for(world.principal).post(close, {"password": "sai"})
    assert response.status_code == 400
    nc.refresh_from_db()
    assert nc.status == "verified"
    response = client_for(world.principal).post(close, {"password": "demo", "comment": "Đóng"})
    assert response.status_code == 302
    nc.refresh_from_db()
    assert nc.status == "closed"
    page = client_for(world.teacher).get(detail_url(nc)).content.decode()
    assert world.principal.display_name in page


def test_attachment_owner_member_outsider(loop, world, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    nc = loop.raised()
    attachment = services.attachment_add(
        nc, actor=world.teacher, upload=in_memory(PDF_BYTES, "bien-ban.pdf")
    )
    url = reverse("nonconformities:attachment", args=[nc.pk, attachment.pk])
    for user, status in [
        (world.principal, 200),
        (world.teacher, 200),
        (world.principal2, 404),
    ]:
        response = client_for(user).get(url)
        assert response.status_code == status, user
    other = services.nonconformity_raise(
        actor=world.principal2, unit=world.school2, title="x", description="x", source="survey"
    )
    # The attachment is not reachable through another NC's URL.
    wrong = reverse("nonconformities:attachment", args=[other.pk, attachment.pk])
    assert client_for(world.principal2).get(wrong).status_code == 404


def test_attachment_upload_refuses_bad_type(loop, world, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    nc = loop.raised()
    url = reverse("nonconformities:attach", args=[nc.pk])
    response = client_for(world.teacher).post(url, {"file": in_memory(b"hello", "a.pdf")})
    assert response.status_code == 400
    assert not Attachment.objects.exists()
    assert (
        client_for(world.principal2).post(url, {"file": in_memory(PDF_BYTES, "a.pdf")}).status_code
        == 404
    )


def test_raise_through_the_form(world, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(world.teacher)
    url = reverse("nonconformities:raise")
    assert client.get(url).status_code == 200
    data = {
        "unit": world.school.pk,
        "title": "Phản ánh của phụ huynh về bữa ăn bán trú",
        "description": "Phụ huynh lớp 2A phản ánh suất ăn thiếu.",
        "source": "complaint",
        "severity": "minor",
        "kind": "nonconformity",
    }
    response = client.post(url, {**data, "unit": world.school2.pk})  # not the teacher's unit
    assert response.status_code == 200 and not Nonconformity.objects.exists()
    response = client.post(url, {**data, "due": "2001-01-01"})
    assert not Nonconformity.objects.exists()
    response = client.post(url, {**data, "attachment": in_memory(b"nope", "x.pdf")})
    assert not Nonconformity.objects.exists()  # bad file: nothing half-saved
    response = client.post(url, {**data, "attachment": in_memory(PDF_BYTES, "x.pdf")})
    nc = Nonconformity.objects.get()
    assert response.status_code == 302 and nc.reported_by == world.teacher
    assert nc.attachments.count() == 1


def test_raise_page_is_404_for_viewer_without_roles(world, client_for):
    from tests.factories import MembershipFactory, UserFactory

    viewer = UserFactory(username="viewer")
    MembershipFactory(user=viewer, unit=world.school, role="viewer")
    assert client_for(viewer).get(reverse("nonconformities:raise")).status_code == 404


def test_detail_links_to_the_source_only_for_those_who_may_see_it(loop, world, client_for):
    source = services.nonconformity_raise(
        actor=world.principal2, unit=world.school2, title="Nguồn", description="x", source="survey"
    )
    nc = services.nonconformity_raise(
        actor=world.iso,
        unit=world.school,
        title="Phát sinh từ nguồn",
        description="x",
        source="survey",
        source_object=source,
    )
    link = f'href="{source.get_absolute_url()}" data-testid="nc-source-link"'
    assert link in client_for(world.iso).get(detail_url(nc)).content.decode()
    assert link not in client_for(world.principal).get(detail_url(nc)).content.decode()
    assert list(Nonconformity.objects.for_source(source)) == [nc]


def test_not_effective_through_the_view_reopens(loop, world, client_for):
    nc = loop.awaiting_verification()
    url = reverse("nonconformities:verify", args=[nc.pk])
    response = client_for(world.director).post(url, {"result": "maybe", "notes": "x"})
    assert response.status_code == 400
    response = client_for(world.director).post(
        url, {"result": "not_effective", "notes": "Vẫn còn lớp chưa thực hiện."}
    )
    assert response.status_code == 302
    nc.refresh_from_db()
    assert nc.status == "in_action" and nc.round == 2
    page = client_for(world.principal).get(detail_url(nc)).content.decode()
    assert "nc-action-add" in page  # step 4 is open again


def test_plan_verification_and_cancel_through_the_views(loop, world, client_for):
    nc = loop.in_action()
    url = reverse("nonconformities:plan_verification", args=[nc.pk])
    planned = (loop.action.due + timedelta(days=20)).isoformat()
    # The action owner as verifier is refused with a message.
    response = client_for(world.principal).post(
        url, {"verifier": world.teacher.pk, "planned_on": planned}
    )
    assert response.status_code == 400
    response = client_for(world.teacher).post(
        url, {"verifier": world.director.pk, "planned_on": planned}
    )
    nc.refresh_from_db()
    assert nc.planned_verifier is None  # staff cannot plan
    client_for(world.principal).post(url, {"verifier": world.director.pk, "planned_on": planned})
    nc.refresh_from_db()
    assert nc.planned_verifier == world.director
    cancel = reverse("nonconformities:action_cancel", args=[nc.pk, loop.action.pk])
    client_for(world.teacher).post(cancel, {"reason": "Không cần"})
    loop.action.refresh_from_db()
    assert loop.action.status == "open"
    client_for(world.principal).post(cancel, {"reason": "Trùng với kế hoạch khác"})
    loop.action.refresh_from_db()
    assert loop.action.status == "cancelled"


def test_export_contains_only_visible_ncs(loop, world, client_for):
    mine = loop.raised()
    other = services.nonconformity_raise(
        actor=world.principal2, unit=world.school2, title="x", description="x", source="survey"
    )
    response = client_for(world.principal2).get(
        reverse("nonconformities:register"), {"format": "csv"}
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert other.number in text and mine.number not in text


def test_register_lists_my_open_actions_and_checks(loop, world, client_for):
    nc = loop.in_action()
    services.nonconformity_plan_verification(
        nc,
        actor=world.principal,
        verifier=world.director,
        planned_on=loop.action.due + timedelta(days=10),
    )
    url = reverse("nonconformities:register")
    todo = client_for(world.teacher).get(url).content.decode()
    assert 'data-testid="nc-todo"' in todo and loop.action.description[:30] in todo
    assert 'data-testid="nc-todo"' not in client_for(world.principal).get(url).content.decode()
    services.action_complete(loop.action, actor=world.teacher, evidence="Đã làm")
    assert f"{nc.number}</a> · " in client_for(world.director).get(url).content.decode()


def test_action_owner_member_outsider_on_complete(loop, world, client_for):
    nc = loop.in_action()
    url = reverse("nonconformities:action_complete", args=[nc.pk, loop.action.pk])
    data = {f"a{loop.action.pk}-evidence": "Đã làm"}
    assert client_for(world.principal2).post(url, data).status_code == 404
    client_for(world.principal).post(url, data)  # sees it, does not own it
    loop.action.refresh_from_db()
    assert loop.action.status == "open"
    assert client_for(world.teacher).post(url, data).status_code == 302
    loop.action.refresh_from_db()
    assert loop.action.status == "done"


def test_register_counts_per_unit_and_overdue(loop, world, client_for):
    loop.raised()
    loop.raised()
    loop.in_action()
    type(loop.action).objects.filter(pk=loop.action.pk).update(
        due=timezone.localdate() - timedelta(days=1)
    )
    services.nonconformity_raise(
        actor=world.principal2, unit=world.school2, title="x", description="x", source="survey"
    )
    response = client_for(world.director).get(reverse("nonconformities:register"))
    rows = {row["unit_id"]: (row["total"], row["open"]) for row in response.context["per_unit"]}
    assert rows == {world.school.pk: (3, 3), world.school2.pk: (1, 1)}
    assert response.context["totals"] == {"total": 4, "open": 4}
    assert response.context["overdue_total"] == 1


def test_register_counts_two_units_of_the_same_name_apart(loop, world, client_for):
    world.school2.name = world.school.name  # two schools may share a name
    world.school2.save()
    loop.raised()
    loop.raised()
    services.nonconformity_raise(
        actor=world.principal2, unit=world.school2, title="x", description="x", source="survey"
    )
    response = client_for(world.director).get(reverse("nonconformities:register"))
    rows = [(row["unit_id"], row["total"]) for row in response.context["per_unit"]]
    assert rows == [(world.school.pk, 2), (world.school2.pk, 1)]
    page = response.content.decode()
    assert f"?unit={world.school2.pk}&amp;unit_only=on" in page


def test_register_counts_every_unit(world, client_for, django_assert_max_num_queries):
    from tests.factories import UnitFactory

    units = [UnitFactory(code=f"TH-{i:02d}", parent=world.commune) for i in range(20)]
    for unit in units:
        services.nonconformity_raise(
            actor=world.iso, unit=unit, title="x", description="x", source="survey"
        )
    client = client_for(world.director)
    url = reverse("nonconformities:register")
    client.get(url)
    with django_assert_max_num_queries(16):
        response = client.get(url)
    assert {row["unit_id"] for row in response.context["per_unit"]} == {u.pk for u in units}
    assert all(unit.code in response.content.decode() for unit in units)


def test_source_without_for_user_links_only_through_can_view(world, client_for, monkeypatch):
    from ims.models import CriteriaSet

    source = CriteriaSet.objects.first()
    nc = services.nonconformity_raise(
        actor=world.iso,
        unit=world.school,
        title="Từ bộ tiêu chí",
        description="x",
        source="self_assessment",
        source_object=source,
    )
    monkeypatch.setattr(CriteriaSet, "get_absolute_url", lambda self: "/tieu-chi/", raising=False)
    assert (
        'href="/tieu-chi/"' not in client_for(world.principal).get(detail_url(nc)).content.decode()
    )
    monkeypatch.setattr(
        CriteriaSet, "can_view", lambda self, user: user.pk == world.principal.pk, raising=False
    )
    assert 'href="/tieu-chi/"' in client_for(world.principal).get(detail_url(nc)).content.decode()
    assert 'href="/tieu-chi/"' not in client_for(world.teacher).get(detail_url(nc)).content.decode()


def test_raise_form_has_no_default_source(world, client_for):
    """A preselected source was kept by people reporting complaints or KPI breaches."""
    client = client_for(world.teacher)
    url = reverse("nonconformities:raise")
    page = client.get(url).content.decode()
    assert '<option value="" selected>' in page.split('name="source"')[1].split("</select>")[0]
    data = {
        "unit": world.school.pk,
        "title": "Phản ánh của phụ huynh",
        "description": "Suất ăn thiếu.",
        "severity": "minor",
        "kind": "nonconformity",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and not Nonconformity.objects.exists()
    assert response.context["form"].has_error("source", "required")


def test_the_five_whys_are_multi_line(loop, world, client_for):
    nc = loop.contained()
    page = client_for(world.principal).get(nc.get_absolute_url()).content.decode()
    assert '<textarea name="why1"' in page and '<textarea name="why5"' in page


def _kept_token(page, name):
    import re

    found = re.search(rf'name="{name}_kept" value="([^"]+)"', page)
    return found.group(1) if found else None


def test_a_file_chosen_before_an_error_is_kept_when_raising(world, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(world.teacher)
    url = reverse("nonconformities:raise")
    data = {
        "unit": world.school.pk,
        "description": "Phụ huynh lớp 2A phản ánh suất ăn thiếu.",
        "source": "complaint",
        "severity": "minor",
        "kind": "nonconformity",
    }
    # The title is missing: nothing is saved, and the chosen file comes back as kept.
    response = client.post(url, {**data, "attachment": in_memory(PDF_BYTES, "bien-ban.pdf")})
    page = response.content.decode()
    assert not Nonconformity.objects.exists() and "bien-ban.pdf" in page
    token = _kept_token(page, "attachment")
    assert token
    response = client.post(url, {**data, "title": "Suất ăn bán trú", "attachment_kept": token})
    nc = Nonconformity.objects.get()
    assert response.status_code == 302
    assert [a.name for a in nc.attachments.all()] == ["bien-ban.pdf"]


def test_an_evidence_file_is_kept_when_the_evidence_text_is_missing(
    loop, world, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    nc = loop.in_action()
    action = loop.action
    url = reverse("nonconformities:action_complete", args=[nc.pk, action.pk])
    prefix = f"a{action.pk}"
    owner = client_for(action.owner)
    response = owner.post(url, {f"{prefix}-file": in_memory(PDF_BYTES, "bang-chung.pdf")})
    assert response.status_code == 400
    token = _kept_token(response.content.decode(), f"{prefix}-file")
    assert token
    response = owner.post(url, {f"{prefix}-evidence": "Đã làm", f"{prefix}-file_kept": token})
    action.refresh_from_db()
    assert action.status == "done"
    assert [a.name for a in Attachment.objects.filter(action=action)] == ["bang-chung.pdf"]
