"""Read-and-acknowledge coverage, kept as a roll-up (``CoverageCount``).

**Definition** (the documents app's coverage page for a unit, ``services.unit_coverage``, and
the director dashboard both use it, so their numbers agree):

- An effective revision *reaches* a person whose account is active when a current (not ended)
  entry of its distribution names them, or a unit at or above one of their active memberships,
  and they may open it: a restricted document reaches only the people on its readers list.
- Each person counts **once per revision, at their home unit**: of the units of their active
  memberships, the deepest in the tree (ties: the first by tree path). A teacher who also sits
  on the division's committee counts at the school; someone working at two schools counts at
  the first. A person with no active membership counts nowhere, even when named.
- The coverage of a unit's subtree sums, over the revisions reaching people whose home unit
  lies in the subtree, the (revision, person) pairs (*expected*) and those of them the person
  acknowledged (*acknowledged*).

**Roll-up.** One ``CoverageCount`` row per (effective revision, home unit) with people reached,
so a subtree's coverage is a sum over rows by tree-path prefix, whatever the number of people.
Kept correct by:

- ``acknowledged()``: +1 on the row, in the acknowledgement's transaction;
- ``drop()``: a revision that stops being effective (superseded, withdrawn) loses its rows in
  the same transaction;
- ``schedule()``: after commit, a task re-counts what a change may have moved: the revisions
  whose distribution changed or that became effective, and the units of people whose
  memberships or account changed (their home unit, old and new, is among their memberships'
  units, which are re-counted from scratch for every revision);
- ``rebuild()``: everything from scratch, nightly (beat) and after bulk loads (``seed_scale``,
  the demo), also ``manage.py rebuild_coverage``.

A re-count locks the effective revisions it covers (``SELECT … FOR UPDATE``), and an
acknowledgement locks its revision, so the two never interleave on the same revision.
"""

import logging

from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import Substr

from ims.cache import replace_token
from ims.models import Membership, OrgUnit, User

from .models import (
    Acknowledgement,
    Confidentiality,
    CoverageCount,
    Distribution,
    Document,
    Revision,
    RevisionStatus,
)

logger = logging.getLogger(__name__)
# Replaced after every committed write to the roll-up: readers that cache sums of it (the
# dashboard) key them on this token.
VERSION_KEY = "documents:coverage:version"


def _tables():
    return {
        "count": CoverageCount._meta.db_table,
        "revision": Revision._meta.db_table,
        "distribution": Distribution._meta.db_table,
        "document": Document._meta.db_table,
        "readers": Document.restricted_to.through._meta.db_table,
        "ack": Acknowledgement._meta.db_table,
        "membership": Membership._meta.db_table,
        "user": User._meta.db_table,
        "unit": OrgUnit._meta.db_table,
    }


def _in(column, ids):
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _counts_sql(revision_ids=None, unit_ids=None):
    """(sql, params): rows (revision_id, unit_id, expected, acknowledged), from scratch,
    limited to ``revision_ids`` and/or to the home units ``unit_ids`` when given."""
    t = _tables()
    home_where, home_params = "", []
    rev_where, rev_params = "", []
    if unit_ids is not None:
        people, people_params = _in("unit_id", unit_ids)
        home_where = f"AND m.user_id IN (SELECT user_id FROM {t['membership']} WHERE {people})"  # noqa: S608
        home_params = people_params
    if revision_ids is not None:
        rev_where, rev_params = _in("r.id", revision_ids)
        rev_where = f"AND {rev_where}"
    # The home unit: the smallest "(199 - depth) + path" of the person's memberships, i.e. the
    # deepest unit, then the first path (depth < 100; paths are unique). An aggregate rather
    # than a window function: the planner then expects one row per person.
    home = f"""
        SELECT chosen.user_id, hu.id AS unit_id FROM (
            SELECT m.user_id, MIN(CAST(199 - u.depth AS TEXT) || u.path) AS home_key
            FROM {t["membership"]} m
            JOIN {t["user"]} p ON p.id = m.user_id
            JOIN {t["unit"]} u ON u.id = m.unit_id
            WHERE m.is_active = %s AND p.is_active = %s {home_where}
            GROUP BY m.user_id
        ) chosen
        JOIN {t["unit"]} hu ON hu.path = SUBSTR(chosen.home_key, 4)"""  # noqa: S608 - table names from model metadata
    homes = f"({home}) home"

    # A current distribution entry (not ended) of an effective revision; a restricted document
    # reaches only its listed readers.
    def readable(person):
        return f"""(doc.confidentiality <> %s OR EXISTS (
            SELECT 1 FROM {t["readers"]} rd WHERE rd.document_id = doc.id AND rd.user_id = {person}
        ))"""  # noqa: S608 - as above

    named = f"""
        SELECT d.revision_id, d.user_id
        FROM {t["distribution"]} d
        JOIN {t["revision"]} r ON r.id = d.revision_id
        JOIN {t["document"]} doc ON doc.id = r.document_id
        WHERE r.status = %s AND d.user_id IS NOT NULL AND d.ended_at IS NULL
            AND {readable("d.user_id")} {rev_where}"""  # noqa: S608 - as above
    # A unit's subtree: paths from the unit's path up to (excluded) the path followed by "~",
    # which sorts after every path character ("0"–"9" and "/").
    through_units = f"""
        SELECT d.revision_id, m.user_id
        FROM {t["distribution"]} d
        JOIN {t["revision"]} r ON r.id = d.revision_id
        JOIN {t["document"]} doc ON doc.id = r.document_id
        JOIN {t["unit"]} du ON du.id = d.unit_id
        JOIN {t["unit"]} mu ON mu.path >= du.path AND mu.path < du.path || '~'
        JOIN {t["membership"]} m ON m.unit_id = mu.id AND m.is_active = %s
        JOIN {homes} ON home.user_id = m.user_id
        WHERE r.status = %s AND d.ended_at IS NULL AND {readable("m.user_id")} {rev_where}"""  # noqa: S608 - as above
    sql = f"""
        SELECT pairs.revision_id, home.unit_id, COUNT(*), COUNT(a.id)
        FROM ({named} UNION {through_units}) pairs
        JOIN {homes} ON home.user_id = pairs.user_id
        LEFT JOIN {t["ack"]} a ON a.revision_id = pairs.revision_id AND a.user_id = pairs.user_id
        GROUP BY pairs.revision_id, home.unit_id"""  # noqa: S608 - as above
    effective = RevisionStatus.EFFECTIVE.value
    restricted = Confidentiality.RESTRICTED.value
    params = [
        effective,
        restricted,
        *rev_params,
        True,
        True,
        True,
        *home_params,
        effective,
        restricted,
        *rev_params,
        True,
        True,
        *home_params,
    ]
    return sql, params


