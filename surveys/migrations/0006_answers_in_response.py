"""A response's answers become one JSON document on the response (``Response.answers``) instead
of one ``Answer`` row each: the existing rows are copied into their responses, then the table is
dropped. The redundant single-column index on ``Response.campaign`` goes too (the (campaign,
unit) index serves it)."""

import uuid
from collections import defaultdict
from itertools import batched

import django.db.models.deletion
from django.db import migrations, models


def answers_into_responses(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE surveys_response r SET answers = a.doc
                FROM (
                    SELECT response_id, jsonb_agg(
                        jsonb_build_array(question_id, value, text) ORDER BY question_id, value
                    ) AS doc
                    FROM surveys_answer GROUP BY response_id
                ) a
                WHERE a.response_id = r.id
                """
            )
        return
    Answer = apps.get_model("surveys", "Answer")
    Response = apps.get_model("surveys", "Response")
    docs = defaultdict(list)
    rows = Answer.objects.order_by("response_id", "question_id", "value")
    for response_id, question_id, value, text in rows.values_list(
        "response_id", "question_id", "value", "text"
    ).iterator(chunk_size=5000):
        docs[response_id].append([question_id, value, text])
    for chunk in batched(docs.items(), 1000):
        Response.objects.bulk_update(
            [Response(id=response_id, answers=doc) for response_id, doc in chunk], ["answers"]
        )


def answers_into_rows(apps, schema_editor):
    Answer = apps.get_model("surveys", "Answer")
    Response = apps.get_model("surveys", "Response")
    rows = (
        Answer(
            id=uuid.uuid4(), response_id=response_id, question_id=question, value=value, text=text
        )
        for response_id, doc in Response.objects.values_list("id", "answers").iterator(
            chunk_size=2000
        )
        for question, value, text in doc
    )
    for chunk in batched(rows, 5000):
        Answer.objects.bulk_create(chunk)


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0005_tally_fillfactor"),
    ]

    operations = [
        # Frees the name ``answers`` on Response (the reverse accessor of Answer.response).
        migrations.AlterField(
            model_name="answer",
            name="response",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="surveys.response",
            ),
        ),
        migrations.AddField(
            model_name="response",
            name="answers",
            field=models.JSONField(default=list),
        ),
        migrations.RunPython(answers_into_responses, answers_into_rows),
        migrations.DeleteModel(
            name="Answer",
        ),
        migrations.AlterField(
            model_name="response",
            name="campaign",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="responses",
                to="surveys.campaign",
            ),
        ),
    ]
