"""The workbook's executive summary and its lists of actions: all of them, and one
sheet per owner (account manager), so each person can be handed their own list.

Action rows are written as XML text (:class:`FastRows`): a large portfolio has
hundreds of thousands of actions, and every one is on the Actions sheet and on its
owner's sheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from openpyxl import Workbook

from clientwise.plugins.reports.model import Report
from clientwise.plugins.reports.xlsx_blocks import sheet_title
from clientwise.plugins.reports.xlsx_columns import CellColumn
from clientwise.plugins.reports.xlsx_print import values_width
from clientwise.plugins.reports.xlsx_rows import FastRows
from clientwise.plugins.reports.xlsx_sheet import FILLS, Sheet, cell_value


def executive_rows(sheet: Sheet, report: Report) -> None:
    """The title block and the executive summary, at the top of the Summary sheet."""
    tr, settings = report.tr, report.settings
    if settings.client:
        sheet.append([sheet.cell(settings.client, bold=True)])
    sheet.append([sheet.cell(report.title, bold=True)])
    for label, value in ((tr("As of"), report.overview["as_of_date"]), (tr("Prepared by"), settings.prepared_by),
                         (tr("Confidentiality"), settings.confidentiality)):
        if value:
            sheet.append([label, sheet.cell(value, sheet.formats["date"] if label == tr("As of") else None)])
    sheet.append([])
    sheet.header([tr("Executive summary"), tr("Value")])
    for card in report.cards:
        if card.value is not None:
            sheet.append([card.label, sheet.cell(card.value, sheet.formats.get(card.kind))])
    if report.executive.findings:
        sheet.append([])
        sheet.header([tr("What stands out")])
        for line in report.executive.findings:
            sheet.append([line])
    if report.executive.review:
        sheet.append([])
        sheet.header([tr("Since the last review")])
        for line in report.executive.review:
            sheet.append([line])
    if report.executive.top_actions:
        sheet.append([])
        sheet.header([tr("The most urgent actions"), tr("Customer"), *([report.stake_label] if report.stake_label else []),
                      tr("Because")])
        for a in report.executive.top_actions:
            customer = f"{a['customer']} {a['customer_name']}" if a["customer_name"] else a["customer"]
            stake = [sheet.cell(a["stake"], sheet.formats["money"])] if report.stake_label else []
            sheet.append([a["action"], customer, *stake, a["because"]])
    sheet.append([])


def action_columns(report: Report, *, owner: bool) -> tuple[list[str], list[float]]:
    """Headers (labels) and widths of an action list."""
    tr = report.tr
    head = [tr("Customer"), *([tr("Name")] if report.named else []), *(g.label for g in report.groups),
            *([report.stake_label] if report.stake_label else []), tr("Priority"), tr("Action"), tr("Because"),
            *([] if owner else [tr("Owner")]), tr("Rule"), *([tr("New since the last review")] if report.review else [])]
    widths = [14, *([30] if report.named else []), *([14] * len(report.groups)),
              *([16] if report.stake_label else []), 9, 44, 80, *([] if owner else [18]), 22,
              *([12] if report.review else [])]
    return head, widths


def action_sheet(book: Workbook, title: str, report: Report, items: Sequence[dict[str, Any]], *,
                 owner: bool = False, table: pl.DataFrame | None = None) -> FastRows:
    """One list of actions (report order: by priority, then by what is at stake);
    ``table``: the same actions as rows of ``report.action_table``, written column by
    column (else each item is written row by row)."""
    head, widths = action_columns(report, owner=owner)
    widths[0] = values_width(head[0], (item["customer"] for item in items))  # CRM ids are not cut
    sheet = Sheet(book, title, widths, frozen=True, formats=report.fmt.style.xlsx_formats())
    sheet.header(head)
    tones = [dict(g.tones) for g in report.groups]
    money = sheet.formats["money"]
    rows = FastRows(sheet.sheet)
    columns = [CellColumn("customer"), *([CellColumn("customer_name")] if report.named else []),
               *(CellColumn(f"label:{g.name}", fills=_fills(t), fill_by=f"group:{g.name}")
                 for g, t in zip(report.groups, tones)),
               *([CellColumn("stake", money)] if report.stake_label else []),
               *(CellColumn(name) for name in ("priority", "action", "because")),
               *([] if owner else [CellColumn("owner")]), CellColumn("rule"), *([CellColumn("new")] if report.review else [])]
    if table is not None and rows.append_frame(_labelled(report, items, table), columns):
        sheet.table(len(head), len(items))
        return rows
    for a in items:
        values = [a["groups"][g.name] for g in report.groups]
        rows.append([(cell_value(a["customer"]), None, None),
                     *([(cell_value(a["customer_name"]), None, None)] if report.named else []),
                     *((cell_value(report.label(g, v) if v is not None else None), None, _fill(t, v))
                       for g, v, t in zip(report.groups, values, tones)),
                     *([(cell_value(a["stake"]), money, None)] if report.stake_label else []),
                     (cell_value(a["priority"]), None, None), (cell_value(a["action"]), None, None),
                     (cell_value(a["because"]), None, None),
                     *([] if owner else [(cell_value(a["owner"]), None, None)]), (cell_value(a["rule"]), None, None),
                     *([(report.tr("new") if a.get("new") else None, None, None)] if report.review else [])])
    sheet.table(len(head), len(items))
    return rows


def owner_sheets(book: Workbook, report: Report, taken: set[str]) -> dict[str, FastRows]:
    """A sheet of actions per owner, named after them."""
    fast = {}
    table = report.action_table
    owners = None if table is None else table.get_column("owner").cast(pl.String).replace("", None)
    for owner, items in report.owners():
        name = owner if owner is not None else report.tr("No owner")
        title = sheet_title(name, taken)
        part = None if table is None or owners is None else table.filter(
            owners.is_null() if owner is None else owners == owner)
        fast[title] = action_sheet(book, title, report, items, owner=True,
                                   table=part if part is not None and part.height == len(items) else None)
    return fast


def _labelled(report: Report, items: Sequence[dict[str, Any]], table: pl.DataFrame) -> pl.DataFrame:
    """``table`` with each group value's label (``label:<name>``) and, after a review,
    ``new`` (from ``items``, the same actions as dictionaries)."""
    labels = []
    for group in report.groups:
        values = table.get_column(f"group:{group.name}")
        shown = {value: report.label(group, value) for value in values.drop_nulls().unique().to_list()}
        labels.append(values.replace_strict(list(shown), list(shown.values()), default=None, return_dtype=pl.String)
                      .alias(f"label:{group.name}"))
    if report.review:
        new = report.tr("new")
        labels.append(pl.Series("new", [new if a.get("new") else None for a in items], dtype=pl.String))
    return table.with_columns(labels)


def _fills(tones: dict[Any, str]) -> dict[Any, str]:
    return {value: FILLS[tone] for value, tone in tones.items() if tone in FILLS}


def _fill(tones: dict[Any, str], value: Any) -> str | None:
    if not tones or not isinstance(value, (str, int, float, bool)):
        return None
    tone = tones.get(value)
    return FILLS.get(tone) if tone else None
