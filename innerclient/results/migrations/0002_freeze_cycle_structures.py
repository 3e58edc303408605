"""Cycles that opened before structures were frozen get one: the department list their
first results version was computed on (the structure of the day otherwise), so that a later
recomputation uses the same department codes."""

from django.db import migrations


def freeze(apps, schema_editor):
    Cycle = apps.get_model("surveys", "Cycle")
    Department = apps.get_model("org", "Department")
    InteractionLink = apps.get_model("org", "InteractionLink")
    ResultSnapshot = apps.get_model("results", "ResultSnapshot")
    for cycle in Cycle.objects.exclude(status="draft").filter(structure={}):
        first = ResultSnapshot.objects.filter(cycle=cycle).order_by("version").first()
        if first is not None:
            departments = sorted(first.departments)
        else:
            departments = sorted(
                Department.objects.filter(organization_id=cycle.organization_id).values_list(
                    "pk", flat=True
                )
            )
        volume = [
            list(row)
            for row in InteractionLink.objects.filter(organization_id=cycle.organization_id)
            .order_by("provider_id", "client_id")
            .values_list("provider_id", "client_id", "volume")
        ]
        cycle.structure = {"departments": departments, "volume": volume}
        cycle.save(update_fields=["structure"])


class Migration(migrations.Migration):
    dependencies = [
        ("results", "0001_initial"),
        ("surveys", "0005_cycle_structure"),
        ("org", "0001_initial"),
    ]

    operations = [migrations.RunPython(freeze, migrations.RunPython.noop)]
