"""Drive an import through the same services the views use."""

from innerclient.org.importing import pipeline
from innerclient.org.models import DataImport


def upload(organization, actor, kind, content, filename="file.xlsx") -> DataImport:
    table = pipeline.read_upload(content=content, filename=filename)
    data_import = pipeline.data_import_create(
        actor=actor,
        organization=organization,
        kind=kind,
        filename=filename,
        content=content,
        table=table,
    )
    if data_import.status == DataImport.Status.NEEDS_MAPPING:
        return data_import
    data_import = pipeline.data_import_start_validation(actor=actor, data_import=data_import)
    data_import.refresh_from_db()  # the preview as stored: JSON lists, not tuples
    return data_import


def apply(data_import, actor, **options) -> DataImport:
    data_import.refresh_from_db()
    result = pipeline.data_import_start_apply(actor=actor, data_import=data_import, options=options)
    result.refresh_from_db()
    return result


def upload_and_apply(organization, actor, kind, content, filename="file.xlsx", **options):
    data_import = upload(organization, actor, kind, content, filename)
    assert data_import.status == DataImport.Status.PREVIEW, data_import.preview.get("errors")
    return apply(data_import, actor, **options)
