"""The bank of on-site audit questions: what the files say, and how they load as templates."""

import io
import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import reverse

from audits.models import Audit, ChecklistQuestion, ChecklistTemplate
from audits.question_bank.loader import (
    BANK_FILES,
    QuestionBankError,
    load_question_bank,
    read_bank,
    read_banks,
    resolve_clauses,
)
from ims.data.criteria import CRITERIA_SETS
from ims.models import OrgUnit
from tests.audits.factories import make_audit

SCHOOL, DEPARTMENT = BANK_FILES
SCHOOL_TITLE = "Câu hỏi đánh giá tại trường — ISO 21001/ISO 9001"
DEPARTMENT_TITLE = "Câu hỏi đánh giá tại Sở — ISO 21001/ISO 9001"


def _leaf_clauses(criteria_set):
    """The clauses an auditor checks: every clause of sections 4–10 with no clause below it."""
    numbers = [number for number, _vi, _en in criteria_set["clauses"]]
    return [
        number
        for number in numbers
        if 4 <= int(number.split(".")[0]) <= 10
        and not any(other.startswith(f"{number}.") for other in numbers)
    ]


def _snapshot():
    return sorted(
        (
            question.template.unit_id,
            question.template.title,
            question.order,
            question.text,
            tuple(sorted(question.clauses.values_list("pk", flat=True))),
        )
        for question in ChecklistQuestion.objects.select_related("template")
    )


def _history_count():
    return ChecklistQuestion.history.count() + ChecklistTemplate.history.count()


def _edited_copy(tmp_path, source, edit):
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --- the files ------------------------------------------------------------------------------------


def test_the_two_variants_have_their_titles():
    assert [bank.title for bank in read_banks()] == [SCHOOL_TITLE, DEPARTMENT_TITLE]


def test_every_question_cites_clauses_that_exist_in_the_criteria_data(db):
    known = {
        (criteria_set["code"], number)
        for criteria_set in CRITERIA_SETS
        for number, _vi, _en in criteria_set["clauses"]
    }
    banks = read_banks()
    for bank in banks:
        for question in bank.questions:
            assert question.clauses, question
            assert set(question.clauses) <= known, question
    # and the loaded clause rows (a data migration) hold every one of them
    assert len(resolve_clauses(banks)) == len(set().union(*(b.clause_refs() for b in banks)))


@pytest.mark.parametrize("path", BANK_FILES, ids=lambda path: path.stem)
@pytest.mark.parametrize("criteria_set", CRITERIA_SETS, ids=lambda c: c["code"])
def test_every_auditable_clause_has_at_least_two_questions_per_variant(path, criteria_set):
    bank = read_bank(path)
    code = criteria_set["code"]
    leaves = _leaf_clauses(criteria_set)
    assert len(leaves) > 60  # the whole tree, not an empty list that passes vacuously
    counts = dict.fromkeys(leaves, 0)
    for question in bank.questions:
        for ref_code, number in question.clauses:
            if ref_code == code and number in counts:
                counts[number] += 1
    short = {number: n for number, n in counts.items() if n < 2}
    assert not short, f"{path.name}: {code} clauses with fewer than 2 questions: {short}"


@pytest.mark.parametrize("path", BANK_FILES, ids=lambda path: path.stem)
def test_questions_cite_the_clauses_an_auditor_checks_not_headings(path):
    leaves = {c["code"]: set(_leaf_clauses(c)) for c in CRITERIA_SETS}
    for question in read_bank(path).questions:
        for code, number in question.clauses:
            assert number in leaves[code], (question.order, code, number)


VIETNAMESE_LETTERS = set("ăâđêôơưĂÂĐÊÔƠƯ")
# Words of English that would betray an untranslated question (checked as whole words).
ENGLISH_WORDS = {
    "the", "and", "of", "is", "are", "was", "with", "for", "what", "how", "who", "when",
    "does", "have", "has", "show", "check", "evidence", "record", "records", "policy",
    "school", "teacher", "student", "learner", "parent", "audit", "auditor", "requirement",
    "requirements", "review", "risk", "risks", "objective", "objectives", "procedure", "plan",
    "interview", "sample", "document", "documents", "staff", "process", "management",
    "improvement", "nonconformity", "corrective", "action", "supplier", "competence", "yes",
    "met", "todo", "tbd", "xxx",
}  # fmt: skip
# Acronyms and names that are the same in Vietnamese.
ALLOWED_LATIN = {"ISO", "SWOT", "GD", "ĐT", "BGDĐT", "QĐ", "UBND"}


@pytest.mark.parametrize("path", BANK_FILES, ids=lambda path: path.stem)
def test_questions_are_vietnamese(path):
    bank = read_bank(path)
    assert "—" in bank.title and "ISO 21001" in bank.title
    for question in bank.questions:
        text = question.text
        decomposed = unicodedata.normalize("NFD", text)
        has_tone_marks = any(unicodedata.category(ch) == "Mn" for ch in decomposed)
        assert has_tone_marks and VIETNAMESE_LETTERS & set(text), (question.order, text)
        words = re.findall(r"[^\W\d_]+", text)
        english = [w for w in words if w.lower() in ENGLISH_WORDS and w not in ALLOWED_LATIN]
        assert not english, (question.order, english, text)
        assert text[-1] in ".?", (question.order, text)


