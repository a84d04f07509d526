""""Since the last review" in the HTML report (:mod:`clientwise.plugins.reports.review`).

Every text goes through markupsafe (escaped, bidi-isolated like the rest of the report)
and every chart through :mod:`clientwise.plugins.reports.svg_trend`. A move is a
symbol and a word in a ``move-up``/``move-down`` span: the colour only repeats what
the text says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from clientwise.plugins.reports import svg_trend
from clientwise.plugins.reports.html_blocks import html_text
from clientwise.plugins.reports.review import ReviewView, Trend, spark_label

Linker = Callable[[Any], Markup]


def move(trend: Trend) -> Markup:
    """``▲ up (was Core)`` in a span classed by the move (for colour; the text says it all)."""
    return Markup('<span class="move move-{}">{}</span>').format(trend.move or "unknown", html_text(trend.text))


def new_mark(tr: Callable[..., str]) -> Markup:
    return Markup('<span class="new-mark">{}</span>').format(html_text(tr("new")))


def summary(view: ReviewView, tr: Callable[..., str]) -> Markup:
    """The executive summary's paragraph: which review, and what changed since, in sentences."""
    items = Markup("").join(Markup("<li>{}</li>").format(html_text(line)) for line in view.sentences[1:])
    return Markup('<h3>{}</h3><p id="review-compared-with">{}</p>'
                  '<ul class="findings" id="review-findings">{}</ul>').format(
        html_text(tr("Since the last review")), html_text(view.sentences[0]), items)


def section(view: ReviewView, link: Linker, fmt: Any, tr: Callable[..., str]) -> Markup:
    """The report's "Since the last review" section: the migration chart and the key customers' table."""
    out = [Markup('<section class="block" id="review"><h2>{}</h2><p>{}</p>').format(
        html_text(tr("Since the last review")), html_text(view.heading))]
    if view.order:
        label = tr("Tier migration since the last review: customers per tier then (rows) and now (columns)")
        drawing = svg_trend.migration_matrix(view.order, view.counts, label=label, then_title=tr("Then"),
                                             now_title=tr("Now"), number=fmt.whole)
        caption = tr("Customers in both runs; the diagonal (heavy border) kept their tier.")
        out.append(Markup('<h3>{}</h3><figure id="review-migration">{}<figcaption>{}</figcaption></figure>').format(
            html_text(tr("Tier migration")), Markup(drawing), html_text(caption)))
    if view.rows:
        out.append(_customers(view, link, fmt, tr))
    out.append(Markup("</section>"))
    return Markup("").join(out)


def _customers(view: ReviewView, link: Linker, fmt: Any, tr: Callable[..., str]) -> Markup:
    tiers = view.reviewed_label()
    head = [tr("Customer"), tr("Name"), *(label for _, label in view.outputs), tr("Health over the reviews"),
            tr("New actions")]
    rows = []
    for row in view.rows:
        cells = [Markup('<td class="key">{}</td>').format(link(row["key"])),
                 Markup("<td>{}</td>").format(html_text(row["name"] or ""))]
        for output, _ in view.outputs:
            trend = row["trends"].get(output)
            cells.append(Markup("<td>{}<br>{}</td>").format(html_text(trend.now), move(trend)) if trend is not None
                         else Markup("<td>{}</td>").format(html_text(fmt.show(None))))
        values = row["health"] or []
        spark = svg_trend.sparkline(values, label=spark_label(tr, view.runs, values, fmt)) \
            if any(v is not None for v in values) else ""
        cells.append(Markup('<td class="spark-cell">{}</td>').format(Markup(spark)))
        cells.append(Markup('<td class="num">{}</td>').format(html_text(fmt.whole(row["new"]))))
        rows.append(Markup("<tr>{}</tr>").format(Markup("").join(cells)))
    note = Markup("")
    if view.total > len(view.rows):
        note = Markup('<p class="note">{}</p>').format(html_text(tr(
            "The first {shown} of {total} customers are listed; the xlsx report has them all.",
            shown=fmt.whole(len(view.rows)), total=fmt.whole(view.total))))
    return Markup('<h3>{}</h3><p>{}</p>{}<div class="scroll"><table id="review-customers"><thead><tr>{}</tr></thead>'
                  "<tbody>{}</tbody></table></div>").format(
        html_text(tr("Key customers ({tiers})", tiers=tiers)),
        html_text(tr("Each customer's tier, health and checklist score now, and how they moved since the last review "
                     "(▲ up, ▼ down, = same, + new customer); health across the stored reviews: {runs}.",
                     runs=", ".join(view.runs))),
        note, Markup("").join(Markup("<th>{}</th>").format(html_text(h)) for h in head), Markup("").join(rows))


def customer_line(view: ReviewView, key: str, tr: Callable[..., str]) -> Markup:
    """A customer's detail block line: each compared output's move since the last review."""
    trends = view.customers.get(key)
    if not trends:
        return Markup("")
    labels = dict(view.outputs)
    parts = Markup("; ").join(Markup("{}: {} {}").format(html_text(labels[output]), html_text(trend.now), move(trend))
                              for output, trend in trends.items())
    return Markup('<p class="since"><b>{}</b>: {}</p>').format(html_text(tr("Since the last review")), parts)
