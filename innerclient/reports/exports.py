"""XLSX exports of the dashboard and the department card: the tables the pages show, from the
same selector data, so the same suppression applies (a hidden figure is an empty cell with
"not shown" beside it). Every row goes through ``safe_row`` (formula injection)."""

import io

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from innerclient.core.xlsx import autosize_columns, safe_row
from innerclient.reports.selectors import CardData, DashboardData

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E7F0F9")
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _round(value, digits: int = 1):
    return round(value, digits) if isinstance(value, int | float) else None


def _sheet(workbook: Workbook, title: str, headers: list, first: bool = False):
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title[:31]
    sheet.append(safe_row(headers))
    for cell in sheet[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    sheet.freeze_panes = "A2"
    return sheet


def _finish(sheet) -> None:
    autosize_columns(sheet)


def _about(workbook: Workbook, organization, rows: list[list]) -> None:
    note = workbook.create_sheet(_("About")[:31])
    note.append(safe_row([_("Organization"), organization.name]))
    for row in rows:
        note.append(safe_row(row))
    note.append(safe_row([_("Exported at"), timezone.localtime().strftime("%Y-%m-%d %H:%M")]))
    note.column_dimensions["A"].width = 22
    note.column_dimensions["B"].width = 90


def xlsx_response(workbook: Workbook, filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def dashboard_workbook(data: DashboardData, *, organization) -> Workbook:
    workbook = Workbook()
    not_shown = _("not shown: fewer than %(k)d raters") % {"k": data.k}
    value_header = data.criterion.name if data.criterion else _("Official index")
    sheet = _sheet(
        workbook,
        _("Ranking"),
        [
            _("Rank"),
            _("Code"),
            _("Department"),
            _("Division"),
            value_header,
            _("Index"),
            # xgettext:no-python-format
            _("95% interval, from"),
            # xgettext:no-python-format
            _("95% interval, to"),
            _("Adjusted"),
            _("Raters"),
            _("Client departments"),
            _("Self-assessment"),
            _("Change"),
            _("Significant"),
            _("Note"),
        ],
        first=True,
    )
    for row in data.ranking:
        change = row.change
        sheet.append(
            safe_row(
                [
                    row.rank or None,
                    row.department.code,
                    row.department.name,
                    row.department.division_name,
                    _round(row.value),
                    _round(row.index),
                    _round(row.ci_low),
                    _round(row.ci_high),
                    _round(row.adjusted),
                    row.n_raters,
                    row.n_clients,
                    _round(row.self_index),
                    _round(change.delta) if change else None,
                    (_("yes") if change.significant else _("no"))
                    if change and change.delta is not None
                    else None,
                    "" if row.shown else not_shown,
                ]
            )
        )
    if data.hidden:
        # Departments rated by too few raters are never named, only counted.
        note = ngettext(
            "%(n)d more department in the company: %(reason)s",
            "%(n)d more departments in the company: %(reason)s",
            data.hidden,
        ) % {"n": data.hidden, "reason": not_shown}
        sheet.append(safe_row([None, None, note]))
    _finish(sheet)

    heatmap = data.heatmap
    grid = _sheet(
        workbook,
        _("Heatmap"),
        [_("Provider \\ client"), ""] + [c.code for c in heatmap.columns],
    )
    grid.append(safe_row(["", ""] + [c.name for c in heatmap.columns]))
    for provider, values in zip(heatmap.rows, heatmap.values, strict=True):
        grid.append(safe_row([provider.code, provider.name] + [_round(v) for v in values]))
    grid.freeze_panes = "C3"
    grid.column_dimensions["B"].width = 40

    rates = _sheet(
        workbook, _("Response rates"), [_("Department"), _("Invited"), _("Completed"), "%"]
    )
    for rate in data.response_rates:
        rates.append(
            safe_row(
                [
                    rate.department.name if rate.department else "?",
                    rate.invited,
                    rate.completed,
                    rate.percent,
                ]
            )
        )
    other = data.response_other
    if other is not None:
        rates.append(
            safe_row([_("Other departments"), other.invited, other.completed, other.percent])
        )
    overall = data.response_overall
    rates.append(safe_row([_("All"), overall.invited, overall.completed, overall.percent]))
    _finish(rates)

    if data.integrity is not None:
        flags = _sheet(workbook, _("Integrity flags"), [_("Flag"), _("Value")])
        flags.append(safe_row([_("Responses"), data.integrity.responses]))
        flags.append(
            safe_row(
                [_("Responses with one score for every criterion"), data.integrity.straight_lined]
            )
        )
        flags.append(safe_row([_("Implausibly fast responses"), data.integrity.speeders]))
        for pair in data.integrity.inflation_pairs:
            flags.append(
                safe_row(
                    [
                        _("Departments rating each other unusually high"),
                        f"{pair.a.name} ⇄ {pair.b.name}",
                    ]
                )
            )
        _finish(flags)

    _about(
        workbook,
        organization,
        [
            [_("Cycle"), data.cycle_name],
            [_("Results version"), data.version],
            [_("Division"), data.division.name if data.division else _("All")],
            [_("Criterion"), data.criterion.name if data.criterion else _("All")],
            [
                _("Anonymity"),
                _("A figure resting on fewer than %(k)d raters is not shown (empty cell).")
                % {"k": data.k},
            ],
            [
                _("Heatmap"),
                _(
                    "Rows are providers, columns clients; a cell is the client department's view "
                    "in percent of the scale, where it may be shown."
                ),
            ],
        ],
    )
    return workbook


def card_workbook(card: CardData, *, organization) -> Workbook:
    workbook = Workbook()
    summary = _sheet(workbook, _("Summary"), [_("Figure"), _("Value")], first=True)
    rows = [
        [_("Department"), card.department.name],
        [_("Code"), card.department.code],
        [_("Cycle"), card.cycle_name],
    ]
    if card.shown:
        rows += [
            [_("Official index"), _round(card.official_value)],
            [_("Index"), _round(card.index)],
            # xgettext:no-python-format
            [_("95% interval, from"), _round(card.ci_low)],
            # xgettext:no-python-format
            [_("95% interval, to"), _round(card.ci_high)],
            [_("Adjusted"), _round(card.adjusted)],
            [_("Rank"), f"{card.rank} / {card.ranked}" if card.rank else None],
            [_("Raters"), card.n_raters],
            [_("Client departments"), card.n_clients],
            [_("Self-assessment"), _round(card.self_index)],
            [_("Change"), _round(card.change.delta) if card.change else None],
        ]
    else:
        rows.append([_("Note"), _("not shown: fewer than %(k)d raters") % {"k": card.k}])
    for row in rows:
        summary.append(safe_row(row))
    _finish(summary)
    if not card.shown:
        return workbook

    criteria = _sheet(
        workbook,
        _("Criteria"),
        [_("Criterion"), _("Clients' view"), _("Raters"), _("Self-assessment"), _("Gap")],
    )
    for figure in card.criteria:
        criteria.append(
            safe_row(
                [
                    figure.criterion.name,
                    _round(figure.percent),
                    figure.n_raters,
                    _round(figure.self_percent),
                    _round(figure.gap),
                ]
            )
        )
    _finish(criteria)

    clients = _sheet(
        workbook,
        _("Client views"),
        [_("Client department"), _("Raters"), _("Overall")]
        + [c.criterion.name for c in card.criteria],
    )
    for view in card.clients:
        clients.append(
            safe_row(
                [view.client.name, view.n_raters, _round(view.percent)]
                + [_round(v) for v in view.criteria]
            )
        )
    _finish(clients)

    trend = _sheet(workbook, _("Trend"), [_("Cycle"), _("Index")])
    for point in card.trend:
        trend.append(safe_row([point.cycle_name, _round(point.index)]))
    _finish(trend)

    problems = _sheet(
        workbook,
        _("Problem areas"),
        [_("Kind"), _("Criterion"), _("Client department"), _("Figure"), _("Threshold")],
    )
    for problem in card.problems:
        problems.append(
            safe_row(
                [
                    problem.kind,
                    problem.criterion.name if problem.criterion else "",
                    problem.client.name if problem.client else "",
                    _round(problem.value),
                    _round(problem.threshold),
                ]
            )
        )
    _finish(problems)

    reciprocity = _sheet(
        workbook, _("Reciprocity"), [_("Department"), _("We rate them"), _("They rate us")]
    )
    for row in card.reciprocity:
        reciprocity.append(
            safe_row([row.partner.name, _round(row.i_rate_them), _round(row.they_rate_me)])
        )
    _finish(reciprocity)

    if card.comments.shown:
        comments = _sheet(workbook, _("Comments"), [_("About"), _("Comment")])
        for group in (*card.comments.by_criterion, *card.comments.by_question):
            for comment in group.comments:
                if not comment.hidden:  # hidden comments never leave the page
                    comments.append(safe_row([group.title, comment.text]))
        comments.column_dimensions["A"].width = 30
        comments.column_dimensions["B"].width = 100
    _about(
        workbook,
        organization,
        [
            [_("Results version"), card.version],
            [
                _("Anonymity"),
                _("A figure resting on fewer than %(k)d raters is not shown (empty cell).")
                % {"k": card.k},
            ],
        ],
    )
    return workbook
