"""Import pages: upload, column mapping, preview, apply, progress of background jobs.

Each view resolves the organization first and looks imports up inside it only. The work is
done by ``innerclient.org.importing.pipeline``; views read forms and choose what to show.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from innerclient.core.permissions import Capability, org_access
from innerclient.org.importing import pipeline
from innerclient.org.importing.fields import FIELDS, KINDS, REQUEST_LOG, missing_required
from innerclient.org.importing.forms import ApplyForm, LogOptionsForm, UploadForm
from innerclient.org.importing.tabular import TabularError, read_table
from innerclient.org.importing.template_file import template_xlsx
from innerclient.org.models import DataImport

Status = DataImport.Status
RUNNING = (Status.VALIDATING, Status.APPLYING)


def _capability(kind: str) -> Capability:
    return Capability.MANAGE_MAP if kind == REQUEST_LOG else Capability.MANAGE_STRUCTURE


def _get_import(access, pk: int) -> DataImport:
    data_import = get_object_or_404(
        DataImport.objects.select_related("job", "created_by"),
        organization=access.organization,
        pk=pk,
    )
    if not access.can(_capability(data_import.kind)):
        raise PermissionDenied
    return data_import


def _context(access, **extra) -> dict:
    return {"access": access, "org": access.organization, "nav": "imports", **extra}


def _kind_info(kind: str) -> dict:
    return {
        "kind": kind,
        "label": DataImport.Kind(kind).label,
        "fields": FIELDS[kind],
        "form": UploadForm(auto_id=f"id_{kind}_%s"),
    }


@login_required
def import_list(request, org_slug):
    access = org_access(request, org_slug, Capability.MANAGE_STRUCTURE)
    imports = (
        DataImport.objects.filter(organization=access.organization)
        .defer("content", "preview")
        .select_related("created_by", "job")
    )
    page = Paginator(imports, 25).get_page(request.GET.get("page"))
    kinds = [_kind_info(kind) for kind in KINDS if access.can(_capability(kind))]
    return render(request, "org/imports/list.html", _context(access, page=page, kinds=kinds))


@login_required
def import_upload(request, org_slug, kind):
    access = org_access(request, org_slug, _capability(kind))
    if kind not in KINDS:
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None)
    file_error = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            table = pipeline.read_upload(content=content, filename=upload.name)
        except TabularError as error:
            file_error = str(error)
        else:
            data_import = pipeline.data_import_create(
                actor=request.user,
                organization=access.organization,
                kind=kind,
                filename=upload.name,
                content=content,
                table=table,
            )
            if data_import.status == Status.NEEDS_MAPPING:
                return redirect("org:import_mapping", access.organization.slug, data_import.pk)
            pipeline.data_import_start_validation(actor=request.user, data_import=data_import)
            return redirect("org:import_detail", access.organization.slug, data_import.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "org/imports/upload.html",
        _context(access, info=_kind_info(kind), form=form, file_error=file_error),
        status=status,
    )


@login_required
def import_template(request, org_slug, kind):
    access = org_access(request, org_slug, _capability(kind))
    if kind not in KINDS:
        raise Http404
    language = (get_language() or "ru")[:2]
    response = HttpResponse(
        template_xlsx(kind, language=language),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"{access.organization.slug}-{kind}-template.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def import_mapping(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_STRUCTURE)
    data_import = _get_import(access, pk)
    editable = (Status.NEEDS_MAPPING, Status.UPLOADED, Status.INVALID, Status.PREVIEW)
    if data_import.status not in editable:
        return redirect("org:import_detail", access.organization.slug, data_import.pk)
    try:
        table = read_table(bytes(data_import.content), data_import.filename)
    except TabularError as error:
        messages.error(request, str(error))
        return redirect("org:import_detail", access.organization.slug, data_import.pk)
    mapping = dict(data_import.column_mapping)
    problems: list[str] = []
    if request.method == "POST":
        mapping = {
            header: request.POST.get(f"col_{index}", "")
            for index, header in enumerate(table.headers)
        }
        try:
            pipeline.data_import_set_mapping(
                actor=request.user, data_import=data_import, mapping=mapping
            )
        except ValidationError as error:
            problems = error.messages
        else:
            pipeline.data_import_start_validation(actor=request.user, data_import=data_import)
            return redirect("org:import_detail", access.organization.slug, data_import.pk)
    specs = FIELDS[data_import.kind]
    columns = [
        {
            "index": index,
            "header": header,
            "selected": mapping.get(header, ""),
            "samples": [row[index] for row in table.rows[:3] if row[index]],
        }
        for index, header in enumerate(table.headers)
    ]
    missing = {spec.name for spec in missing_required(data_import.kind, mapping)}
    return render(
        request,
        "org/imports/mapping.html",
        _context(
            access,
            data_import=data_import,
            columns=columns,
            specs=specs,
            missing=missing,
            problems=problems,
        ),
        status=400 if problems else 200,
    )


@login_required
def import_detail(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_STRUCTURE)
    data_import = _get_import(access, pk)
    options_form = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "recheck" and data_import.status in (
            Status.UPLOADED,
            Status.PREVIEW,
            Status.INVALID,
            Status.FAILED,
        ):
            data_import.status = Status.UPLOADED
            pipeline.data_import_start_validation(actor=request.user, data_import=data_import)
            return redirect("org:import_detail", access.organization.slug, data_import.pk)
        if action == "options" and data_import.kind == REQUEST_LOG:
            options_form = LogOptionsForm(request.POST)
            if options_form.is_valid():
                data = options_form.cleaned_data
                try:
                    pipeline.data_import_set_log_options(
                        actor=request.user,
                        data_import=data_import,
                        date_from=data["date_from"].isoformat() if data["date_from"] else "",
                        date_to=data["date_to"].isoformat() if data["date_to"] else "",
                        min_count=data["min_count"],
                    )
                except ValidationError as error:
                    messages.error(request, " ".join(error.messages))
                return redirect("org:import_detail", access.organization.slug, data_import.pk)
    if data_import.status == Status.NEEDS_MAPPING:
        return redirect("org:import_mapping", access.organization.slug, data_import.pk)
    preview = data_import.preview or {}
    if data_import.kind == REQUEST_LOG and options_form is None and preview.get("date_to"):
        options_form = LogOptionsForm(
            initial={
                "date_from": preview.get("date_from"),
                "date_to": preview.get("date_to"),
                "min_count": preview.get("min_count"),
            }
        )
    labels = _labels(data_import)
    if data_import.kind == REQUEST_LOG and preview.get("diff"):
        preview = {**preview, "diff": _localized_diff(preview["diff"])}
    return render(
        request,
        "org/imports/detail.html",
        _context(
            access,
            data_import=data_import,
            preview=preview,
            labels=labels,
            errors=_issues(preview.get("errors", []), labels),
            warnings=_issues(preview.get("warnings", []), labels),
            sample=_sample(preview.get("sample", []), labels),
            deactivate_sample=_sample(preview.get("deactivate_sample", []), labels),
            options_form=options_form,
            upload_form=UploadForm(),
            running=data_import.status in RUNNING,
        ),
    )


def _localized_diff(diff: dict) -> dict:
    """Pick each stored ``[name_ru, name_en]`` pair's name in the reader's language."""
    pick = 1 if (get_language() or "ru").startswith("en") else 0

    def name(value):
        return value[pick] if isinstance(value, list) else value

    return {
        **diff,
        **{
            key: [[name(row[0]), name(row[1]), *row[2:]] for row in diff.get(key, [])]
            for key in ("added", "changed", "removed")
        },
    }


def _display(value) -> str:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if value is None or value == "":
        return "—"
    return str(value)


def _issues(items: list[dict], labels: dict[str, str]) -> list[dict]:
    return [{**item, "column": labels.get(item.get("field", ""), "")} for item in items]


def _sample(items: list[dict], labels: dict[str, str]) -> list[dict]:
    """Stored changes as text for the page: labels instead of field names, yes/no, dashes."""
    return [
        {
            **item,
            "fields": [
                {
                    "label": labels.get(name, name),
                    "before": _display(before),
                    "after": _display(after),
                }
                for name, before, after in item["fields"]
            ],
        }
        for item in items
    ]


def _labels(data_import: DataImport) -> dict[str, str]:
    """Field name → what to call it on the page: the user's own header when there is one."""
    labels = {spec.name: str(spec.label) for spec in FIELDS[data_import.kind]}
    labels |= {
        "department_code": labels.get("department_code", _("Department")),
        "head_email": _("Head"),
        "is_active": _("Active"),
    }
    for header, field in data_import.column_mapping.items():
        if field in labels and header:
            labels[field] = f"{header}"
    if "active" in labels:
        labels["is_active"] = labels["active"]
    return labels


