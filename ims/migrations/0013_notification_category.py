from django.db import migrations, models

# The kinds that asked their recipient to act when the category was introduced; from then on
# ``ims.notifications.notify`` sets the category from the kinds the apps register.
ACTION_KINDS = [
    "documents.review",
    "documents.approve",
    "documents.returned",
    "documents.distributed",
    "documents.ack_overdue",
    "documents.review_due",
    "documents.review_overdue",
    "nc_raised",
    "nc_action_assigned",
    "nc_reopened",
    "nc_action_due",
    "nc_action_overdue",
    "nc_action_escalated",
    "nc_action_director",
    "nc_verification_due",
    "audits.team",
    "audits.report_overdue",
    "survey_low_response",
]


def categorise(apps, schema_editor):
    Notification = apps.get_model("ims", "Notification")
    Notification.objects.filter(kind__in=ACTION_KINDS).update(category="action")


class Migration(migrations.Migration):
    dependencies = [
        ("ims", "0012_signature_meaning_closed"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="category",
            field=models.CharField(
                choices=[("action", "Needs you"), ("info", "For information")],
                default="info",
                max_length=6,
                verbose_name="category",
            ),
        ),
        migrations.RunPython(categorise, migrations.RunPython.noop),
    ]
