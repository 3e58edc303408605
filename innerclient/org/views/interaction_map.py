"""The interaction map: the client × provider matrix, the table of links, a link, the export.

The matrix is one ``<form>``: each cell is a submit button whose ``formaction`` is its
``map_cell`` URL, so a toggle works without JavaScript (post, redirect back); with HTMX the
same button posts and swaps itself for the returned cell.
"""

import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from innerclient.core.permissions import Capability, org_access
from innerclient.core.xlsx import autosize_columns, safe_row
from innerclient.org import selectors
from innerclient.org.models import Department, InteractionLink
from innerclient.org.services.interaction_map import link_remove, link_set


def _int(value) -> int | None:
    try:
        return int(value) or None
    except (TypeError, ValueError):
        return None


def _url_bases(org_slug: str) -> dict[str, str]:
    """URL prefixes of ``map_cell`` and ``link_edit``, reversed once per page.

    The matrix has thousands of cells; reversing two URLs for each one is most of the
    rendering time, so the template appends the ids to these prefixes instead.
    """
    cell = reverse("org:map_cell", args=[org_slug, 1, 2])
    link = reverse("org:link_edit", args=[org_slug, 1])
    assert cell.endswith("/1/2/") and link.endswith("/1/")
    return {"cell_base": cell[: -len("1/2/")], "link_base": link[: -len("1/")]}


def _mode(request, can_manage: bool) -> str:
    """ "edit": a filled cell opens the link; "toggle": every click adds or removes."""
    data = request.POST if request.method == "POST" else request.GET
    return "toggle" if can_manage and data.get("mode") == "toggle" else "edit"


@login_required
def map_matrix(request, org_slug):
    access = org_access(request, org_slug, Capability.VIEW_MAP)
    can_manage = access.can(Capability.MANAGE_MAP)
    row_division = _int(request.GET.get("rows"))
    column_division = _int(request.GET.get("cols"))
    matrix = selectors.map_matrix(
        access.organization, row_division=row_division, column_division=column_division
    )
    division_ids = {d.id for d in matrix.divisions}
    if (row_division and row_division not in division_ids) or (
        column_division and column_division not in division_ids
    ):
        return redirect("org:map_matrix", org_slug)
    return render(
        request,
        "org/map/matrix.html",
        {
            "org": access.organization,
            "nav": "map",
            "matrix": matrix,
            "row_division": row_division,
            "column_division": column_division,
            "mode": _mode(request, can_manage),
            "can_manage": can_manage,
            **_url_bases(org_slug),
        },
    )


@login_required
@require_POST
def map_cell(request, org_slug, client_pk, provider_pk):
    access = org_access(request, org_slug, Capability.MANAGE_MAP)
    organization = access.organization
    client = get_object_or_404(Department, organization=organization, pk=client_pk)
    provider = get_object_or_404(Department, organization=organization, pk=provider_pk)
    link = InteractionLink.objects.filter(
        organization=organization, client=client, provider=provider
    ).first()
    error = None
    try:
        if link is None:
            link_set(
                actor=request.user, organization=organization, client=client, provider=provider
            )
        else:
            link_remove(actor=request.user, link=link)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        response = render(
            request,
            "org/map/matrix.html#cell",
            {
                "org": organization,
                "cell": selectors.map_cell(organization, client, provider),
                "mode": _mode(request, True),
                "can_manage": True,
                **_url_bases(org_slug),
            },
            status=400 if error else 200,
        )
        if error:
            # htmx does not swap 4xx responses by default; the message goes to the page.
            response["HX-Reswap"] = "none"
        else:
            # The summary's link count follows the toggle (an out-of-band swap).
            total = InteractionLink.objects.filter(organization=organization).count()
            response.write(
                f'<span class="value" id="links-total" data-testid="links-total" '
                f'hx-swap-oob="true">{total}</span>'
            )
        return response
    if error:
        messages.error(request, error)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("org:map_matrix", args=[org_slug])
    return redirect(f"{target}#c{client.pk}-{provider.pk}" if "#" not in target else target)


SORTS = {
    "client": gettext_lazy("Client"),
    "provider": gettext_lazy("Provider"),
    "volume": gettext_lazy("Volume"),
    "weight": gettext_lazy("Weight"),
}


@login_required
def link_list(request, org_slug):
    access = org_access(request, org_slug, Capability.VIEW_MAP)
    order = request.GET.get("sort", "client")
    if order not in selectors.LINK_ORDERINGS:
        order = "client"
    query = request.GET.get("q", "")[:100]
    links = selectors.interaction_links(access.organization, order=order, query=query)
    current = order.lstrip("-")
    descending = order.startswith("-")
    columns = [
        {
            "key": key,
            "label": label,
            "sort": f"-{key}" if key == current and not descending else key,
            "state": ("descending" if descending else "ascending") if key == current else "",
        }
        for key, label in SORTS.items()
    ]
    return render(
        request,
        "org/map/link_list.html",
        {
            "org": access.organization,
            "nav": "map",
            "links": links,
            "columns": {c["key"]: c for c in columns},
            "order": order,
            "query": query,
            "can_manage": access.can(Capability.MANAGE_MAP),
        },
    )


