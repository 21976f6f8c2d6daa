"""Read the question bank files and keep their checklist templates in step with them.

A bank file is YAML::

    title: "Câu hỏi đánh giá tại trường — ISO 21001/ISO 9001"
    criteria: {"21001": iso-21001-2018, "9001": iso-9001-2015}   # alias -> criteria set code
    questions:
      - {order: 10, clauses: ["21001 4.1", "9001 4.1"], text: "Cho xem ..."}

A template is found on each root unit by its title; a question by its ``order`` within the
template (``ChecklistQuestion`` has no key field of its own, so ``order`` is the stable key: never
renumber a published question, give a new one an unused number). Loading writes only what
differs, so a second run changes nothing; a corrected text or clause list updates the question
in place (checklists already generated keep the text they copied); a question whose ``order``
left the file is deleted from the template.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from audits.models import ChecklistQuestion, ChecklistTemplate
from ims.models import Clause, OrgUnit

BANK_DIR = Path(__file__).resolve().parent
BANK_FILES = (BANK_DIR / "school.yaml", BANK_DIR / "department.yaml")
# ``ChecklistQuestion.order`` is a PositiveSmallIntegerField.
MAX_ORDER = 32767
CHANGE_REASON = "load_question_bank"

ClauseRef = tuple[str, str]  # (criteria set code, clause number)


class QuestionBankError(ValueError):
    """A bank file is malformed or cites a clause the criteria data lacks; nothing was written."""


@dataclass(frozen=True)
class BankQuestion:
    order: int
    text: str
    clauses: tuple[ClauseRef, ...]


@dataclass(frozen=True)
class Bank:
    path: Path
    title: str
    questions: tuple[BankQuestion, ...]

    def clause_refs(self) -> set[ClauseRef]:
        return {ref for question in self.questions for ref in question.clauses}


@dataclass
class LoadResult:
    units: int = 0
    templates_created: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.templates_created or self.created or self.updated or self.deleted)


def _fail(path: Path, message: str) -> QuestionBankError:
    return QuestionBankError(f"{path.name}: {message}")


def _read_question(path: Path, index: int, raw: Any, criteria: dict[str, str]) -> BankQuestion:
    where = f"question #{index}"
    if not isinstance(raw, dict) or set(raw) != {"order", "clauses", "text"}:
        raise _fail(path, f"{where} needs exactly the keys order, clauses and text.")
    order, clauses, text = raw["order"], raw["clauses"], raw["text"]
    if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= MAX_ORDER:
        raise _fail(path, f"{where}: order must be a whole number from 1 to {MAX_ORDER}.")
    where = f"question {order}"
    if not isinstance(text, str) or not text.strip():
        raise _fail(path, f"{where}: the text is empty.")
    if not isinstance(clauses, list) or not clauses:
        raise _fail(path, f"{where} cites no clause.")
    refs: list[ClauseRef] = []
    for item in clauses:
        alias, _, number = str(item).partition(" ")
        if alias not in criteria or not number.strip():
            raise _fail(
                path,
                f"{where}: {item!r} is not '<criteria alias> <clause number>' "
                f"with an alias from {sorted(criteria)}.",
            )
        ref = (criteria[alias], number.strip())
        if ref not in refs:
            refs.append(ref)
    return BankQuestion(order=order, text=" ".join(text.split()), clauses=tuple(refs))


def read_bank(path: Path) -> Bank:
    """Parse and check one bank file (structure only; clauses are checked against the database
    by ``load_question_bank``)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise _fail(path, f"cannot be read: {error}") from error
    if not isinstance(data, dict) or set(data) != {"title", "criteria", "questions"}:
        raise _fail(path, "needs exactly the keys title, criteria and questions.")
    title, criteria, raw_questions = data["title"], data["criteria"], data["questions"]
    if not isinstance(title, str) or not title.strip() or len(title.strip()) > 255:
        raise _fail(path, "the title must be text of at most 255 characters.")
    if (
        not isinstance(criteria, dict)
        or not criteria
        or not all(isinstance(code, str) and code for code in criteria.values())
    ):
        raise _fail(path, "criteria must map each alias to a criteria set code.")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise _fail(path, "questions must be a non-empty list.")
    aliases = {str(alias): code for alias, code in criteria.items()}
    questions = [
        _read_question(path, index, raw, aliases)
        for index, raw in enumerate(raw_questions, start=1)
    ]
    seen: set[int] = set()
    for question in questions:
        if question.order in seen:
            raise _fail(path, f"order {question.order} is used twice.")
        seen.add(question.order)
    return Bank(path=path, title=title.strip(), questions=tuple(questions))


