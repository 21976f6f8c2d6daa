from django.db import migrations


class Migration(migrations.Migration):
    """The one-INSERT baseline view served only the retired submission ratio (issue 20)."""

    dependencies = [("scale", "0001_initial")]

    operations = [migrations.DeleteModel(name="BaselineInsert")]
