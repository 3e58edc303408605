"""``manage.py demo_company``: load the demo company, the same one for the same seed.

``make run`` calls it with ``--if-empty`` on every start, so it must be quick to do nothing.
"""

import datetime as dt
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from innerclient.core.models import Organization
from innerclient.demo.build import (
    DEFAULT_ANCHOR,
    DEFAULT_SEED,
    STEPS,
    DemoConfig,
    demo_build,
    demo_fingerprint,
    demo_users_exist,
)
from innerclient.demo.cycles import STEP_NAME as CYCLES_STEP
from innerclient.demo.cycles import cycles_fingerprint, planted_description
from innerclient.demo.request_log import write_xlsx

SIGN_IN_URL = "http://127.0.0.1:8000/"


class Command(BaseCommand):
    help = (
        "Create a realistic demo company (departments, people, interaction map, users, "
        "and four past evaluation cycles with planted effects)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--slug", default="demo")
        parser.add_argument(
            "--anchor",
            type=dt.date.fromisoformat,
            default=DEFAULT_ANCHOR,
            help="The date the request log ends on (YYYY-MM-DD); fixed so a seed is repeatable.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when any organization exists (used by `make run` on every start).",
        )
        parser.add_argument(
            "--no-cycles",
            action="store_true",
            help="Leave out the four past evaluation cycles (and their responses).",
        )
        parser.add_argument(
            "--request-log-out",
            type=Path,
            help="Also write the generated request log to this .xlsx file.",
        )

    def handle(self, *args, seed, slug, anchor, if_empty, no_cycles, request_log_out, **options):
        config = DemoConfig(seed=seed, slug=slug, anchor=anchor)
        if if_empty and Organization.objects.exists():
            if demo_users_exist(config):
                self._print_sign_in(config, ["coordinator", "analyst", "head.sales",
                                             "head.purchasing", "employee"])  # fmt: skip
            else:
                self.stdout.write("Organizations exist already; the demo company was not loaded.")
            return
        started = time.monotonic()
        try:
            steps = tuple(
                s
                for s in STEPS
                if not (no_cycles and s.name in (CYCLES_STEP, "results", "actions"))
            )
            ctx = demo_build(config, steps=steps)
        except ValueError as error:
            raise CommandError(str(error)) from error
        elapsed = time.monotonic() - started
        people_active = sum(plan.is_active for plan in ctx.people)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo company «{config.name}» ({slug}) created in {elapsed:.1f} s: "
                f"{len(ctx.departments)} departments, {len(ctx.people)} people "
                f"({people_active} active), {ctx.links} client-provider links "
                f"from {len(ctx.requests)} requests (seed {seed}, log up to {anchor})."
            )
        )
        self.stdout.write(f"Fingerprint: {demo_fingerprint(ctx.organization)}")
        if ctx.cycles is not None:
            self._print_cycles(ctx)
        if request_log_out:
            write_xlsx(ctx.requests, request_log_out)
            self.stdout.write(f"Request log written to {request_log_out}")
        self._print_sign_in(config, [user.username.split("@")[0] for user in ctx.users])

    def _print_cycles(self, ctx) -> None:
        result = ctx.cycles
        names = ", ".join(cycle.name for cycle in result.cycles)
        self.stdout.write(
            f"Past cycles ({names}), all published: {result.invitations} invitations "
            f"({result.completed} completed), {result.responses} responses, "
            f"{result.answers} scores."
        )
        self.stdout.write("Planted effects:")
        for effect, departments, expect in planted_description(ctx.organization):
            self.stdout.write(f"  {effect}: {departments} ({expect})")
        for client, provider in result.links_added:
            self.stdout.write(f"  (link {client} → {provider} added to the map for the pair)")
        self.stdout.write(f"Cycles fingerprint: {cycles_fingerprint(ctx.organization)}")

    def _print_sign_in(self, config: DemoConfig, local_parts: list[str]) -> None:
        self.stdout.write("")
        self.stdout.write(f"Sign in at {SIGN_IN_URL} with password {config.password!r} as:")
        for local_part in local_parts:
            self.stdout.write(f"  {local_part}@{config.user_domain}")
