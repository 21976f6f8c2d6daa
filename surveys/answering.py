"""Checking a respondent's answers: pure functions, shared by the answering pages and the
submit service, so the same rules hold page by page and for the whole response.

Answers travel as ``{question id (str): [value (str), ...]}``; a text answer is a one-item list.
"""

from django.utils.translation import gettext_lazy as _

from surveys.models import CHOICE_KINDS, NUMERIC_KINDS, TEXT_KINDS, QuestionKind

MAX_TEXT = {QuestionKind.SHORT_TEXT: 300, QuestionKind.LONG_TEXT: 3000}


class AnswerError(ValueError):
    """Answers that cannot be stored (tampered ids, values out of range)."""


def parse_value(question, raw):
    """One raw value for ``question`` → a clean value, or raise ``AnswerError`` with a message."""
    raw = (raw or "").strip()
    if question.kind in TEXT_KINDS:
        if len(raw) > MAX_TEXT[question.kind]:
            raise AnswerError(
                _("Please keep this answer under %(n)d characters.")
                % {"n": MAX_TEXT[question.kind]}
            )
        return raw
    try:
        value = int(raw)
    except ValueError:
        raise AnswerError(_("Please give a whole number.")) from None
    if question.kind in CHOICE_KINDS:
        if value not in {c.value for c in question.choices.all()}:
            raise AnswerError(_("Please choose one of the options."))
        return value
    low, high = question.value_range()
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            raise AnswerError(
                _("Please give a value from %(low)d to %(high)d.") % {"low": low, "high": high}
            )
        raise AnswerError(_("This value is out of range."))
    return value


def clean_question(question, raw_values):
    """Clean values of one question: a list (empty when unanswered)."""
    values = [v for v in raw_values if str(v).strip() != ""]
    if question.kind != QuestionKind.MULTIPLE and len(values) > 1:
        raise AnswerError(_("Please give one answer."))
    cleaned = [parse_value(question, v) for v in values]
    if question.kind in TEXT_KINDS:
        cleaned = [v for v in cleaned if v]
    return sorted(set(cleaned)) if question.kind == QuestionKind.MULTIPLE else cleaned


def clean_page(questions, data, answers):
    """Clean the answers of one page.

    ``data`` maps question id → list of raw values (from the POST); ``answers`` holds the answers
    of earlier pages (for show-if). Returns ``(cleaned, errors)``: cleaned answers of the shown
    questions, and a message per question id. Hidden questions are never required.
    """
    cleaned, errors = {}, {}
    for question in questions:
        key = str(question.id)
        if not question.is_shown(answers):
            continue
        try:
            values = clean_question(question, data.get(key, []))
        except AnswerError as error:
            errors[key] = error.args[0]
            cleaned[key] = [str(v) for v in data.get(key, [])]
            continue
        if not values and question.required:
            errors[key] = _("This question needs an answer.")
        cleaned[key] = [str(v) for v in values]
    return cleaned, errors


def clean_response(questions, answers):
    """The final check of a whole response; returns ``{question: [values]}`` of shown answers.

    Raises ``AnswerError`` on a question id that is not in the instrument, a bad value, or a
    missing required answer.
    """
    by_id = {str(q.id): q for q in questions}
    unknown = set(answers) - set(by_id)
    if unknown:
        raise AnswerError(_("The answers do not match this survey."))
    result, seen = {}, {}
    for question in questions:  # in order, so show-if sees earlier answers only
        if not question.is_shown(seen):
            continue
        values = clean_question(question, answers.get(str(question.id), []))
        if not values:
            if question.required:
                raise AnswerError(_("A required question has no answer."))
            continue
        result[question] = values
        seen[str(question.id)] = [str(v) for v in values]
    return result


def is_numeric(question):
    return question.kind in NUMERIC_KINDS or question.kind in CHOICE_KINDS
