"""The ``md`` format: a Markdown summary to paste into documents, wikis and tickets.

It holds the portfolio overview, each section's blocks except the detail ones (charts
become their one-sentence summary and, for bars, a table of their values) and the
recommended actions by priority, not the per-customer detail (that is what csv, json
and html are for). Customer text is escaped so that names cannot break a table, start
a heading, inject HTML or turn into a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO, ClassVar

from clientwise.host.contracts import Writer
from clientwise.host.spec import hookimpl
from clientwise.output.escape import show_bidi
from clientwise.output.blocks import BarChart, Block, Cell, Chart, Column, Figures, Note, StackedBarChart, Table
from clientwise.plugins.reports.format import MARKS, MISSING, Formatter
from clientwise.plugins.reports.model import Report, SectionView, build
from clientwise.runtime.result import Result

#: Characters with a meaning inside a line of Markdown (emphasis, code, links, HTML,
#: table cells, entities); text is never placed at the start of a line, so list and
#: heading markers need no escape.
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~&])")
_BREAKS = re.compile(r"[\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]+")
_NUMERIC = frozenset({"number", "integer", "percent", "money"})
#: A Markdown sparkline's characters, lowest to highest.
SPARKS = "▁▂▃▄▅▆▇█"


#: What Markdown renderers turn into links without brackets (GFM autolinks: a scheme's
#: ``:``, ``www.``'s dot, an address's ``@``); a backslash before it keeps the text plain.
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp|mailto|file|www)([:.])|(@)")


def md(value: Any) -> str:
    """Text safe inside a Markdown table cell or paragraph: no markup, no link, no line
    break, and bidirectional controls shown as code points."""
    text = MISSING if value is None else show_bidi(str(value))
    return _AUTOLINK.sub(_unlinked, _SPECIAL.sub(r"\\\1", _BREAKS.sub(" ", text)))


def _unlinked(match: re.Match[str]) -> str:
    return "\\@" if match.group(3) else f"{match.group(1)}\\{match.group(2)}"


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], right: Sequence[bool] = ()) -> list[str]:
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---:" if (right[i] if i < len(right) else False) else "---" for i in range(len(head))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def render(result: Result) -> str:
    """The summary as Markdown text (same result, same text)."""
    report = build(result)
    o, fmt, tr, settings = report.overview, report.fmt, report.tr, report.settings
    out = [f"# {md(report.title)}", ""]
    facts = [(tr("Client"), settings.client), (tr("As of"), fmt.date(result.as_of)),
             (tr("Prepared by"), settings.prepared_by), (tr("Confidentiality"), settings.confidentiality)]
    out += [" · ".join(f"{md(label)}: **{md(value)}**" for label, value in facts if value), ""]
    out += _executive(report)
    out += _since(report)
    for view in report.sections:
        out += _section(view, fmt)
    out += _actions(report)
    out += _owners(report)
    out += [f"## {md(tr('Appendix: how this report was produced'))}", "",
            f"{md(tr('Ruleset'))} **{md(o['ruleset'])}** {md(o['version'])} · {md(tr('Hash'))} `{o['hash']}` · "
            f"{md(tr('Files'))}: {md(', '.join(o['files']))} · {md(tr('Engine'))}: {md(o['engine'])}", ""]
    out += [f"**{md(tr('Produced by'))}**", "", *(f"- {md(line)}" for line in o["provenance"]), ""]
    if report.warnings:
        out += [f"**{md(tr('Warnings from the run'))}**", "", *(f"- {md(w)}" for w in report.warnings), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _executive(report: Report) -> list[str]:
    fmt, tr = report.fmt, report.tr
    out = [f"## {md(tr('Executive summary'))}", ""]
    figures = [(f.label, fmt.show(f.value, f.kind)) for f in report.cards]
    out += _table([md(tr("Figure")), md(tr("Value"))],
                  ([md(name), md(value)] for name, value in figures if value != MISSING), (False, True))
    if report.executive.findings:
        out += [f"**{md(tr('What stands out'))}**", "", *(f"- {md(line)}" for line in report.executive.findings), ""]
    if report.executive.top_actions:
        out += [f"**{md(tr('The most urgent actions'))}**", ""]
        for index, a in enumerate(report.executive.top_actions, start=1):
            stake = (f" ({md(report.stake_label)} {md(fmt.money(a['stake']))})"
                     if report.stake_label and a["stake"] is not None else "")
            name = f" {md(a['customer_name'])}" if a["customer_name"] else ""
            new = f" *({md(tr('new'))})*" if a.get("new") else ""
            out.append(f"{index}. **{md(a['action'])}**{new}: {md(a['customer'])}{name}{stake}. {md(a['because'])}")
        out.append("")
    if report.executive.review:
        out += [f"**{md(tr('Since the last review'))}**", "", md(report.executive.review[0]), "",
                *(f"- {md(line)}" for line in report.executive.review[1:]), ""]
    if report.overview["plugin_errors"]:
        out += [f"**{md(tr('Plugin errors'))}**", "", *(f"- {md(e)}" for e in report.overview["plugin_errors"]), ""]
    return out


def _since(report: Report) -> list[str]:
    """"Since the last review": the tier migration as a table, the key customers' moves and health."""
    view, tr, fmt = report.review, report.tr, report.fmt
    if view is None:
        return []
    out = [f"## {md(tr('Since the last review'))}", "", md(view.heading), ""]
    if view.order:
        axes = tr("rows: then, columns: now")
        out += [f"**{md(tr('Tier migration'))}** ({md(axes)})", ""]
        out += _table([md(tr("Then")) + " \\ " + md(tr("Now")), *(md(c) for c in view.order)],
                      ([f"**{md(then)}**", *(md(fmt.whole(n)) for n in counts)]
                       for then, counts in zip(view.order, view.counts)),
                      (False, *([True] * len(view.order))))
    if view.rows:
        more = ""
        if view.total > len(view.rows):
            more = " " + md(tr("The first {shown} of {total} customers are listed; the xlsx report has them all.",
                               shown=fmt.whole(len(view.rows)), total=fmt.whole(view.total)))
        out += [f"**{md(tr('Key customers ({tiers})', tiers=view.reviewed_label()))}**{more}", ""]
        head = [md(tr("Customer")), md(tr("Name")), *(md(label) for _, label in view.outputs),
                md(tr("Health over the reviews")) + f" ({md(', '.join(view.runs))})", md(tr("New actions"))]
        out += _table(head, ([md(row["key"]), md(row["name"] or ""),
                              *(md(f"{t.now} {t.text}" if t else MISSING)
                                for t in (row["trends"].get(o) for o, _ in view.outputs)),
                              md(spark_text(row["health"] or [], fmt)), md(fmt.whole(row["new"]))]
                             for row in view.rows), (False, False, *([False] * len(view.outputs)), False, True))
    return out


