"""``manage.py organization_restore ARCHIVE [--dry-run]``: recreate an exported organization."""

from django.core.management.base import BaseCommand, CommandError

from innerclient.backup.archive import ArchiveError, organization_restore
from innerclient.backup.cli import ProgressLine


class Command(BaseCommand):
    help = (
        "Restore an organization from an archive made by organization_export, all or nothing. "
        "The installation must not hold the archive's ids yet (an empty installation)."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="the .zip file organization_export wrote")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the archive and restore it inside a transaction that is rolled back",
        )

    def handle(self, *args, archive, dry_run, **options):
        with ProgressLine(self.stderr, verb="restored") as progress:
            try:
                summary = organization_restore(path=archive, progress=progress, dry_run=dry_run)
            except ArchiveError as error:
                raise CommandError(str(error)) from None
        created = summary.users - summary.users_matched
        outcome = "Checked (dry run, nothing kept)" if dry_run else "Restored"
        self.stdout.write(
            self.style.SUCCESS(
                f"{outcome} “{summary.organization}”: {summary.rows:,} rows in "
                f"{len(summary.tables)} tables; {created} accounts created, "
                f"{summary.users_matched} matched to existing accounts by user name "
                f"(their passwords unchanged); {summary.seconds:.1f} s."
            )
        )