@login_required
@require_POST
def import_apply(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_STRUCTURE)
    data_import = _get_import(access, pk)
    form = ApplyForm(request.POST)
    form.is_valid()
    options = {
        "deactivate_missing": bool(form.cleaned_data.get("deactivate_missing")),
        "remove_missing": bool(form.cleaned_data.get("remove_missing")),
    }
    try:
        data_import = pipeline.data_import_start_apply(
            actor=request.user, data_import=data_import, options=options
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("org:import_detail", access.organization.slug, data_import.pk)
    if data_import.status == Status.APPLIED:
        messages.success(request, _("The import is applied."))
    elif data_import.status == Status.FAILED:
        messages.error(request, _("The import failed; nothing was changed."))
    elif data_import.status == Status.INVALID:
        messages.error(
            request, _("The structure changed since the check; the file now has errors.")
        )
    return redirect("org:import_detail", access.organization.slug, data_import.pk)


@login_required
@require_POST
def import_cancel(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_STRUCTURE)
    data_import = _get_import(access, pk)
    try:
        pipeline.data_import_cancel(actor=request.user, data_import=data_import)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("org:import_detail", access.organization.slug, data_import.pk)
    messages.info(request, _("The import is cancelled."))
    return redirect("org:import_list", access.organization.slug)


@login_required
def import_status(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_STRUCTURE)
    data_import = _get_import(access, pk)
    running = data_import.status in RUNNING
    if not request.htmx:
        return redirect("org:import_detail", access.organization.slug, data_import.pk)
    if not running:
        return HttpResponseClientRefresh()
    return render(
        request,
        "org/imports/_progress.html",
        _context(access, data_import=data_import, running=running),
    )
