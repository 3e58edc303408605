"""A closed cycle keeps per-department counts and nothing per invitation.

``CycleDepartmentCount`` holds, per rater department, how many were invited, started and
finished and what they were asked to rate. For cycles already closed or published it is filled
from their invitations and assignments (as ``surveys.completion.cycle_counts_keep`` does at
close); then their assignments are deleted and their invitations keep only who was invited.
"""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models

FINISHED = ["closed", "published"]


def forwards(apps, schema_editor):
    Assignment = apps.get_model("surveys", "Assignment")
    Invitation = apps.get_model("surveys", "Invitation")
    CycleDepartmentCount = apps.get_model("surveys", "CycleDepartmentCount")
    Cycle = apps.get_model("surveys", "Cycle")
    for cycle_id in Cycle.objects.filter(status__in=FINISHED).values_list("pk", flat=True):
        counts: dict[int, dict] = {}

        def row(department_id):
            return counts.setdefault(
                department_id,
                {"invited": 0, "started": 0, "completed": 0, "ratings": 0, "self": 0},
            )

        providers: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for department_id, status in Invitation.objects.filter(cycle_id=cycle_id).values_list(
            "person__department_id", "status"
        ):
            found = row(department_id)
            found["invited"] += 1
            if status in ("started", "completed"):
                found[status] += 1
        for department_id, provider_id, kind in Assignment.objects.filter(
            invitation__cycle_id=cycle_id
        ).values_list("invitation__person__department_id", "provider_id", "kind"):
            found = row(department_id)
            if kind == "self":
                found["self"] += 1
            else:
                found["ratings"] += 1
                providers[department_id][str(provider_id)] += 1
        CycleDepartmentCount.objects.bulk_create(
            CycleDepartmentCount(
                cycle_id=cycle_id,
                department_id=department_id,
                invited=found["invited"],
                started=found["started"],
                completed=found["completed"],
                ratings=found["ratings"],
                self_assessments=found["self"],
                providers=dict(sorted(providers[department_id].items())),
            )
            for department_id, found in counts.items()
        )
        Assignment.objects.filter(invitation__cycle_id=cycle_id).delete()
        Invitation.objects.filter(cycle_id=cycle_id).update(
            status="closed",
            completed_on=None,
            reminders_sent=0,
            last_reminded_at=None,
            claimed_by="",
            claimed_until=None,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0001_initial"),
        ("surveys", "0003_self_assessment_own_rater_key"),
    ]

    operations = [
        migrations.AlterField(
            model_name="invitation",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Not started"),
                    ("started", "Started"),
                    ("completed", "Completed"),
                    ("closed", "Cycle closed"),
                ],
                default="pending",
                max_length=12,
            ),
        ),
        migrations.CreateModel(
            name="CycleDepartmentCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("invited", models.PositiveIntegerField(default=0)),
                ("started", models.PositiveIntegerField(default=0)),
                ("completed", models.PositiveIntegerField(default=0)),
                ("ratings", models.PositiveIntegerField(default=0)),
                ("self_assessments", models.PositiveIntegerField(default=0)),
                ("providers", models.JSONField(blank=True, default=dict)),
                (
                    "cycle",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="department_counts",
                        to="surveys.cycle",
                    ),
                ),
                (
                    "department",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="org.department",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("cycle", "department"), name="cycle_department_count_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