def spark_text(values: Sequence[float | None], fmt: Formatter) -> str:
    """Health across the reviews as block characters and numbers: ``▂▅▇ 31 → 58 → 72`` (a gap is a space)."""
    known = [v for v in values if v is not None]
    if not known:
        return MISSING
    low, high = min(0.0, *known), max(100.0, *known)
    bars = "".join(" " if v is None else SPARKS[min(len(SPARKS) - 1, int((v - low) / ((high - low) or 1) * len(SPARKS)))]
                   for v in values)
    return bars + " " + " → ".join(fmt.show(round(v, 1) if v is not None else None) for v in values)


def _section(view: SectionView, fmt: Formatter) -> list[str]:
    out = [f"## {md(view.title)}", ""]
    if view.error is not None:
        return out + [f"Plugin error: {md(view.error)}", ""]
    for index, block in enumerate(view.blocks):
        if not block.detail:
            out += _block(block, fmt, cut=index in view.cut)
    return out


def _block(block: Block, fmt: Formatter, *, cut: bool) -> list[str]:
    if isinstance(block, Figures):
        head = [f"**{md(block.title)}**", ""] if block.title else []
        return head + _table(["", ""], ([md(f.label), md(fmt.show(f.value, f.kind))] for f in block.figures))
    if isinstance(block, Note):
        return [md(block.text), ""]
    if isinstance(block, Table):
        return _data_table(block, fmt, cut=cut)
    if isinstance(block, Chart):
        return _chart(block, fmt)
    return []


def _data_table(table: Table, fmt: Formatter, *, cut: bool) -> list[str]:
    """A table without its detail columns (cut at the report's row limit, saying so)."""
    shown = [i for i, column in enumerate(table.columns) if not column.detail]
    unit = "customers" if any(c.kind == "customer" for c in table.columns) else "rows"
    more = f" (the first {fmt.whole(len(table.rows))} of {fmt.whole(table.total)} {unit})" if table.total > len(table.rows) else ""
    out = [f"**{md(table.title)}**{more}", ""] if table.title or more else []
    if table.note:
        out += [md(table.note), ""]
    columns = [table.columns[i] for i in shown]
    rows = [[_cell(row[i], table.columns[i], fmt) for i in shown] for row in table.rows]
    if table.footer is not None:
        rows.append([_cell(table.footer[i], table.columns[i], fmt) if table.footer[i] is not None else "" for i in shown])
    return out + _table([md(c.label) for c in columns], rows, [c.kind in _NUMERIC for c in columns])


