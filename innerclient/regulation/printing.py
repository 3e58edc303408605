"""PDFs of results: a department's card and the company report.

They print what the pages show: the plain data of ``innerclient.reports.selectors`` (figures
from stored snapshots only, hidden figures already ``None``) and the very SVG charts the
pages embed (the same ``innerclient.reports.charts`` calls, through the same cache keys), so
a chart is identical on screen and on paper. Comments a coordinator hid never go into a PDF.
"""

import re

from django.utils.translation import gettext as _

from innerclient.core.models import Role
from innerclient.regulation.pdf import render_pdf
from innerclient.results.models import ResultSnapshot

_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^")]+)')


def scoped_ids(svg: str, prefix: str) -> str:
    """The same picture with its element ids prefixed: matplotlib gives every chart the same
    ids, which must stay unique when several charts share one document."""
    ids = set(_ID.findall(svg))
    if not ids:
        return svg
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    return _REF.sub(
        lambda m: f"{m.group(1)}{prefix}-{m.group(2)}" if m.group(2) in ids else m.group(0), svg
    )


def _card_charts(card) -> dict:
    # The card page's own chart builder (reports.views), so page and PDF cannot drift apart.
    from innerclient.reports import views as report_views

    found = report_views._card_charts(card)
    return {name: scoped_ids(svg, name) for name, svg in found.items()}


def _dashboard_charts(data) -> dict:
    from innerclient.reports import views as report_views

    found = report_views._dashboard_charts(data)
    return {
        "distribution_svg": scoped_ids(found.get("distribution_svg", ""), "distribution"),
        "sparklines": {
            key: scoped_ids(svg, f"spark{key}") for key, svg in found.get("sparklines", {}).items()
        },
    }


def _visible_comments(groups) -> list:
    """Comment groups without the comments a coordinator hid (a PDF is handed out)."""
    result = []
    for group in groups:
        comments = [c for c in group.comments if not c.hidden]
        if comments:
            result.append({"title": group.title, "comments": comments})
    return result


def card_context(snapshot: ResultSnapshot, department_id: int, *, organization, viewer_role):
    """Raises ``LookupError`` when the department is not in the snapshot."""
    from innerclient.reports.selectors import department_card

    card = department_card(snapshot, department_id, viewer_role=viewer_role)
    comments = card.comments
    return {
        "org": organization,
        "card": card,
        "cycle_name": card.cycle_name,
        "document_title": _("Department card: %(department)s")
        % {"department": card.department.name},
        "comment_groups": _visible_comments((*comments.by_criterion, *comments.by_question)),
        **_card_charts(card),
    }


def card_pdf(
    snapshot: ResultSnapshot, department_id: int, *, organization, viewer_role: str
) -> bytes:
    context = card_context(
        snapshot, department_id, organization=organization, viewer_role=viewer_role
    )
    return render_pdf("pdf/card.html", context)


def company_context(
    snapshot: ResultSnapshot,
    *,
    organization,
    viewer_role: str,
    division: int | None = None,
    criterion: int | None = None,
) -> dict:
    from innerclient.reports.selectors import company_dashboard

    data = company_dashboard(
        snapshot, division=division, criterion=criterion, viewer_role=viewer_role
    )
    return {
        "org": organization,
        "data": data,
        "document_title": _("Company report: %(cycle)s") % {"cycle": data.cycle_name},
        "show_integrity": viewer_role in (Role.COORDINATOR, Role.ANALYST),
        **_dashboard_charts(data),
    }


def company_pdf(
    snapshot: ResultSnapshot,
    *,
    organization,
    viewer_role: str,
    division: int | None = None,
    criterion: int | None = None,
) -> bytes:
    context = company_context(
        snapshot,
        organization=organization,
        viewer_role=viewer_role,
        division=division,
        criterion=criterion,
    )
    return render_pdf("pdf/company.html", context)


_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_filename(text: str, limit: int = 80) -> str:
    """A file name part: letters (any script), digits, dot, dash, space; nothing else."""
    cleaned = " ".join(_UNSAFE.sub(" ", text).split())
    return cleaned[:limit].strip() or "file"
