"""Every write to documents: one function per lifecycle step, each atomic and recorded through
the workflow kit (``ims.workflow``).

Each step locks the row, checks the declared step and its predicate (including separation of
duties), changes the state, writes a ``TransitionEvent`` and schedules its notifications after
commit. Views and tasks call these; nothing else sets a status. The acting person is always
``actor=``. Read-only queries live in ``documents.selectors`` (re-exported here).
"""

from documents.selectors import (
    coverage,
    managed_paths,
    recipients,
    revisions_to_acknowledge,
    unit_coverage,
)

from .acknowledgement import (
    ACK_NEEDS_OPENING,
    remind_unread,
    revision_acknowledge,
    revision_opened,
)
from .distribution import distribution_add, distribution_remove
from .documents import (
    can_author_in,
    document_confirm_review,
    document_create,
    document_update,
    document_withdraw,
)
from .mirror import sync_document
from .notices import notify_recipients
from .publishing import publish_due, revision_publish, revision_take_effect
from .revisions import (
    revision_approve,
    revision_create,
    revision_discard,
    revision_return,
    revision_review,
    revision_submit,
    revision_update,
)

__all__ = [
    "ACK_NEEDS_OPENING",
    "can_author_in",
    "coverage",
    "distribution_add",
    "distribution_remove",
    "document_confirm_review",
    "document_create",
    "document_update",
    "document_withdraw",
    "managed_paths",
    "notify_recipients",
    "publish_due",
    "recipients",
    "remind_unread",
    "revision_acknowledge",
    "revision_approve",
    "revision_create",
    "revision_discard",
    "revision_opened",
    "revision_publish",
    "revision_return",
    "revision_review",
    "revision_submit",
    "revision_take_effect",
    "revision_update",
    "revisions_to_acknowledge",
    "sync_document",
    "unit_coverage",
]
