"""A plain submission path: responses are stored and counted in the submitting transaction.

- Every staged response (``StagedResponse``, filled by the retired batch fold) becomes a
  ``Response`` and is added to the counters, then the staging table is dropped: no stored
  response is lost.
- The counter tables get a ``shard`` column in their key (existing rows are shard 0).
- A submission claim keeps a date (``expires_on``), no time.
"""

from collections import Counter

from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import TruncDate


def claims_to_dates(apps, schema_editor):
    SubmissionClaim = apps.get_model("surveys", "SubmissionClaim")
    SubmissionClaim.objects.update(expires_on=TruncDate("expires_at"))


def _add(model, counts, key_fields):
    for key, n in sorted(counts.items()):
        lookup = dict(zip(key_fields, key, strict=True))
        if not model.objects.filter(**lookup).update(count=F("count") + n):
            model.objects.create(**lookup, count=n)


def fold_staged_rows(apps, schema_editor):
    """Move the staged responses into ``Response`` and count them (shard 0)."""
    StagedResponse = apps.get_model("surveys", "StagedResponse")
    Response = apps.get_model("surveys", "Response")
    InstrumentVersion = apps.get_model("surveys", "InstrumentVersion")
    models_ = {
        name: apps.get_model("surveys", name)
        for name in ("UnitTally", "QuestionTally", "ValueTally")
    }
    while True:
        rows = list(StagedResponse.objects.order_by("pk")[:2000])
        if not rows:
            return
        units, questions, values = Counter(), Counter(), Counter()
        for row in rows:
            where = (row.campaign_id, row.unit_id, 0)
            units[where] += 1
            for question in {item[0] for item in row.answers}:
                questions[(*where, question)] += 1
            for question, value, _text in row.answers:
                if value is not None:
                    values[(*where, question, value)] += 1
        Response.objects.bulk_create(
            Response(
                id=row.id,
                campaign_id=row.campaign_id,
                version_id=row.version_id,
                unit_id=row.unit_id,
                submitted_on=row.submitted_on,
                language=row.language,
                answers=row.answers,
            )
            for row in rows
        )
        _add(models_["UnitTally"], units, ("campaign_id", "unit_id", "shard"))
        _add(
            models_["QuestionTally"], questions, ("campaign_id", "unit_id", "shard", "question_id")
        )
        _add(
            models_["ValueTally"],
            values,
            ("campaign_id", "unit_id", "shard", "question_id", "value"),
        )
        InstrumentVersion.objects.filter(pk__in={row.version_id for row in rows}).update(
            has_responses=True
        )
        StagedResponse.objects.filter(pk__in=[row.pk for row in rows]).delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0013_free_text_grant")]

    operations = [
        # Counter rows split in shards.
        migrations.RemoveConstraint(model_name="unittally", name="surveys_unittally_key"),
        migrations.RemoveConstraint(model_name="questiontally", name="surveys_questiontally_key"),
        migrations.RemoveConstraint(model_name="valuetally", name="surveys_valuetally_key"),
        migrations.AddField(
            model_name="unittally",
            name="shard",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="questiontally",
            name="shard",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="valuetally",
            name="shard",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddConstraint(
            model_name="unittally",
            constraint=models.UniqueConstraint(
                fields=("campaign", "unit", "shard"), name="surveys_unittally_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="questiontally",
            constraint=models.UniqueConstraint(
                fields=("campaign", "unit", "question", "shard"),
                name="surveys_questiontally_key",
            ),
        ),
        migrations.AddConstraint(
            model_name="valuetally",
            constraint=models.UniqueConstraint(
                fields=("campaign", "unit", "question", "value", "shard"),
                name="surveys_valuetally_key",
            ),
        ),
        # Claims keep a date only.
        migrations.AddField(
            model_name="submissionclaim",
            name="expires_on",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(claims_to_dates, migrations.RunPython.noop),
        migrations.RemoveField(model_name="submissionclaim", name="expires_at"),
        migrations.AlterField(
            model_name="submissionclaim",
            name="expires_on",
            field=models.DateField(db_index=True),
        ),
        # Staged responses become responses, counted; the staging table goes.
        migrations.RunPython(fold_staged_rows, migrations.RunPython.noop),
        migrations.DeleteModel(name="StagedResponse"),
    ]