def compute(revision_ids=None, unit_ids=None):
    """{(revision_id, unit_id): (expected, acknowledged)} computed from scratch (no roll-up):
    what the roll-up rows must hold. Used by ``recount`` and by the tests."""
    sql, params = _counts_sql(revision_ids, unit_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(r, u): (expected, done) for r, u, expected, done in cursor.fetchall()}


@transaction.atomic
def recount(revision_ids=None, unit_ids=None):
    """Re-count the rows of ``revision_ids`` (default: every revision) at ``unit_ids``
    (default: every unit) from scratch. Returns the number of rows written."""
    if revision_ids is not None:
        revision_ids = sorted(set(revision_ids))
    if unit_ids is not None:
        unit_ids = sorted(set(unit_ids))
    if revision_ids == [] or unit_ids == []:
        return 0
    locked = Revision.objects.filter(status=RevisionStatus.EFFECTIVE)
    if revision_ids is not None:
        locked = locked.filter(pk__in=revision_ids)
    # Lock the rows without loading them into model instances.
    list(locked.select_for_update().order_by("pk").values_list("pk", flat=True))
    stale = CoverageCount.objects.all()
    if revision_ids is not None:
        stale = stale.filter(revision_id__in=revision_ids)
    if unit_ids is not None:
        stale = stale.filter(unit_id__in=unit_ids)
    stale.delete()
    sql, params = _counts_sql(revision_ids, unit_ids)
    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {t['count']} (revision_id, unit_id, expected, acknowledged) {sql}",
            params,
        )
        written = cursor.rowcount
    replace_token(VERSION_KEY)
    return written


def rebuild():
    """Every row from scratch (nightly, and after bulk loads that bypass the services)."""
    return recount()


def home_unit(user_id):
    """The id of ``user_id``'s home unit (definition above), or None."""
    row = (
        Membership.objects.active()
        .filter(user_id=user_id)
        .order_by("-unit__depth", "unit__path")
        .values_list("unit_id", flat=True)
        .first()
    )
    return row


def home_of(memberships):
    """The home unit among ``memberships`` (active ones, with their units loaded), or None."""
    active = [m.unit for m in memberships if m.is_active]
    if not active:
        return None
    return min(active, key=lambda unit: (-unit.depth, unit.path))


