"""The ``md`` format: a Markdown summary to paste into documents, wikis and tickets.

It holds the portfolio views (overview, tiers, profitability, checklist, relationship
bands) and the recommended actions by priority, not the per-customer detail (that is
what csv, json and html are for). Customer text is escaped so that names cannot break
a table, start a heading, inject HTML or turn into a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO, ClassVar

from clientwise.host.contracts import Writer
from clientwise.host.spec import hookimpl
from clientwise.plugins.io.table import format_cell
from clientwise.plugins.reports.format import money, pct, target_range, whole
from clientwise.plugins.reports.model import Report, build
from clientwise.runtime.result import Result

#: Characters with a meaning inside a line of Markdown (emphasis, code, links, HTML,
#: table cells, entities); text is never placed at the start of a line, so list and
#: heading markers need no escape.
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~&])")
_BREAKS = re.compile(r"[\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]+")


def md(value: Any) -> str:
    """Text safe inside a Markdown table cell or paragraph."""
    text = "—" if value is None else str(value)
    return _SPECIAL.sub(r"\\\1", _BREAKS.sub(" ", text))


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], right: Sequence[bool] = ()) -> list[str]:
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---:" if (right[i] if i < len(right) else False) else "---" for i in range(len(head))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def render(result: Result) -> str:
    """The summary as Markdown text (same result, same text)."""
    report = build(result)
    o = report.overview
    out = [f"# {md(report.title)}", "",
           f"As of **{o['as_of']}** · ruleset **{md(o['ruleset'])}** {md(o['version'])} · hash `{o['hash']}`", ""]
    figures = [("Customers", whole(o["customers"])), ("Revenue", money(o["revenue"])), ("Profit", money(o["profit"])),
               ("Cost to serve", money(o["cost_to_serve"])), ("Recommended actions", whole(o["actions"]))]
    out += _table(["Figure", "Value"], ([name, value] for name, value in figures if value != "—"), (False, True))
    if o["plugin_errors"]:
        out += ["## Plugin errors", "", *(f"- {md(e)}" for e in o["plugin_errors"]), ""]
    if report.warnings:
        out += ["## Warnings", "", *(f"- {md(w)}" for w in report.warnings), ""]
    out += _segmentation(report) + _profitability(report) + _checklist(report) + _relationship(report)
    out += _others(report)
    out += _actions(report, result)
    out += ["## Produced by", "", *(f"- {md(line)}" for line in o["provenance"]), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _segmentation(report: Report) -> list[str]:
    if not report.tiers:
        return []
    rows = ([md(t["tier"]), whole(t["customers"]), pct(t["customer_share"]), pct(t["measure_share"]),
             pct(t["profit_share"]), target_range(t), "—" if t.get("target_met") is None else ("yes" if t["target_met"] else "**no**")]
            for t in report.tiers)
    return ["## Segmentation", "", *_table(["Tier", "Customers", "% customers", "% revenue", "% profit", "Target", "Met"],
                                           rows, (False, True, True, True, True, True, False))]


def _profitability(report: Report) -> list[str]:
    if "profitability" not in report.sections:
        return []
    out = ["## Profitability", ""]
    if report.whale_peak is not None:
        out += [f"Profit peaks at {pct(report.whale_peak.y)} of the total with the most profitable "
                f"{pct(report.whale_peak.x)} of customers; the rest destroy value.", ""]
    out += _table(["Cost driver", "Cost", "Share"],
                  ([md(d["label"]), money(d["cost"]), pct(d["share_of_cost"])] for d in report.drivers), (False, True, True))
    if report.destroyers:
        out += ["Biggest value destroyers:", ""]
        out += _table(["Customer", "Name", "Profit", "Cost to serve"],
                      ([md(d["key"]), md(d["name"] or ""), money(d["profit"]), money(d["cost_to_serve"])]
                       for d in report.destroyers), (False, False, True, True))
    return out


def _checklist(report: Report) -> list[str]:
    if not report.questions:
        return []
    rows = ([md(q["question"]), md(q["text"]), whole(q["yes"]), whole(q["no"]), whole(q["not_applicable"]),
             pct(q["yes_share"])] for q in report.questions)
    return [f"## Checklist ({len(report.answers)} customers assessed)", "",
            *_table(["Question", "Text", "Yes", "No", "n/a", "% yes"], rows, (False, False, True, True, True, True))]


def _relationship(report: Report) -> list[str]:
    if not report.bands:
        return []
    out = ["## Relationship health", ""]
    out += _table(["Band", "Customers", "Share"],
                  ([md(b["band"] or "(no score)"), whole(b["customers"]), pct(b["share"])] for b in report.bands),
                  (False, True, True))
    if report.roles:
        out += _table(["Role", "Required", "Customers missing it", "In the coverage matrix"],
                      ([md(r["label"]), "yes" if r["required"] else "no", whole(r["customers_missing"]),
                        whole(r["matrix_customers_missing"])] for r in report.roles), (False, False, True, True))
    return out


def _others(report: Report) -> list[str]:
    """Plugin sections: figures, then each table (cut at report_model.OTHER_ROWS rows)."""
    out: list[str] = []
    for other in report.others:
        out += [f"## {md(other['title'])}", ""]
        if other["figures"]:
            out += _table(["Figure", "Value"], ([md(name), md(format_cell(value))] for name, value in other["figures"]))
        for name, columns, rows, total in other["tables"]:
            out += [f"**{md(name)}**" + (f" (the first {len(rows)} of {total:,} rows)" if total > len(rows) else ""), ""]
            out += _table([md(c) for c in columns], ([md(format_cell(v)) for v in row] for row in rows))
    return out


def _actions(report: Report, result: Result) -> list[str]:
    out = ["## Recommended actions", ""]
    if not report.actions:
        return out + ["None.", ""]
    if "actions" in report.truncated:
        shown, total = report.truncated["actions"]
        out += [f"The {shown:,} most urgent of {total:,} actions; the xlsx, csv and json outputs have them all.", ""]
    for priority, items in report.priorities():
        out += [f"### Priority {priority if priority is not None else 'unset'} ({len(items)})", ""]
        named = report.named
        head = ["Customer", *(["Name"] if named else []), "Tier", "Action", "Because"]
        rows = ([md(a["customer"]), *([md(a["customer_name"])] if named else []), md(a["tier"]), md(a["action"]),
                 md(a["because"])] for a in items)
        out += _table(head, rows)
    return out


class MarkdownWriter(Writer):
    """Portfolio summary and actions in Markdown (GitHub-flavoured tables)."""

    format: ClassVar[str] = "md"
    suffix: ClassVar[str] = ".md"
    suffixes: ClassVar[tuple[str, ...]] = (".md", ".markdown")
    description: ClassVar[str] = "A Markdown summary: portfolio views and actions by priority, for documents and tickets."

    def write(self, result: Result, stream: BinaryIO) -> None:
        stream.write(render(result).encode("utf-8"))


@hookimpl
def clientwise_writers() -> list[Any]:
    return [MarkdownWriter()]
