"""Report blocks as HTML: figures, notes, tables and SVG charts, built in Python.

Tables of thousands of rows are the bulk of a large report; writing their markup
here (every value formatted by its kind through :func:`format.show` and escaped with
markupsafe) is several times faster than a template loop. Colours are tone classes
(``t-good`` ...) defined once in ``templates/report.css``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from markupsafe import Markup, escape

from clientwise.output.blocks import (
    BarChart,
    Block,
    Cell,
    Chart,
    Column,
    CurveChart,
    Figure,
    Figures,
    Note,
    StackedBarChart,
    Table,
)
from clientwise.output.escape import has_bidi
from clientwise.plugins.reports import html_charts, svg
from clientwise.plugins.reports.format import MARKS, Formatter
from clientwise.plugins.reports.model import SectionView

#: Gives the markup of a customer key: a link to its detail block when it has one.
Linker = Callable[[Any], Markup]

_NUMERIC = frozenset({"number", "integer", "percent", "money"})
_MARK_TONES = {True: "good", False: "bad", None: "neutral"}


def section(view: SectionView, link: Linker, fmt: Formatter) -> Markup:
    """A section's blocks (or the error its plugin raised instead)."""
    if view.error is not None:
        return Markup('<p class="note">{}</p>').format(view.error)
    return Markup("\n").join(block(b, link, fmt, cut=index in view.cut) for index, b in enumerate(view.blocks))


def block(item: Block, link: Linker, fmt: Formatter, *, cut: bool = False) -> Markup:
    if isinstance(item, Figures):
        return figures(item.figures, link, fmt, item.title)
    if isinstance(item, Note):
        return Markup("<p>{}</p>").format(item.text)
    if isinstance(item, Table):
        return table(item, link, fmt, cut=cut)
    if isinstance(item, Chart):
        return chart(item, fmt)
    return Markup("")  # a kind of block this version does not know


def figures(items: Sequence[Figure], link: Linker, fmt: Formatter, title: str = "") -> Markup:
    rows = "".join(Markup("<tr><th>{}</th><td>{}</td></tr>").format(f.label, value(f.value, f.kind, link, fmt))
                   for f in items)
    heading = Markup("<h3>{}</h3>").format(title) if title else Markup("")
    return heading + Markup('<table class="figures"><tbody>') + Markup(rows) + Markup("</tbody></table>")


def value(item: Any, kind: str, link: Linker, fmt: Formatter) -> Markup:
    """One value's markup: a customer key is linked, everything else shown by its kind."""
    if kind == "customer" and item is not None:
        return link(item)
    return html_text(fmt.show(item, kind))


def html_text(item: Any) -> Markup:
    """Text as HTML: escaped, and isolated in ``<bdi>`` when it holds bidirectional controls,
    so a customer name with U+202E cannot reverse the text around it."""
    escaped = escape(item)
    return Markup("<bdi>{}</bdi>").format(escaped) if isinstance(item, str) and has_bidi(item) else escaped


def table(item: Table, link: Linker, fmt: Formatter, *, cut: bool = False) -> Markup:
    out = [Markup("<h3>{}</h3>").format(item.title)] if item.title else []
    if item.note:
        out.append(Markup("<p>{}</p>").format(item.note))
    head = "".join(_header(column) for column in item.columns)
    attributes = Markup(' id="{}"').format(item.id) if item.id else Markup("")
    out.append(Markup('<div class="scroll"><table{}><thead><tr>{}</tr></thead><tbody>').format(attributes, Markup(head)))
    cells = [_cell_maker(column, link, fmt) for column in item.columns]
    out.append(Markup("".join("<tr>" + "".join(make(v) for make, v in zip(cells, row)) + "</tr>" for row in item.rows)))
    out.append(Markup("</tbody>"))
    if item.footer is not None:
        footer = [Markup("<th>{}</th>").format(fmt.show(_plain(item.footer[0]))) if item.footer else ""]
        footer += [Markup("<td{}>{}</td>").format(_numeric(_kind(c, v)), fmt.show(_plain(v), _kind(c, v)) if v is not None else "")
                   for c, v in zip(item.columns[1:], item.footer[1:])]
        out.append(Markup("<tfoot><tr>") + Markup("").join(footer) + Markup("</tr></tfoot>"))
    out.append(Markup("</table></div>"))
    if item.total > len(item.rows):
        unit = "customers" if any(c.kind == "customer" for c in item.columns) else "rows"
        where = "; the xlsx, csv and json outputs have them all" if cut else ""
        out.append(Markup('<p class="note">Showing the first {} of {} {}{}.</p>').format(
            fmt.whole(len(item.rows)), fmt.whole(item.total), unit, where))
    return Markup("\n").join(out)


