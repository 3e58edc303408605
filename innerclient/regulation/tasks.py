"""Background work of this app: the zip of a cycle's department card PDFs. Tasks take ids,
never objects, and are safe to run twice."""

from django.tasks import task

from innerclient.regulation import archives


@task
def card_archive_build(archive_id: int) -> None:
    archives.card_archive_build(archive_id=archive_id)