def read_banks(paths: Iterable[Path] = BANK_FILES) -> list[Bank]:
    banks = [read_bank(Path(path)) for path in paths]
    titles = [bank.title for bank in banks]
    if len(set(titles)) != len(titles):
        raise QuestionBankError("Two bank files have the same title.")
    return banks


def resolve_clauses(banks: Sequence[Bank]) -> dict[ClauseRef, int]:
    """Clause ids for every reference in ``banks``; raises when one does not exist."""
    refs = set().union(*(bank.clause_refs() for bank in banks))
    codes = {code for code, _ in refs}
    rows = Clause.objects.filter(criteria_set__code__in=codes).values_list(
        "criteria_set__code", "number", "pk"
    )
    ids = {(code, number): pk for code, number, pk in rows}
    missing = sorted(refs - set(ids))
    if missing:
        listed = ", ".join(f"{code} {number}" for code, number in missing[:20])
        raise QuestionBankError(f"Clauses not in the criteria data: {listed}.")
    return {ref: ids[ref] for ref in refs}


def _sync_template(
    template: ChecklistTemplate, bank: Bank, clause_ids: dict[ClauseRef, int], result: LoadResult
) -> None:
    wanted = {question.order: question for question in bank.questions}
    by_order: dict[int, ChecklistQuestion] = {}
    stale: list[ChecklistQuestion] = []
    for question in template.questions.prefetch_related("clauses").order_by("pk"):
        if question.order in wanted and question.order not in by_order:
            by_order[question.order] = question
        else:
            stale.append(question)
    for question in stale:
        question._change_reason = CHANGE_REASON  # type: ignore[attr-defined]
        question.delete()
        result.deleted += 1

    new: list[tuple[ChecklistQuestion, set[int]]] = []
    for order, entry in wanted.items():
        ids = {clause_ids[ref] for ref in entry.clauses}
        current = by_order.get(order)
        if current is None:
            new.append((ChecklistQuestion(template=template, text=entry.text, order=order), ids))
            continue
        changed = False
        if current.text != entry.text:
            current.text = entry.text
            current._change_reason = CHANGE_REASON  # type: ignore[attr-defined]
            current.save(update_fields=["text"])
            changed = True
        if {clause.pk for clause in current.clauses.all()} != ids:
            current.clauses.set(ids)
            changed = True
        result.updated += changed

    if new:
        created = bulk_create_with_history(
            [question for question, _ in new],
            ChecklistQuestion,
            default_change_reason=CHANGE_REASON,
        )
        if any(question.pk is None for question in created):
            # A backend that does not return ids from a bulk insert: read them back.
            pks = dict(
                ChecklistQuestion.objects.filter(template=template).values_list("order", "pk")
            )
            for question in created:
                question.pk = pks[question.order]
        through = ChecklistQuestion.clauses.through
        through.objects.bulk_create(
            [
                through(checklistquestion_id=question.pk, clause_id=clause_id)
                for question, (_, ids) in zip(created, new, strict=True)
                for clause_id in sorted(ids)
            ]
        )
        result.created += len(created)


def load_question_bank(
    *, paths: Iterable[Path] = BANK_FILES, units: Iterable[OrgUnit] | None = None
) -> LoadResult:
    """Create or update each bank's template on ``units`` (default: every root unit).

    Everything is checked before anything is written, and the load is one transaction.
    """
    banks = read_banks(paths)
    clause_ids = resolve_clauses(banks)
    result = LoadResult()
    with transaction.atomic():
        targets = list(units if units is not None else OrgUnit.objects.filter(parent__isnull=True))
        result.units = len(targets)
        for unit in targets:
            for bank in banks:
                template = ChecklistTemplate.objects.filter(unit=unit, title=bank.title).first()
                if template is None:
                    template = ChecklistTemplate.objects.create(unit=unit, title=bank.title)
                    result.templates_created += 1
                _sync_template(template, bank, clause_ids, result)
    return result