def _header(column: Column) -> str:
    classes = "q" if column.marks else ("num" if column.kind in _NUMERIC else "")
    attributes = Markup(' class="{}"').format(classes) if classes else Markup("")
    if column.description:
        attributes += Markup(' title="{}"').format(column.description)
    return Markup("<th{}>{}</th>").format(attributes, column.label)


def _numeric(kind: str) -> Markup:
    return Markup(' class="num"') if kind in _NUMERIC else Markup("")


def _plain(item: Any) -> Any:
    return item.value if isinstance(item, Cell) else item


def _kind(column: Column, item: Any) -> str:
    return item.kind if isinstance(item, Cell) and item.kind else column.kind


def _cell_maker(column: Column, link: Linker, fmt: Formatter) -> Callable[[Any], str]:
    """How one column's cells are written (chosen once per column: tables can be long)."""
    tones, kind = column.tones, column.kind
    numeric = kind in _NUMERIC

    def make(item: Any) -> str:
        tone = None
        if isinstance(item, Cell):
            if item.kind and item.kind != kind:
                return _cell_maker(replace(column, kind=item.kind, marks=False), link, fmt)(Cell(item.value, item.tone))
            item, tone = item.value, item.tone
        if column.marks:
            mark = None if item is None else bool(item)
            tone = tone or _MARK_TONES[mark]
            return f'<td class="cell t-{tone}">{MARKS[mark]}</td>'
        if tone is None and tones and isinstance(item, (str, int, float, bool)):
            tone = tones.get(item)
        classes = " ".join(c for c in ("num" if numeric else "", "key" if kind == "customer" else "",
                                       f"t-{escape(tone)}" if tone else "") if c)
        text = value(item, kind, link, fmt)
        return f'<td class="{classes}">{text}</td>' if classes else f"<td>{text}</td>"

    return make


def chart(item: Chart, fmt: Formatter) -> Markup:
    """A chart as an SVG figure with its legend, caption and summary (only the title and
    the text for a kind of chart this version cannot draw)."""
    drawing: str | None = None
    legend = Markup("")
    if isinstance(item, CurveChart) and item.points:
        drawing = svg.curve_chart(
            item.points, label=item.title, x_title=item.x_title, y_title=item.y_title,
            hlines=[(line.value, line.label) for line in item.hlines],
            vlines=[(line.value, line.label) for line in item.vlines],
            marker=(item.marker.point, item.marker.label) if item.marker else None,
            tones={entry.group: entry.tone for entry in item.legend}, percent=lambda v: fmt.style.percent(v, 0))
        legend = Markup("").join(Markup('<span><i class="swatch t-{}"></i>{}</span>').format(entry.tone, entry.label)
                                 for entry in item.legend)
    elif isinstance(item, BarChart) and item.bars:
        drawing = svg.bar_chart([(bar.label, bar.value, fmt.show(bar.value, item.kind) + (
            f" ({fmt.pct(bar.share)})" if bar.share is not None else ""), bar.tone) for bar in item.bars], label=item.title)
    elif isinstance(item, StackedBarChart) and item.stacks:
        kind = item.kind
        drawing = svg.stacked_bars([(stack.label, stack.parts) for stack in item.stacks], label=item.title,
                                   number=lambda v: fmt.show(v, kind))
    else:
        drawing = html_charts.drawing(item, fmt)
    caption = " ".join(text for text in (item.caption, item.summary) if text)
    out = Markup("<h3>{}</h3>").format(item.title)
    if drawing is None and not caption:
        return out
    attributes = Markup(' id="{}"').format(item.id) if item.id else Markup("")
    text = legend + (Markup(" ") if legend and caption else Markup("")) + html_text(caption)
    classes = Markup(' class="legend-row"') if legend else Markup("")
    figcaption = Markup("<figcaption{}>{}</figcaption>").format(classes, text) if text else Markup("")
    return out + Markup("<figure{}>{}{}</figure>").format(attributes, Markup(drawing or ""), figcaption)