class LinkForm(forms.Form):
    services = forms.CharField(
        label=gettext_lazy("Services"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("What the client asks of the provider, one service a line."),
    )
    weight = forms.DecimalField(
        label=gettext_lazy("Weight"),
        min_value=0.001,
        max_digits=8,
        decimal_places=3,
        help_text=gettext_lazy(
            "How much this provider matters to this client when scores are combined; 1 is usual."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def link_edit(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_MAP)
    link = get_object_or_404(
        InteractionLink.objects.select_related("client", "provider"),
        organization=access.organization,
        pk=pk,
    )
    back = reverse("org:map_matrix", args=[org_slug])
    if request.method == "POST" and request.POST.get("delete") == "1":
        if request.POST.get("confirm") == "1":
            link_remove(actor=request.user, link=link)
            messages.success(
                request,
                _("Link %(client)s → %(provider)s removed.")
                % {"client": link.client.code, "provider": link.provider.code},
            )
            return redirect(back)
        return render(
            request,
            "org/map/link_delete.html",
            {"org": access.organization, "nav": "map", "link": link, "back": back},
        )
    form = LinkForm(
        request.POST or None, initial={"services": link.services, "weight": link.weight}
    )
    if request.method == "POST" and form.is_valid():
        try:
            link_set(
                actor=request.user,
                organization=access.organization,
                client=link.client,
                provider=link.provider,
                services=form.cleaned_data["services"],
                weight=form.cleaned_data["weight"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Link saved."))
            return redirect(back)
    return render(
        request,
        "org/map/link_edit.html",
        {
            "org": access.organization,
            "nav": "map",
            "link": link,
            "form": form,
            "back": back,
        },
    )


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E7F0F9")
LINK_FILL = PatternFill("solid", fgColor="1F4E79")


@login_required
def map_export(request, org_slug):
    access = org_access(request, org_slug, Capability.VIEW_MAP)
    organization = access.organization
    links = selectors.interaction_links(organization, order="client")
    matrix = selectors.map_matrix(organization)

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Links")[:31]
    headers = [
        _("Client code"),
        _("Client"),
        _("Provider code"),
        _("Provider"),
        _("Services"),
        _("Weight"),
        _("Volume"),
        _("Source"),
    ]
    sheet.append(safe_row(headers))
    for link in links:
        sheet.append(
            safe_row(
                [
                    link.client.code,
                    link.client.name,
                    link.provider.code,
                    link.provider.name,
                    link.services,
                    float(link.weight),
                    link.volume,
                    link.source_label,
                ]
            )
        )
    for cell in sheet[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    sheet.freeze_panes = "A2"
    if links:
        sheet.auto_filter.ref = sheet.dimensions
    autosize_columns(sheet)

    grid = workbook.create_sheet(_("Matrix")[:31])
    grid.append(
        safe_row([_("Client \\ provider"), ""] + [column.code for column in matrix.columns])
    )
    grid.append(safe_row(["", ""] + [column.name for column in matrix.columns]))
    for row in matrix.rows:
        values = [row.department.code, row.department.name]
        for cell in row.cells:
            if cell.is_on:
                values.append(cell.volume if cell.volume is not None else 1)
            else:
                values.append(None)
        grid.append(safe_row(values))
    for cell in grid[1] + grid[2]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for cell in grid[2]:
        cell.alignment = Alignment(text_rotation=90, vertical="bottom")
    grid.freeze_panes = "C3"
    grid.column_dimensions["A"].width = 12
    grid.column_dimensions["B"].width = 40
    grid.row_dimensions[2].height = 150

    note = workbook.create_sheet(_("About")[:31])
    note.append(safe_row([_("Organization"), organization.name]))
    note.append(safe_row([_("Exported at"), timezone.localtime().strftime("%Y-%m-%d %H:%M")]))
    note.append(safe_row([_("Links"), len(links)]))
    note.append(
        safe_row(
            [
                _("Matrix"),
                _(
                    "Rows are clients, columns are providers; a cell holds the request volume, "
                    "or 1 when the volume is unknown. Inactive departments are left out."
                ),
            ]
        )
    )
    note.column_dimensions["A"].width = 16
    note.column_dimensions["B"].width = 90

    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"interaction-map-{organization.slug}-{timezone.localdate():%Y-%m-%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
