"""The questions of an instrument version, as the answering pages and results read them.

A version is frozen once it has a response (``InstrumentVersion.has_responses``; the services
and the models refuse to change a frozen version's questions and choices). A frozen version's
questions therefore never change, so each process keeps them after the first load, keyed by
the version (id and creation time), with their answering rules: the answering pages and the
submission then validate without a query. A version that is not frozen yet is read from the
database every time, so an edit made before the first response is always seen.
"""

import threading

from django.db.models import Prefetch

from surveys.answering import rules
from surveys.models import Choice, Question

MAX_CACHED_VERSIONS = 64  # a province runs a handful of instruments at a time

_frozen = {}
_lock = threading.Lock()


def load_questions(version_id):
    """The questions of a version in answering order, with their section, area and choices."""
    return list(
        Question.objects.filter(version_id=version_id)
        .select_related("section", "area")
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("value")))
        .order_by("section__order", "order")
    )


def version_questions(version):
    """The questions of ``version`` (an ``InstrumentVersion``): cached in the process when the
    version is frozen, read from the database otherwise. Treat the result as read-only."""
    return _version(version)[0]


def version_rules(version):
    """The answering rules (``surveys.answering.Rule``) of ``version``'s questions, in order;
    cached like the questions."""
    return _version(version)[1]


def _version(version):
    if not version.has_responses:
        return _load(version.pk)
    return _frozen_version(version.pk, version.created_at)


def frozen_questions(version_id, created_at):
    """The questions of a version known to be frozen (it has responses), by its id and
    creation time: cached like ``version_questions``."""
    return _frozen_version(version_id, created_at)[0]


def _frozen_version(version_id, created_at):
    # The creation time is part of the key: an id reused (a restored database, a test's
    # rolled-back transaction) is another version.
    key = (version_id, created_at)
    loaded = _frozen.get(key)
    if loaded is None:
        loaded = _load(version_id)
        with _lock:
            if len(_frozen) >= MAX_CACHED_VERSIONS:
                _frozen.clear()
            _frozen[key] = loaded
    return loaded


def _load(version_id):
    questions = load_questions(version_id)
    return questions, rules(questions)


def forget(version_id=None):
    """Drop the cached questions of one version (or of all): for tests and data repairs."""
    with _lock:
        if version_id is None:
            _frozen.clear()
        else:
            for key in [key for key in _frozen if key[0] == version_id]:
                del _frozen[key]
