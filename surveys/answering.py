"""Checking a respondent's answers: pure functions, shared by the answering pages and the
submit service, so the same rules hold page by page and for the whole response.

Answers travel as ``{question id (str): [value (str), ...]}``; a text answer is a one-item list.
Each question's rules are read once into a ``Rule`` (``rules``); the frozen-version cache
(``surveys.questions``) keeps them with the questions, so a page and a submission check
answers without touching a model attribute again.
"""

from django.utils.translation import gettext_lazy as _

from surveys.models import CHOICE_KINDS, QuestionKind

MAX_TEXT = {QuestionKind.SHORT_TEXT: 300, QuestionKind.LONG_TEXT: 3000}


class AnswerError(ValueError):
    """Answers that cannot be stored (tampered ids, values out of range)."""


class Rule:
    """What one question accepts and when it is shown, read once from the question."""

    __slots__ = (
        "question",
        "id",
        "key",
        "name",
        "section_id",
        "text_max",
        "choices",
        "low",
        "high",
        "multiple",
        "required",
        "show_if",
        "show_values",
    )

    def __init__(self, question):
        self.question = question
        self.id = question.id
        self.key = str(question.id)  # in answers
        self.name = f"q{question.id}"  # in the page's form
        self.section_id = question.section_id
        kind = question.kind
        self.text_max = MAX_TEXT.get(kind)  # None: a number
        self.choices = (
            frozenset(c.value for c in question.choices.all()) if kind in CHOICE_KINDS else None
        )
        self.low, self.high = question.value_range()
        self.multiple = kind == QuestionKind.MULTIPLE
        self.required = question.required
        self.show_if = str(question.show_if_id) if question.show_if_id else None
        self.show_values = frozenset(int(v) for v in question.show_if_values or ())

    def is_shown(self, answers):
        """Whether the question applies, given ``answers`` ({question id: [values]})."""
        if self.show_if is None:
            return True
        given = answers.get(self.show_if) or ()
        return any(int(v) in self.show_values for v in given if str(v).lstrip("-").isdecimal())

    def clean(self, raw_values):
        """The clean values of this question: a list (empty when unanswered); raises
        ``AnswerError`` with a message."""
        values = [value for raw in raw_values if (value := str(raw).strip())]
        if len(values) > 1 and not self.multiple:
            raise AnswerError(_("Please give one answer."))
        if self.text_max is not None:
            if any(len(v) > self.text_max for v in values):
                raise AnswerError(
                    _("Please keep this answer under %(n)d characters.") % {"n": self.text_max}
                )
            return values
        if self.multiple:
            return sorted({self._number(v) for v in values})
        return [self._number(v) for v in values]

    def _number(self, raw):
        try:
            value = int(raw)
        except ValueError:
            raise AnswerError(_("Please give a whole number.")) from None
        if self.choices is not None:
            if value not in self.choices:
                raise AnswerError(_("Please choose one of the options."))
            return value
        low, high = self.low, self.high
        if (low is not None and value < low) or (high is not None and value > high):
            if low is not None and high is not None:
                raise AnswerError(
                    _("Please give a value from %(low)d to %(high)d.") % {"low": low, "high": high}
                )
            raise AnswerError(_("This value is out of range."))
        return value


def rules(questions):
    """The rules of ``questions`` (in their order)."""
    return [Rule(question) for question in questions]


def clean_page(page_rules, data, answers):
    """Clean the answers of one page.

    ``data`` maps question id → list of raw values (from the POST); ``answers`` holds the answers
    of earlier pages (for show-if). Returns ``(cleaned, errors)``: cleaned answers of the shown
    questions, and a message per question id. Hidden questions are never required.
    """
    cleaned, errors = {}, {}
    for rule in page_rules:
        if not rule.is_shown(answers):
            continue
        key = rule.key
        try:
            values = rule.clean(data.get(key, ()))
        except AnswerError as error:
            errors[key] = error.args[0]
            cleaned[key] = [str(v) for v in data.get(key, ())]
            continue
        if not values and rule.required:
            errors[key] = _("This question needs an answer.")
        cleaned[key] = [str(v) for v in values]
    return cleaned, errors


def clean_response(all_rules, answers):
    """The final check of a whole response; returns ``{question id (int): [values]}`` of the
    shown, answered questions, in order (numbers as ``int``, texts as ``str``).

    Raises ``AnswerError`` on a question id that is not in the instrument, a bad value, or a
    missing required answer.
    """
    if not answers.keys() <= {rule.key for rule in all_rules}:
        raise AnswerError(_("The answers do not match this survey."))
    result, seen = {}, {}
    for rule in all_rules:  # in order, so show-if sees earlier answers only
        if not rule.is_shown(seen):
            continue
        values = rule.clean(answers.get(rule.key, ()))
        if not values:
            if rule.required:
                raise AnswerError(_("A required question has no answer."))
            continue
        result[rule.id] = values
        seen[rule.key] = values
    return result
