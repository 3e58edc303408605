"""A response stores only whether it is a self-assessment: "employee" and "head" both become
"client", so that no response says it was written by a department's head."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    Response = apps.get_model("surveys", "Response")
    Response.objects.filter(rater_kind__in=["employee", "head"]).update(rater_kind="client")


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="response",
            name="rater_kind",
            field=models.CharField(
                choices=[("client", "A client department's rater"), ("self", "Self-assessment")],
                max_length=10,
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
