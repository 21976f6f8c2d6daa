"""Instruments: made from a shipped template, then versioned. A version's sections and questions
change only until it has responses (then it is frozen and a new version is made)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from ims.access import has_role
from ims.transitions import record_transition
from ims.workflow import lock, refuse
from surveys.data import INTRO, TEMPLATES
from surveys.models import (
    CHOICE_KINDS,
    MANAGE_ROLES,
    Area,
    Choice,
    Instrument,
    InstrumentVersion,
    Question,
    QuestionKind,
    Section,
)

if TYPE_CHECKING:
    from ims.models import OrgUnit, User

# The fields of a question that may change before its version is frozen.
EDITABLE_QUESTION_FIELDS = ("text", "text_en", "text_lo", "required")


@transaction.atomic
def instrument_create_from_template(
    *, actor: User, owner_unit: OrgUnit, template: str
) -> Instrument:
    """A new instrument (version 1) for ``owner_unit`` from one of the shipped templates."""
    if not has_role(actor, owner_unit, MANAGE_ROLES):
        refuse(_("You may not do this."))
    spec: dict[str, Any] = TEMPLATES[template]
    title, title_en, title_lo = spec["title"]
    instrument = Instrument.objects.create(
        owner_unit=owner_unit,
        title=title,
        title_en=title_en,
        title_lo=title_lo,
        group=spec["group"],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    version = InstrumentVersion.objects.create(
        instrument=instrument, number=1, intro=INTRO[0], intro_en=INTRO[1], intro_lo=INTRO[2]
    )
    areas = {a.code: a for a in Area.objects.all()}
    by_code: dict[str, Question] = {}
    for s_order, (s_titles, questions) in enumerate(spec["sections"], start=1):
        section = Section.objects.create(
            version=version,
            order=s_order,
            title=s_titles[0],
            title_en=s_titles[1],
            title_lo=s_titles[2],
        )
        for q_order, (code, kind, texts, options) in enumerate(questions, start=1):
            show_if = options.get("show_if")
            question = Question.objects.create(
                version=version,
                section=section,
                order=q_order,
                code=code,
                kind=kind,
                text=texts[0],
                text_en=texts[1],
                text_lo=texts[2],
                required=options.get("required", False),
                area=areas.get(options.get("area")),
                min_value=options.get("min"),
                max_value=options.get("max"),
                show_if=by_code[show_if[0]] if show_if else None,
                show_if_values=list(show_if[1]) if show_if else [],
            )
            for value, labels in options.get("choices", []):
                Choice.objects.create(
                    question=question,
                    value=value,
                    label=labels[0],
                    label_en=labels[1],
                    label_lo=labels[2],
                )
            by_code[code] = question
    # An instrument has versions, not states: its history records each one.
    record_transition(
        instrument, actor=actor, action="create", from_state="", to_state="v1", reason=template
    )
    return instrument


def _editable(version: InstrumentVersion, actor: User) -> InstrumentVersion:
    """``version`` locked for a change of its questions, which ``actor`` may make."""
    version = lock(version)
    if version.is_frozen:
        refuse(
            _(
                "This version already has responses, so its questions are frozen. Make a new version."
            )
        )
    if not version.instrument.can_manage(actor):
        refuse(_("You may not do this."))
    return version


@transaction.atomic
def version_new(instrument: Instrument, *, actor: User) -> InstrumentVersion:
    """Copy the latest version into a new, editable one."""
    instrument = lock(instrument)
    if not instrument.can_manage(actor):
        refuse(_("You may not do this."))
    source = instrument.latest_version()
    version = InstrumentVersion.objects.create(
        instrument=instrument,
        number=source.number + 1,
        intro=source.intro,
        intro_en=source.intro_en,
        intro_lo=source.intro_lo,
    )
    question_map: dict[int, Question] = {}
    for section in source.sections.all():
        new_section = Section.objects.create(
            version=version,
            order=section.order,
            title=section.title,
            title_en=section.title_en,
            title_lo=section.title_lo,
        )
        for question in section.questions.order_by("order").prefetch_related("choices"):
            choices = list(question.choices.all())
            old_pk = question.pk
            question.pk = None
            question.version, question.section = version, new_section
            question.show_if = question_map.get(question.show_if_id)
            question.save()
            question_map[old_pk] = question
            Choice.objects.bulk_create(
                Choice(
                    question=question,
                    value=c.value,
                    label=c.label,
                    label_en=c.label_en,
                    label_lo=c.label_lo,
                )
                for c in choices
            )
    record_transition(
        instrument,
        actor=actor,
        action="new_version",
        from_state=f"v{source.number}",
        to_state=f"v{version.number}",
    )
    return version


@transaction.atomic
def section_add(
    version: InstrumentVersion, *, actor: User, title: str, title_en: str = "", title_lo: str = ""
) -> Section:
    version = _editable(version, actor)
    order = (version.sections.aggregate(m=Max("order"))["m"] or 0) + 1
    return Section.objects.create(
        version=version, order=order, title=title, title_en=title_en, title_lo=title_lo
    )


@transaction.atomic
def question_add(
    section: Section,
    *,
    actor: User,
    choices: Iterable[tuple[int, str, str, str]] = (),
    **fields: Any,
) -> Question:
    """Add a question to an unfrozen version. ``choices`` is a list of (value, vi, en, lo)."""
    version = _editable(section.version, actor)
    choices = list(choices)
    kind = fields.get("kind")
    if kind == QuestionKind.LIKERT and not fields.get("area"):
        refuse(_("A Likert question needs an area."), field="area")
    if kind in CHOICE_KINDS and len(choices) < 2:
        refuse(_("Give at least two options, one per line."), field="choices")
    show_if = fields.get("show_if")
    if show_if is not None and (
        show_if.version_id != version.pk or show_if.section.order >= section.order
    ):
        refuse(_("Show-if must depend on a question in an earlier section."), field="show_if")
    if Question.objects.filter(version=version, code=fields.get("code")).exists():
        refuse(_("Another question of this version has this code."), field="code")
    order = (section.questions.aggregate(m=Max("order"))["m"] or 0) + 1
    question = Question.objects.create(version=version, section=section, order=order, **fields)
    Choice.objects.bulk_create(
        Choice(question=question, value=v, label=vi, label_en=en, label_lo=lo)
        for v, vi, en, lo in choices
    )
    return question


@transaction.atomic
def question_update(question: Question, *, actor: User, **fields: Any) -> Question:
    """Change the wording (in each language) or the required flag of an unfrozen question."""
    _editable(question.version, actor)
    unknown = set(fields) - set(EDITABLE_QUESTION_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    if not (fields.get("text", question.text) or "").strip():
        refuse(_("The Vietnamese wording is required."), field="text")
    for name, value in fields.items():
        setattr(question, name, value)
    question.save(update_fields=list(fields))
    return question


@transaction.atomic
def question_delete(question: Question, *, actor: User) -> None:
    _editable(question.version, actor)
    if question.dependents.exists():
        refuse(_("Another question's show-if depends on this one."))
    question.delete()
