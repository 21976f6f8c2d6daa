"""What the dashboard keeps in the cache, and when it is thrown away.

- **Register indicators** (nonconformities, audits, documents, acknowledgement coverage) are
  cached per (scope, school year, day, viewer, language) under a *version token*. Any write to
  a model those numbers (or the viewer's access to them) depend on replaces the token, at once
  and again when its transaction commits, so the next request computes them again: a cached
  number is never older than the last committed change. The coverage roll-up, written in SQL by
  ``documents.coverage``, has its own token, replaced by that module after each write.
- **Satisfaction**: the card is keyed on each campaign's live and released numbers of
  responses (``surveys.results``: live at the Department, released in steps below it; both
  only grow) and whether it is closed, read with the campaigns (no extra query): a new
  response or a release is shown at once. The sums per campaign and scope are keyed on a
  digest of the figures they are made of and of which are hidden. A closed campaign's are
  kept without expiry, an open one's for the registers' expiry.

A token missing from the cache (evicted, or the cache was cleared) is replaced by a new random
one, so entries written under an old token are never read again.

The tokens must live in a cache shared by every process that writes or serves pages: Redis, as
``ims/settings.py`` configures it whenever ``REDIS_URL`` is set. The in-process fallback (no
``REDIS_URL``) is right for ``runserver``'s single process only. Rows written in bulk without
the models' signals (``seed_scale``, the demo, a restore) are picked up when the entries expire
(``REGISTERS_SECONDS``) or at once after ``cache.clear()``.
"""

from documents.coverage import VERSION_KEY as COVERAGE_VERSION_KEY
from ims.cache import replace_token, tokens

REGISTERS_VERSION_KEY = "dashboard:registers:version"
REGISTERS_SECONDS = 3600


def versions():
    """The current (registers, coverage) tokens, one cache round trip when they exist."""
    return tokens(REGISTERS_VERSION_KEY, COVERAGE_VERSION_KEY)


def bump_registers():
    replace_token(REGISTERS_VERSION_KEY)


def _changed(sender, **kwargs):
    if kwargs.get("update_fields") is not None and set(kwargs["update_fields"]) <= {"last_login"}:
        return  # signing in changes nothing the dashboard counts
    bump_registers()


def connect():
    """Replace the registers token on every write to what the register indicators read
    (called from ``AppConfig.ready``). ``QuerySet.update()`` sends no signal: the services
    these numbers come from save rows one by one."""
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from guardian.models import UserObjectPermission

    from audits.models import Audit, AuditProgramme, Finding
    from documents.models import Acknowledgement, Distribution, Document, Revision
    from ims.models import Membership, OrgUnit, User
    from nonconformities.models import CorrectiveAction, Nonconformity

    models = [
        Nonconformity,
        CorrectiveAction,
        Audit,
        AuditProgramme,
        Finding,
        Document,
        Revision,
        Distribution,
        Acknowledgement,
        Membership,
        OrgUnit,
        User,
        UserObjectPermission,
    ]
    for model in models:
        uid = f"dashboard.caching.{model._meta.label_lower}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete")
    for through in (
        Audit.scope_units.through,
        Document.restricted_to.through,
        Revision.reviewers.through,
    ):
        m2m_changed.connect(
            _changed, sender=through, dispatch_uid=f"dashboard.caching.{through._meta.label_lower}"
        )
