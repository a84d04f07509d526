"""The workbook's "Since last review" sheet (:mod:`clientwise.plugins.reports.review`).

At the top, which review the run is compared with and what changed, in the executive
summary's sentences, and the tier migration matrix as a table; below, every customer
of this run (not only the key customers the HTML report lists): tier, health and
checklist score then and now with the move as a word, the actions new since the last
review, and health at each stored review for the key customers, so an analyst can
sort and filter. Rows are written as XML (:class:`FastRows`): a large portfolio has a
row per customer here as on the Customers sheet.
"""

from __future__ import annotations

from openpyxl import Workbook

from clientwise.output.review import TIER
from clientwise.plugins.reports.model import Report
from clientwise.plugins.reports.review import SYMBOLS, word
from clientwise.plugins.reports.xlsx_rows import FastRows
from clientwise.plugins.reports.xlsx_sheet import Sheet, cell_value

TITLE = "Since last review"


def review_sheet(book: Workbook, report: Report) -> FastRows | None:
    """The sheet, or None when the report has no review."""
    view = report.review
    if view is None:
        return None
    tr, fmt = report.tr, report.fmt
    review = view.review
    labels = dict(view.outputs)
    head = [tr("Customer"), tr("Name")]
    for output, label in view.outputs:
        head += [tr("{label} then", label=label), tr("{label} now", label=label), tr("{label}: move", label=label)]
    head += [tr("New actions"), *(tr("Health {run}", run=run) for run in view.runs)]
    sheet = Sheet(book, TITLE, (14, 30, *([14] * (3 * len(labels))), 30, *([12] * len(view.runs))),
                  formats=fmt.style.xlsx_formats())
    written = 0

    def line(values: list[object]) -> None:
        nonlocal written
        sheet.append(values)
        written += 1

    line([sheet.cell(view.heading, bold=True)])
    for sentence in view.sentences[1:]:
        line([sentence])
    if view.order:
        line([])
        sheet.header([f"{tr('Tier migration')}: {tr('Then')} \\ {tr('Now')}", *view.order])
        written += 1
        for then, counts in zip(view.order, view.counts):
            line([then, *counts])
    line([])
    sheet.header(head)
    written += 1
    rows = FastRows(sheet.sheet, first_row=written + 1)
    tier = next((c for c in report.columns if c.name == TIER), None)
    names = {value: report.label(tier, value) for value in review.tiers} if tier is not None else {}
    number = sheet.formats.get("number")
    for row in review.customers.iter_rows(named=True):
        cells = [(cell_value(row["key"]), None, None), (cell_value(row["name"]), None, None)]
        for output in labels:
            then, now, move = row[f"{output}_then"], row[f"{output}_now"], row[f"{output}_move"]
            if output == TIER:
                then, now = names.get(then, then), names.get(now, now)
            known = move is not None or then is not None or now is not None
            cells += [(cell_value(then), number, None), (cell_value(now), number, None),
                      (f"{SYMBOLS[move]} {word(move, tr)}" if known else None, None, None)]
        cells.append((cell_value(row["new_actions"]) or None, None, None))
        cells += [(cell_value(v), number, None) for v in (row["health_runs"] or [])]
        rows.append(cells)
    return rows
