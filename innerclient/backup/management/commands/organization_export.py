"""``manage.py organization_export --org demo [--output DIR_OR_FILE]``: one archive."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from innerclient.backup.archive import ArchiveError, export_filename, organization_export
from innerclient.backup.cli import ProgressLine
from innerclient.core.models import Organization


class Command(BaseCommand):
    help = (
        "Export one organization (structure, map, cycles, responses, results, actions, "
        "appeals, audit log) to a zip archive that organization_restore reads."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="the organization's short name (slug)")
        parser.add_argument(
            "--output",
            default=".",
            help="file to write, or a folder for <slug>-<date>.innerclient.zip (default: .)",
        )

    def handle(self, *args, org, output, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"There is no organization “{org}”.")
        path = Path(output)
        if path.is_dir():
            path = path / export_filename(organization)
        if not path.parent.is_dir():
            raise CommandError(f"There is no folder {path.parent}.")
        with ProgressLine(self.stderr, verb="exported") as progress:
            try:
                summary = organization_export(
                    organization=organization, path=path, progress=progress
                )
            except (ArchiveError, OSError) as error:
                raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported “{organization.slug}” to {summary.path}: {summary.rows:,} rows in "
                f"{len(summary.tables)} tables, {summary.users} accounts, "
                f"{summary.bytes / 1e6:.1f} MB in {summary.seconds:.1f} s. Rater keys replaced "
                f"in {summary.rekeyed_cycles} finished cycle(s), kept in {summary.kept_cycles}."
            )
        )
