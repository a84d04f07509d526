"""The HTML report's tables of actions, written directly rather than by the template.

A large portfolio's report lists thousands of actions twice (by priority and by owner),
each row a dozen printed items; through jinja (a call, a finalize and an escape per
item) that was a quarter of the report's time. Each item is escaped once here, with
bidi isolation (:func:`html_customers.text`); the bytes are those the template wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup

from clientwise.plugins.reports.html_customers import text
from clientwise.plugins.reports.model import Report


def action_table(report: Report, items: Sequence[dict[str, Any]], link: Callable[[Any], Markup],
                 attr: Callable[[str], str], new_mark: Markup, owners: bool = False) -> Markup:
    """One table of actions: customer (linked to its detail block), name, group values,
    stake, the priority (in an owner's list), action and reason; rows of the main list
    carry their group values and rule for the page's filters."""
    tr, groups = report.tr, report.groups
    head = [f"<th>{text(tr('Customer'))}</th>"]
    if report.named:
        head.append(f"<th>{text(tr('Name'))}</th>")
    head += [f"<th>{text(g.label)}</th>" for g in groups]
    if report.stake_label:
        head.append(f'<th class="num">{text(report.stake_label)}</th>')
    if owners:
        head.append(f"<th>{text(tr('Priority'))}</th>")
    head.append(f"<th>{text(tr('Action'))}</th><th>{text(tr('Because'))}</th>")
    out = ['<div class="scroll"><table class="action-table"><thead><tr>', *head, "</tr></thead>\n<tbody>"]
    filters = [(g, f" data-{text(attr(g.name))}=\"") for g in groups]
    new = f" {text(new_mark)}"
    for a in items:
        values = a["groups"]
        out.append("<tr")
        if not owners:
            out.extend(f'{name}{text(values[g.name] if values[g.name] is not None else "")}"' for g, name in filters)
            out.append(f' data-action="{text(a["rule"])}"')
        out.append(f'><td>{text(link(a["customer"]))}</td>')
        if report.named:
            out.append(f'<td>{text(a["customer_name"] or "")}</td>')
        out.extend(f'<td>{text(report.label(g, values[g.name]) if values[g.name] is not None else "—")}</td>'
                   for g in groups)
        if report.stake_label:
            out.append(f'<td class="num">{text(report.fmt.money(a["stake"]))}</td>')
        if owners:
            out.append(f'<td>{text(a["priority"] if a["priority"] is not None else "—")}</td>')
        out.append(f'<td>{text(a["action"])}{new if a.get("new") else ""}</td><td>{text(a["because"])}</td></tr>')
    out.append("</tbody></table></div>")
    return Markup("".join(out))