def test_questions_are_concrete_not_the_generic_one():
    """Each asks to see, interview, observe or sample something, or asks a pointed question."""
    for bank in read_banks():
        texts = [question.text for question in bank.questions]
        assert len(set(texts)) == len(texts), "a question is repeated"
        for text in texts:
            assert "yêu cầu có được đáp ứng" not in text
            assert len(text) >= 40, text


def test_a_malformed_file_is_refused_with_its_place(tmp_path):
    def duplicate_order(data):
        data["questions"][1]["order"] = data["questions"][0]["order"]

    with pytest.raises(QuestionBankError, match=r"school.yaml: order 10 is used twice"):
        read_bank(_edited_copy(tmp_path, SCHOOL, duplicate_order))

    def unknown_alias(data):
        data["questions"][0]["clauses"] = ["14001 4.1"]

    with pytest.raises(QuestionBankError, match="question 10"):
        read_bank(_edited_copy(tmp_path, SCHOOL, unknown_alias))

    def empty_text(data):
        data["questions"][0]["text"] = "  "

    with pytest.raises(QuestionBankError, match="question 10: the text is empty"):
        read_bank(_edited_copy(tmp_path, SCHOOL, empty_text))


# --- loading --------------------------------------------------------------------------------------


def test_loading_creates_both_templates_on_the_root_unit(world):
    result = load_question_bank()
    roots = list(OrgUnit.objects.filter(parent__isnull=True))
    assert roots == [world.root]
    templates = ChecklistTemplate.objects.filter(unit=world.root)
    assert set(templates.values_list("title", flat=True)) >= {SCHOOL_TITLE, DEPARTMENT_TITLE}
    school = templates.get(title=SCHOOL_TITLE)
    bank = read_bank(SCHOOL)
    assert school.questions.count() == len(bank.questions)
    first = school.questions.get(order=bank.questions[0].order)
    assert first.text == bank.questions[0].text
    assert {(c.criteria_set.code, c.number) for c in first.clauses.all()} == set(
        bank.questions[0].clauses
    )
    assert result.templates_created == 2
    assert result.created == len(bank.questions) + len(read_bank(DEPARTMENT).questions)
    # nothing lands on a unit below the root
    assert not ChecklistTemplate.objects.exclude(unit=world.root).exists()


def test_loading_twice_changes_nothing(world):
    load_question_bank()
    before, history = _snapshot(), _history_count()
    result = load_question_bank()
    assert not result.changed
    assert _snapshot() == before
    assert _history_count() == history
    assert ChecklistTemplate.objects.filter(title=SCHOOL_TITLE).count() == 1


def test_a_corrected_file_updates_the_question_in_place(world, tmp_path):
    load_question_bank()
    template = ChecklistTemplate.objects.get(unit=world.root, title=SCHOOL_TITLE)
    target = template.questions.get(order=10)
    removed = template.questions.get(order=20)
    count = template.questions.count()

    def correct(data):
        data["questions"][0]["text"] = "Cho xem văn bản phân tích bối cảnh đã được hiệu trưởng ký."
        data["questions"][0]["clauses"] = ["21001 4.1"]
        del data["questions"][1]

    school = _edited_copy(tmp_path, SCHOOL, correct)
    result = load_question_bank(paths=[school, DEPARTMENT])
    assert (result.created, result.updated, result.deleted) == (0, 1, 1)
    target.refresh_from_db()
    assert target.text == "Cho xem văn bản phân tích bối cảnh đã được hiệu trưởng ký."
    assert [c.criteria_set.code for c in target.clauses.all()] == ["iso-21001-2018"]
    assert not ChecklistQuestion.objects.filter(pk=removed.pk).exists()
    assert template.questions.count() == count - 1
    assert target.history.first().history_change_reason == "load_question_bank"
    # the corrected file, loaded again, changes nothing more
    assert not load_question_bank(paths=[school, DEPARTMENT]).changed


def test_a_file_citing_an_unknown_clause_writes_nothing(world, tmp_path):
    def unknown_clause(data):
        data["questions"][-1]["clauses"] = ["9001 11.9"]

    bad = _edited_copy(tmp_path, DEPARTMENT, unknown_clause)
    with pytest.raises(QuestionBankError, match="iso-9001-2015 11.9"):
        load_question_bank(paths=[SCHOOL, bad])
    assert not ChecklistTemplate.objects.exists()
    assert not ChecklistQuestion.objects.exists()


