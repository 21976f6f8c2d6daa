"""Reminders of these kinds were keyed per day (``kind:item:user:YYYY-MM-DD``) and kept once-only
by looking for any earlier day; they are now ``once`` reminders (``kind:item:user``), which the
unique key alone keeps once-only. Rewriting the keys already sent keeps them from being sent
again under the new key."""

import re

from django.db import migrations

ONCE_KINDS = [
    "documents.review_due",
    "documents.review_overdue",
    "documents.ack_overdue",
    "nc_action_due",
    "nc_action_overdue",
    "nc_action_escalated",
    "nc_action_director",
    "nc_verification_due",
]
DAY_SUFFIX = re.compile(r"^(?P<once>.+:\d+):\d{4}-\d{2}-\d{2}$")


def once_keys(apps, schema_editor):
    """Drop the day from each key of ``ONCE_KINDS``. When a stage was written on two days (it
    should not have been), the earliest takes the key and the others keep theirs."""
    Notification = apps.get_model("ims", "Notification")
    taken = set(
        Notification.objects.filter(kind__in=ONCE_KINDS, dedupe_key__isnull=False).values_list(
            "dedupe_key", flat=True
        )
    )
    rows = (
        Notification.objects.filter(kind__in=ONCE_KINDS, dedupe_key__isnull=False)
        .order_by("created_at", "pk")
        .values_list("pk", "kind", "dedupe_key")
    )
    for pk, kind, key in list(rows):
        match = DAY_SUFFIX.match(key)
        if match is None or not key.startswith(f"{kind}:"):
            continue  # already a once key, or a long key stored as a hash
        once = match["once"]
        if once in taken:
            continue
        Notification.objects.filter(pk=pk).update(dedupe_key=once)
        taken.add(once)


class Migration(migrations.Migration):
    dependencies = [
        ("ims", "0013_notification_category"),
    ]

    operations = [
        migrations.RunPython(once_keys, migrations.RunPython.noop),
    ]
