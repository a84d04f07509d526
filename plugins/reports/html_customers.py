"""The HTML report's per-customer detail blocks, written directly rather than by the template.

A large report has thousands of blocks, each a dozen values and a dozen traced rules:
about a million printed items, which cost jinja (a call, a finalize and an escape each)
most of the report's time. Here each item is escaped once (:func:`html_blocks.html_text`,
bidi isolation included) and joined; the bytes are those the template wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from clientwise.plugins.reports.html_blocks import html_text
from clientwise.plugins.reports.traces import status_labels


def text(item: Any) -> Markup:
    """An item as the template prints it: text escaped and isolated, anything else escaped."""
    return html_text(item) if isinstance(item, str) and not isinstance(item, Markup) else escape(item)


def customer_blocks(customers: Sequence[dict[str, Any]], anchors: dict[str, str],
                    value: Callable[[Any, str], Markup], tr: Callable[..., str],
                    values: Callable[[dict[str, Any] | None], str],
                    since: Callable[[str], Markup] | None = None,
                    decisions: Mapping[str, str] | None = None) -> Markup:
    """One ``<details>`` block per customer: headline values, the moves since the last
    review (``since``, when there was one), actions, traced rules (each decision by its
    label in ``decisions``, each status in words; the ids are the status cell's class)."""
    actions_title = text(tr("Actions"))
    priority = tr("priority {priority}")  # a template, filled per action
    words = (tr("Decision"), tr("Rule"), tr("Status"), tr("Condition"), tr("Values"), tr("Because"))
    head = Markup('<table class="trace"><thead><tr>') + Markup("").join(
        Markup("<th>") + text(word) + Markup("</th>") for word in words) + Markup("</tr></thead>\n<tbody>")
    statuses = {status: text(word) for status, word in status_labels(tr).items()}
    decided = {name: text(label) for name, label in (decisions or {}).items()} | {"actions": actions_title}
    out: list[str] = []
    for c in customers:
        out.append(f'<details class="customer" id="{text(anchors[c["key"]])}">\n<summary>{text(c["key"])}')
        if c["name"]:
            out.append(f' — {text(c["name"])}')
        out.append("</summary>\n<dl>")
        out.extend(f"<dt>{text(label)}</dt><dd>{text(value(v, kind))}</dd>" for label, v, kind in c["values"])
        out.append("</dl>\n")
        if since is not None:
            out.append(f"{since(c['key'])}\n")
        if c["actions"]:
            out.append(f"<p><b>{actions_title}</b></p><ul>")
            out.extend(f"<li>{text(a['action'])} ({text(priority.format(priority=a['priority']))}): {text(a['because'])}</li>"
                       for a in c["actions"])
            out.append("</ul>")
        if c["trace"]:
            out.append(head)
            out.extend(f"<tr><td>{decided.get(t['decision']) or text(t['decision'])}</td><td>{text(t['rule'])}</td>"
                       f'<td class="status-{text(t["status"])}">{statuses.get(t["status"]) or text(t["status"])}</td>'
                       f"<td><code>{text(t['condition'])}</code></td><td><code>{text(values(t.get('values')))}</code>"
                       f"</td><td>{text(t.get('because') or '')}</td></tr>" for t in c["trace"])
            out.append("</tbody></table>")
        out.append("</details>\n")
    return Markup("".join(out))
