from django.db import migrations

import ims.search


def fill_search_text(apps, schema_editor):
    User = apps.get_model("ims", "User")
    people = list(User.objects.only("pk", "username", "full_name", "first_name", "last_name"))
    for person in people:
        person.search_text = ims.search.fold_join(
            person.username, person.full_name, person.first_name, person.last_name
        )
    User.objects.bulk_update(people, ["search_text"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("ims", "0008_historicalschoollevel_historicalunitkind"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="search_text",
            field=ims.search.SearchTextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
    ]