def _cell(value: Any, column: Column, fmt: Formatter) -> str:
    kind, marks = column.kind, column.marks
    if isinstance(value, Cell):
        value, kind, marks = value.value, value.kind or kind, marks and not value.kind
    if marks:
        return MARKS[None if value is None else bool(value)]
    return md(fmt.show(value, kind))


def _chart(chart: Chart, fmt: Formatter) -> list[str]:
    """A chart's summary, and for bars their values as a table."""
    out = [f"**{md(chart.title)}**", ""]
    if chart.summary:
        out += [md(chart.summary), ""]
    if isinstance(chart, BarChart):
        shares = any(bar.share is not None for bar in chart.bars)
        out += _table(["", "Value", *(["Share"] if shares else [])],
                      ([md(b.label), md(fmt.show(b.value, chart.kind)), *([md(fmt.show(b.share, "percent"))] if shares else [])]
                       for b in chart.bars), (False, True, True))
    elif isinstance(chart, StackedBarChart):
        parts = list(dict.fromkeys(name for stack in chart.stacks for name, _ in stack.parts))
        values = [dict(stack.parts) for stack in chart.stacks]
        out += _table(["", *(md(p) for p in parts)],
                      ([md(stack.label), *(md(fmt.show(v.get(p), chart.kind)) for p in parts)]
                       for stack, v in zip(chart.stacks, values)), (False, *([True] * len(parts))))
    return out


def _actions(report: Report) -> list[str]:
    tr = report.tr
    out = [f"## {md(tr('Recommended actions'))}", ""]
    if not report.actions:
        return out + [md(tr("None.")), ""]
    if "actions" in report.truncated:
        shown, total = report.truncated["actions"]
        out += [md(tr("The {shown} most urgent of {total} actions are listed; the xlsx, csv and json outputs have "
                      "them all.", shown=report.fmt.whole(shown), total=report.fmt.whole(total))), ""]
    if report.stake_label:
        out += [md(tr("Within each priority, actions are ranked by what is at stake: the customer's {measure}, "
                      "largest first.", measure=report.stake_label)), ""]
    for priority, items in report.priorities():
        label = tr("Priority {priority}", priority=priority if priority is not None else tr("unset"))
        out += [f"### {md(label)} ({len(items)})", ""]
        out += _action_table(report, items, owners=False)
    return out


def _owners(report: Report) -> list[str]:
    """Each owner's actions under their name, so each can be handed their own list."""
    owners = report.owners()
    if not owners:
        return []
    tr = report.tr
    out = [f"## {md(tr('Actions by owner'))}", ""]
    for owner, items in owners:
        out += [f"### {md(owner if owner is not None else tr('No owner'))} ({len(items)})", ""]
        out += _action_table(report, items, owners=True)
    return out


def _action_table(report: Report, items: Sequence[dict[str, Any]], *, owners: bool) -> list[str]:
    tr, fmt, named, groups, stake = report.tr, report.fmt, report.named, report.groups, report.stake_label
    head = [md(tr("Customer")), *([md(tr("Name"))] if named else []), *(md(g.label) for g in groups),
            *([md(stake)] if stake else []), *([md(tr("Priority"))] if owners else []), md(tr("Action")),
            md(tr("Because"))]
    rows = ([md(a["customer"]), *([md(a["customer_name"])] if named else []),
             *(md(report.label(g, a["groups"][g.name]) if a["groups"][g.name] is not None else None) for g in groups),
             *([md(fmt.money(a["stake"]))] if stake else []), *([md(a["priority"])] if owners else []),
             md(a["action"]) + (f" *({md(tr('new'))})*" if a.get("new") else ""), md(a["because"])] for a in items)
    right = [False, *([False] if named else []), *([False] * len(groups)), *([True] if stake else [])]
    return _table(head, rows, right)


class MarkdownWriter(Writer):
    """Portfolio summary and actions in Markdown (GitHub-flavoured tables)."""

    format: ClassVar[str] = "md"
    suffix: ClassVar[str] = ".md"
    suffixes: ClassVar[tuple[str, ...]] = (".md", ".markdown")
    description: ClassVar[str] = "A Markdown summary: portfolio views and actions by priority, for documents and tickets."
    escape_formulas: ClassVar[bool] = False  # Markdown text: md() escapes markup and links
    review: ClassVar[bool] = True  # "since the last review" when a previous run is stored

    def write(self, result: Result, stream: BinaryIO) -> None:
        stream.write(render(result).encode("utf-8"))


@hookimpl
def clientwise_writers() -> list[Any]:
    return [MarkdownWriter()]