def acknowledged(revision, user):
    """Count one new acknowledgement, inside its transaction (the revision row is locked).
    Falls back to re-counting the person's units when the roll-up has no row to add to."""
    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {t["count"]} SET acknowledged = acknowledged + 1
                WHERE revision_id = %s AND unit_id = (
                    SELECT m.unit_id FROM {t["membership"]} m
                    JOIN {t["unit"]} u ON u.id = m.unit_id
                    WHERE m.user_id = %s AND m.is_active = %s
                    ORDER BY u.depth DESC, u.path LIMIT 1)""",  # noqa: S608 - model metadata
            [revision.pk, user.pk, True],
        )
        if cursor.rowcount:
            replace_token(VERSION_KEY)
            return
    units = list(Membership.objects.filter(user=user).values_list("unit_id", flat=True))
    recount([revision.pk], units)


def drop(revision_ids):
    """Remove the rows of revisions that are no longer effective (same transaction)."""
    CoverageCount.objects.filter(revision_id__in=list(revision_ids)).delete()
    replace_token(VERSION_KEY)


def schedule(*, revision_ids=(), user_ids=(), unit_ids=(), everything=False):
    """After commit, re-count what a change may have moved (in a worker when there is one).
    ``user_ids``: people whose memberships or account changed; their memberships' units (all,
    active or not: the old home unit is among them) are re-counted. ``unit_ids``: more units to
    re-count (e.g. of a membership that was deleted)."""
    revision_ids, user_ids, unit_ids = list(revision_ids), list(user_ids), list(unit_ids)
    if not (revision_ids or user_ids or unit_ids or everything):
        return
    transaction.on_commit(
        lambda: _enqueue(revision_ids, user_ids, unit_ids, everything), robust=True
    )


def _enqueue(revision_ids, user_ids, unit_ids, everything):
    from ims.celery import app

    from .tasks import recount_coverage_task

    args = [revision_ids, user_ids, unit_ids, everything]
    try:
        with app.connection_for_write() as connection_:
            recount_coverage_task.apply_async(args=args, retry=False, connection=connection_)
    except Exception as error:  # noqa: BLE001 — broker failures take many shapes
        logger.warning("Broker unavailable (%s): re-counting coverage inline", error)
        recount_changes(*args)


def recount_changes(revision_ids, user_ids, unit_ids, everything=False):
    """What ``schedule`` queued: the task's body."""
    if everything:
        return rebuild()
    written = 0
    if revision_ids:
        written += recount(revision_ids)
    units = set(unit_ids)
    if user_ids:
        units.update(
            Membership.objects.filter(user_id__in=user_ids).values_list("unit_id", flat=True)
        )
    if units:
        written += recount(unit_ids=units)
    return written


def subtree_totals(scope, visible_revisions=None):
    """{child key: (expected, acknowledged)} of ``scope``'s subtree from the roll-up, grouped
    by the first ``len(scope.path) + segment`` characters of the home unit's path (the child
    unit, or the scope itself for people at the scope). ``visible_revisions``: a queryset of
    revisions to keep (the viewer's), None for all. One query."""
    from ims.models.org import PATH_SEGMENT_WIDTH

    rows = CoverageCount.objects.filter(
        unit__path__startswith=scope.path, revision__status=RevisionStatus.EFFECTIVE
    )
    if visible_revisions is not None:
        rows = rows.filter(revision__in=visible_revisions.values("pk"))
    width = len(scope.path) + PATH_SEGMENT_WIDTH + 1
    return {
        row["key"]: (row["expected"] or 0, row["done"] or 0)
        for row in rows.annotate(key=Substr("unit__path", 1, width))
        .order_by()
        .values("key")
        .annotate(expected=Sum("expected"), done=Sum("acknowledged"))
    }


# --- changes made outside documents (memberships, accounts, the tree) ---------------------------


def _remember_membership(sender, instance, **kwargs):
    instance._coverage_unit_id = instance.unit_id


def _membership_changed(sender, instance, **kwargs):
    units = {instance.unit_id, getattr(instance, "_coverage_unit_id", None)} - {None}
    schedule(user_ids=[instance.user_id], unit_ids=units)
    instance._coverage_unit_id = instance.unit_id


def _user_saved(sender, instance, created=False, update_fields=None, **kwargs):
    # Signing in saves ``last_login`` only; only a change that may touch ``is_active`` counts.
    if created or (update_fields is not None and "is_active" not in update_fields):
        return
    schedule(user_ids=[instance.pk])


def _remember_parent(sender, instance, **kwargs):
    instance._coverage_parent_id = instance.parent_id


def _unit_saved(sender, instance, created=False, **kwargs):
    # A unit moved: distributions to the units above reach other people now.
    if not created and getattr(instance, "_coverage_parent_id", None) != instance.parent_id:
        schedule(everything=True)
    instance._coverage_parent_id = instance.parent_id


def connect():
    """Hook the roll-up to the changes of the core's models (called from ``AppConfig.ready``)."""
    from django.db.models.signals import post_delete, post_init, post_save

    uid = "documents.coverage"
    post_init.connect(_remember_membership, sender=Membership, dispatch_uid=f"{uid}.m_init")
    post_save.connect(_membership_changed, sender=Membership, dispatch_uid=f"{uid}.m_save")
    post_delete.connect(_membership_changed, sender=Membership, dispatch_uid=f"{uid}.m_delete")
    post_save.connect(_user_saved, sender=User, dispatch_uid=f"{uid}.u_save")
    post_init.connect(_remember_parent, sender=OrgUnit, dispatch_uid=f"{uid}.o_init")
    post_save.connect(_unit_saved, sender=OrgUnit, dispatch_uid=f"{uid}.o_save")