def test_the_command_loads_and_reports_and_refuses_a_bad_file(world, tmp_path):
    out = io.StringIO()
    call_command("load_question_bank", stdout=out)
    assert "2 template(s) created" in out.getvalue()
    out = io.StringIO()
    call_command("load_question_bank", stdout=out)
    assert "0 template(s) created, 0 question(s) added, 0 updated, 0 removed" in out.getvalue()
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: [", encoding="utf-8")
    before = _snapshot()
    with pytest.raises(CommandError, match="Nothing was loaded. broken.yaml"):
        call_command("load_question_bank", "--file", str(broken), stdout=io.StringIO())
    assert _snapshot() == before


# --- the checklist of an audit that picks a bank template ------------------------------------------


def test_an_audit_that_picks_the_school_bank_gets_the_questions_of_its_clauses(world, client_for):
    load_question_bank()
    template = ChecklistTemplate.objects.get(unit=world.root, title=SCHOOL_TITLE)
    audit = make_audit(world)  # ISO 9001 7.1.3, 7.5.3 and 8.5.1
    response = client_for(world.iso).post(
        reverse("audits:checklist_generate", args=[audit.pk]), {"templates": [template.pk]}
    )
    assert response.status_code == 302
    expected = [
        question
        for question in read_bank(SCHOOL).questions
        if any(
            code == "iso-9001-2015"
            and (number in ("7.1.3", "8.5.1") or number.startswith("7.5.3."))
            for code, number in question.clauses
        )
    ]
    assert len(expected) >= 8
    items = {item.question: item for item in audit.checklist.prefetch_related("clauses")}
    audit_numbers = ("7.1.3", "7.5.3", "8.5.1")
    for question in expected:
        item = items[question.text]
        # The item cites the audit's clauses the question is about, in the audit's standard
        # only (7.5.3.2 → 7.5.3; an ISO 21001 clause of the question is not offered).
        about = {
            audit_number
            for code, number in question.clauses
            for audit_number in audit_numbers
            if code == "iso-9001-2015"
            and (number == audit_number or number.startswith(f"{audit_number}."))
        }
        assert {(c.criteria_set.code, c.number) for c in item.clauses.all()} == {
            ("iso-9001-2015", n) for n in about
        }
    assert any("Quan sát 2 phòng học" in text for text in items)
    # questions about other clauses stay in the bank, not on this audit's checklist
    assert not any("xem xét của lãnh đạo gần nhất" in text for text in items)
    assert len(items) == 3 + len(expected)


def test_picking_the_bank_twice_adds_its_questions_once(world):
    from audits import services

    load_question_bank()
    template = ChecklistTemplate.objects.get(unit=world.root, title=DEPARTMENT_TITLE)
    audit = make_audit(world)
    added = services.audit_generate_checklist(audit, actor=world.iso, templates=[template])
    assert added > 3
    assert services.audit_generate_checklist(audit, actor=world.iso, templates=[template]) == 0


def test_the_demo_offers_the_bank_on_its_root(db):
    from audits import demo as audits_demo
    from ims import demo

    context = demo.DemoContext(stdout=io.StringIO())
    demo.seed(context)
    audits_demo.seed(context)
    root = context.units[demo.ROOT[0]]
    titles = set(ChecklistTemplate.objects.filter(unit=root).values_list("title", flat=True))
    assert {SCHOOL_TITLE, DEPARTMENT_TITLE} <= titles
    assert ChecklistQuestion.objects.filter(
        template__unit=root, template__title=SCHOOL_TITLE
    ).count() == len(read_bank(SCHOOL).questions)


def test_the_bank_files_ship_with_the_package():
    assert all(Path(path).is_file() for path in BANK_FILES)
    assert all(path.parent.name == "question_bank" for path in BANK_FILES)


def test_every_school_sees_the_departments_bank_but_not_another_schools_template(world):
    """The bank sits on the root: a principal picks it for the school's own audits. A
    template of school 2 stays school 2's."""
    load_question_bank()
    own = ChecklistTemplate.objects.create(unit=world.school2, title="Câu hỏi riêng trường 2")
    titles = set(
        ChecklistTemplate.objects.for_user(world.principal).values_list("title", flat=True)
    )
    assert any("tại trường" in t for t in titles)
    assert own.title not in titles
    assert own in ChecklistTemplate.objects.for_user(world.principal2)


def test_a_finding_from_any_bank_item_cites_clauses_the_audit_accepts(world):
    """A finding recorded from a bank question's item, with the item's clauses, is accepted:
    the bank cites both standards and sub-clauses, the audit only its own criteria."""
    from audits import services
    from tests.audits.factories import grade

    load_question_bank()
    template = ChecklistTemplate.objects.get(unit=world.root, title=SCHOOL_TITLE)
    audit = make_audit(world, status=Audit.Status.IN_PROGRESS)
    services.audit_generate_checklist(audit, actor=world.auditor, templates=[template])
    bank_items = audit.checklist.filter(key__startswith="question:").prefetch_related("clauses")
    assert bank_items.exists()
    for item in bank_items:
        services.finding_record(
            audit,
            actor=world.auditor,
            grade=grade("observation"),
            clauses=list(item.clauses.all()),
            unit=world.school,
            statement=f"Phát hiện từ câu hỏi {item.pk}",
            checklist_item=item,
            notes=["Quan sát tại trường"],
        )
