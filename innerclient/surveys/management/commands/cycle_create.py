"""``manage.py cycle_create --org demo "2027 Q1" [settings]``: a draft cycle with its rater list."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from innerclient.surveys.cli import add_org_argument, organization_of, refusals_as_errors
from innerclient.surveys.criteria import criteria_set_default
from innerclient.surveys.models import CriteriaSet, Cycle, Scale
from innerclient.surveys.selectors import assignment_counts
from innerclient.surveys.services.cycles import CycleSettings, cycle_create


class Command(BaseCommand):
    help = "Create a draft evaluation cycle; its rater list is generated from the interaction map."

    def add_arguments(self, parser):
        add_org_argument(parser)
        parser.add_argument("name", help='The cycle\'s name, e.g. "2027 Q1".')
        parser.add_argument(
            "--criteria-set", type=int, help="Criteria set id (default: the newest set)."
        )
        parser.add_argument("--scale", choices=Scale.values, default=Scale.ONE_FIVE)
        parser.add_argument("--anonymity-threshold", type=int, default=5)
        parser.add_argument("--comment-threshold", type=int, default=7)
        parser.add_argument("--justify-at-or-below", type=int, default=2)
        parser.add_argument("--justify-at-or-above", type=int)
        parser.add_argument(
            "--rater-mode", choices=Cycle.RaterMode.values, default=Cycle.RaterMode.ALL
        )
        parser.add_argument("--sample-size", type=int, default=5)
        parser.add_argument(
            "--no-self-assessment", action="store_true", help="Heads do not rate themselves."
        )
        parser.add_argument("--deadline", type=dt.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--reminder-days-after-open", type=int, default=3)
        parser.add_argument("--reminder-days-before-deadline", type=int, default=1)
        parser.add_argument("--max-reminders", type=int, default=3)

    def handle(self, *args, **options):
        organization = organization_of(options["org"])
        with refusals_as_errors():
            if options["criteria_set"]:
                criteria_set = CriteriaSet.objects.filter(
                    organization=organization, pk=options["criteria_set"]
                ).first()
                if criteria_set is None:
                    raise CommandError(f"No criteria set {options['criteria_set']}.")
            else:
                criteria_set = criteria_set_default(organization=organization)
            settings = CycleSettings(
                scale=options["scale"],
                anonymity_threshold=options["anonymity_threshold"],
                comment_threshold=options["comment_threshold"],
                justify_at_or_below=options["justify_at_or_below"],
                justify_at_or_above=options["justify_at_or_above"],
                rater_mode=options["rater_mode"],
                sample_size=options["sample_size"],
                include_self_assessment=not options["no_self_assessment"],
                deadline=options["deadline"],
                reminder_days_after_open=options["reminder_days_after_open"],
                reminder_days_before_deadline=options["reminder_days_before_deadline"],
                max_reminders=options["max_reminders"],
            )
            cycle = cycle_create(
                actor=None,
                organization=organization,
                name=options["name"],
                criteria_set=criteria_set,
                settings=settings,
            )
        counts = assignment_counts(cycle)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created draft cycle {cycle.pk} “{cycle.name}” ({criteria_set}, scale "
                f"{cycle.scale}): {counts.people} people, {counts.client_ratings} client "
                f"ratings, {counts.self_assessments} self-assessments."
            )
        )
