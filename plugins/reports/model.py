"""What the HTML, Markdown and Excel reports show, gathered once from a :class:`Result`.

A report has a part that is the same for every ruleset (the portfolio overview with
the run's identity, headline figures and warnings; the recommended actions; in the HTML
report each customer's detail block) and, between them, one part per section: the
blocks its plugin gives (``Result.section_reports``). Those are shown as they are; the
report only prepares them for people: headline figures move to the overview, long
tables are cut at a row limit, and every table of customers gets each customer's name
and group columns (the tier) next to the key. The reports differ in layout, not in
content: a figure in the HTML report is the same figure in the Markdown summary.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from clientwise.compiler.plan import OutputColumn
from clientwise.output.blocks import Block, Chart, Column, Figure, Figures, SectionReport, Table
from clientwise.output.locale import locale_style
from clientwise.output.messages import Messages, messages
from clientwise.output.notice import for_reader
from clientwise.plugins.io.values import finite, plain
from clientwise.plugins.reports import labels, review, traces, translate
from clientwise.plugins.reports.action_list import action_dicts, action_table, customer_frame
from clientwise.plugins.reports.executive import Executive, by_owner, summarize, value_label
from clientwise.plugins.reports.format import Formatter
from clientwise.plugins.reports.review import ReviewView
from clientwise.ruleset.report import ReportSettings
from clientwise.runtime.result import Result

#: Longest list of customers or actions a report for people shows (a table of customers,
#: the actions); a larger portfolio's report says how many it left out, and the xlsx,
#: csv and json outputs hold them all. Up to this many customers, every customer also
#: gets a detail block.
ROW_LIMIT = 5000
#: A larger portfolio's report keeps at most this many detail blocks: those of the
#: customers its lists name first, taking the top rows of every list in turn (so the
#: most urgent actions and the top of the Pareto table both keep theirs), and says so.
#: Every block is built in Python (headline values, actions, traced rules): 9,000 blocks
#: were two thirds of the report's time at 100,000 customers, and 40% of its file.
DETAIL_LIMIT = 1000
#: Decisions and statuses a customer's detail block lists in a portfolio of more than
#: FULL_TRACE_LIMIT customers (skipped and not-met rules are then left out to keep the
#: file small; ``clientwise evaluate --explain KEY`` always shows all).
TRACE_STATUSES = ("fired", "unknown")
#: In a portfolio of up to this many customers, each detail block lists every rule of
#: every decision with its status and the values it read: the full explanation trace.
FULL_TRACE_LIMIT = 1000
#: Anchors of the report's own parts; a section with one of these names gets another.
RESERVED_ANCHORS = frozenset({"overview", "summary", "review", "review-compared-with", "review-findings", "review-migration",
                              "review-customers", "actions", "owners", "customers", "appendix"})


@dataclass
class SectionView:
    """One section as the report shows it: its blocks, prepared (see the module docstring)."""

    section: str
    title: str
    anchor: str
    blocks: list[Block] = field(default_factory=list)
    error: str | None = None
    #: Indexes of the tables the report cut at its row limit (the other outputs have every row).
    cut: set[int] = field(default_factory=set)


@dataclass
class Report:
    """Everything a report renders, as plain values (strings are raw: the renderer escapes)."""

    title: str
    overview: dict[str, Any]
    #: The overview's figures: customers, each section's headline figures, recommended actions.
    cards: list[Figure]
    warnings: list[str]
    sections: list[SectionView]
    #: Columns customers are grouped by (``OutputColumn.group``): shown with every action.
    groups: list[OutputColumn]
    anchors: dict[str, str] = field(default_factory=dict)
    actions: list[dict[str, Any]] = field(default_factory=list)
    #: ``actions`` as a table (:func:`~clientwise.plugins.reports.action_list.action_table`), for writers
    #: that write it column by column; the dicts may carry more (``new``, by the review).
    action_table: pl.DataFrame | None = None
    customers: list[dict[str, Any]] = field(default_factory=list)
    #: Whether customers have a name column besides their key.
    named: bool = False
    #: "actions" and "customers" -> (rows shown, rows in all) when cut at the row limit.
    truncated: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: The ruleset's ``[report]``: client, prepared by, confidentiality, locale, currency.
    settings: ReportSettings = field(default_factory=ReportSettings)
    #: Values in the report's locale, and its own sentences in its language.
    fmt: Formatter = field(default_factory=Formatter)
    tr: Messages = field(default_factory=Messages)
    executive: Executive = field(default_factory=Executive)
    #: The label of the field actions are ranked by within a priority ("" when none).
    stake_label: str = ""
    #: The result's output columns with labels in the report's language.
    columns: list[OutputColumn] = field(default_factory=list)
    #: "Since the last review" (``Result.review``); None without a previous run.
    review: ReviewView | None = None

    def owners(self) -> list[tuple[str | None, list[dict[str, Any]]]]:
        """Each owner's (account manager's) actions, in report order; empty without an owner field."""
        return by_owner(self.actions) if any(a.get("owner") not in (None, "") for a in self.actions) else []

    def label(self, column: OutputColumn, value: Any) -> str:
        """A group column's value as people read it (``strategic`` -> ``Strategic``)."""
        return value_label(column, value)

    def priorities(self) -> Iterator[tuple[int | None, list[dict[str, Any]]]]:
        """Actions grouped by priority, most urgent (lowest number) first."""
        groups: dict[int | None, list[dict[str, Any]]] = {}
        for action in self.actions:
            groups.setdefault(action["priority"], []).append(action)
        yield from sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or 0))

    def action_names(self) -> list[tuple[str, str]]:
        """(rule id, action text) of every action that fired, sorted by id, for the filter."""
        return sorted({(a["rule"], a["action"]) for a in self.actions})

    def group_values(self, column: OutputColumn) -> list[Any]:
        """A group column's values for the filter: its declared ones in order, then any
        other an action's customer has."""
        declared = [value for value, _ in column.tones]
        seen = {a["groups"][column.name] for a in self.actions} - {None, *declared}
        return declared + sorted(seen, key=str)


def build(result: Result, *, details: bool = False, row_limit: int | None = None) -> Report:
    """Gather the report's content from ``result`` (deterministic: same result, same report).

    ``details`` adds the per-customer blocks with their rule traces (the HTML report);
    ``row_limit`` (default :data:`ROW_LIMIT`) cuts long lists, recording it.
    """
    limit = ROW_LIMIT if row_limit is None else row_limit
    key = result.key
    customers = finite(result.customers)
    keys = [str(k) for k in customers.get_column(key).to_list()]
    named = result.name != key and result.name in customers.columns
    reports = result.section_reports()
    settings = result.presentation
    tr = messages(settings.locale)
    words = labels.words(reports, tr)
    columns = [labels.translated(c, words) for c in result.columns]
    groups = [c for c in columns if c.group and c.name in customers.columns]
    people = _Customers(customers, keys, result.name if named else None, groups)
    cards: dict[str, Figure] = {}
    ids = _Ids()
    named_values = {c.name: c for c in columns if c.labels}
    sections = [_section(report, people, limit, cards, ids, named_values) for report in reports]
    overview = _overview(result)
    overview["plugin_errors"] += [r.error for r in reports if r.error and not _summary_error(result, r.section)]
    fmt = Formatter(locale_style(settings.locale, settings.currency))
    report = Report(
        title=settings.title or tr("Customer portfolio review"),
        settings=settings, fmt=fmt, tr=tr, columns=columns,
        overview=overview,
        cards=[Figure(tr("Customers"), result.customers.height, "integer", "customers"), *cards.values(),
               Figure(tr("Recommended actions"), result.actions.height, "integer", "actions")],
        warnings=[for_reader(warning, words, fmt.show) for warning in result.warnings],
        sections=sections,
        groups=groups,
        named=named,
    )
    stakes = customer_frame(result, result.presentation.stake)
    report.stake_label = words(_label_of(result, result.presentation.stake)) if stakes is not None and stakes.height else ""
    report.action_table = action_table(result, groups, limit)
    report.actions = action_dicts(report.action_table, groups)
    report.executive = summarize(result, columns, report.actions, fmt, tr, words)
    if result.actions.height > limit:
        report.truncated["actions"] = (limit, result.actions.height)
    if details:
        linked = _linked(report, DETAIL_LIMIT) if len(keys) > limit else set(keys)
        report.customers = list(_customers(result, columns, customers, keys, linked, words))
        if len(keys) > limit:
            report.truncated["customers"] = (len(report.customers), len(keys))
        report.anchors = {c["key"]: f"c{index + 1}" for index, c in enumerate(report.customers)}
    if result.review is not None:
        review.attach(report, result.review, limit, words)
    return report


def _label_of(result: Result, name: str) -> str:
    """A customer field's label: its output column's, else its name in words."""
    declared = {c.name: c.label for c in result.columns}
    return declared.get(name, name.replace("_", " ").capitalize())


class _Customers:
    """Each customer's name and group values by key, for the columns tables of customers get."""

    def __init__(self, customers: pl.DataFrame, keys: list[str], name: str | None, groups: list[OutputColumn]):
        self.name, self.groups = name, groups
        self._customers, self._keys = customers, keys
        self._values: dict[str, dict[str, Any]] = {}

    def values(self, column: str) -> dict[str, Any]:
        if column not in self._values:  # built when first needed: a dict per column costs ~0.3 s at a million
            self._values[column] = dict(zip(self._keys, self._customers.get_column(column).to_list()))
        return self._values[column]

    def columns(self, table: Table) -> list[tuple[Column, str]]:
        """The columns a table of customers gets after its key, with the customers column each comes from."""
        taken = {c.name for c in table.columns}
        added = [(Column(self.name, "Name"), self.name)] if self.name and self.name not in taken else []
        return added + [(Column(g.name, g.label, g.kind, detail=True, tones=dict(g.tones)), g.name)
                        for g in self.groups if g.name not in taken]


class _Ids:
    """HTML ids already given out, so each block's stays unique and safe in an attribute."""

    def __init__(self) -> None:
        self.taken: set[str] = set(RESERVED_ANCHORS)

    def claim(self, wanted: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", wanted).strip("-") or "block"
        chosen, n = base, 1
        while chosen in self.taken:
            n += 1
            chosen = f"{base}-{n}"
        self.taken.add(chosen)
        return chosen


def _section(report: SectionReport, people: _Customers, limit: int, cards: dict[str, Figure], ids: _Ids,
             named_values: dict[str, OutputColumn]) -> SectionView:
    tr = report.messages
    title = tr(report.title) if tr is not None else report.title
    view = SectionView(report.section, title, ids.claim(report.section), error=report.error)
    for block in report.blocks:
        if tr is not None:
            block = translate.block(block, tr)
        if isinstance(block, Figures) and block.headline:
            for figure in block.figures:  # a later section's figure of the same name replaces an earlier one
                cards[figure.name or figure.label] = figure
            continue
        if isinstance(block, Table):
            if len(block.rows) > limit:
                view.cut.add(len(view.blocks))
                block = dataclasses.replace(block, rows=block.rows[:limit], total_rows=block.total)
            block = labels.labelled(_with_customers(block, people), named_values)
        if isinstance(block, (Table, Chart)) and block.id:
            block = dataclasses.replace(block, id=ids.claim(block.id))
        view.blocks.append(block)
    return view


def _with_customers(table: Table, people: _Customers) -> Table:
    """A table of customers with each customer's name and group columns after the key."""
    at = next((i for i, c in enumerate(table.columns) if c.kind == "customer"), None)
    if at is None:
        return table
    added = people.columns(table)
    if not added:
        return table
    lookups = [people.values(source) for _, source in added]
    rows = [(*row[:at + 1], *(values.get(str(row[at])) for values in lookups), *row[at + 1:]) for row in table.rows]
    footer = None if table.footer is None else (*table.footer[:at + 1], *([None] * len(added)), *table.footer[at + 1:])
    columns = [*table.columns[:at + 1], *(column for column, _ in added), *table.columns[at + 1:]]
    return dataclasses.replace(table, columns=columns, rows=rows, footer=footer)


def _summary_error(result: Result, section: str) -> bool:
    summary = result.summary(section)
    return summary is not None and summary.error is not None


def _linked(report: Report, limit: int) -> set[str]:
    """The customers whose detail blocks a big portfolio's report keeps: at most ``limit``,
    those its lists name (figures, tables of customers, the actions), taking the next row
    of every list in turn."""
    figures: list[str] = []
    lists = [figures]
    for view in report.sections:
        for block in view.blocks:
            if isinstance(block, Table):
                at = [i for i, c in enumerate(block.columns) if c.kind == "customer"]
                lists.append([str(row[i]) for row in block.rows for i in at if row[i] is not None])
            elif isinstance(block, Figures):
                figures += [str(f.value) for f in block.figures if f.kind == "customer" and f.value is not None]
    lists.append([a["customer"] for a in report.actions])
    named: dict[str, None] = {}
    for row in itertools.zip_longest(*lists):
        for key in row:
            if key is not None and key not in named:
                named[key] = None
                if len(named) == limit:
                    return set(named)
    return set(named)


def _overview(result: Result) -> dict[str, Any]:
    return {
        "customers": result.customers.height,
        "actions": result.actions.height,
        "ruleset": result.ruleset.name,
        "version": result.ruleset.version,
        "hash": result.ruleset.hash,
        "files": list(result.ruleset.files),
        "description": result.ruleset.description,
        "as_of": result.as_of.isoformat(),
        "as_of_date": result.as_of,
        "engine": result.engine,
        "provenance": provenance_lines(result),
        "plugin_errors": [fault.render() for fault in result.faults],
    }


def provenance_lines(result: Result) -> list[str]:
    """'segmentation: plugin segmentation (clientwise 0.1.0)' per section, in section order."""
    lines = []
    for section, origin in sorted(result.provenance.items()):
        plugin = f"plugin {origin['plugin']}" if origin.get("plugin") else "core"
        release = " ".join(str(v) for v in (origin.get("distribution"), origin.get("version")) if v)
        lines.append(f"{section}: {plugin}" + (f" ({release})" if release else ""))
    return lines


def _customers(result: Result, columns: list[OutputColumn], customers: pl.DataFrame, keys: list[str],
               wanted: set[str], words: Callable[[str], str]) -> Iterator[dict[str, Any]]:
    """Per customer: headline values (labelled in the report's language), actions and the
    rules that decided them (the sections' reasons translated by ``words``)."""
    headline = [(c, dict(c.labels)) for c in columns if not c.detail and c.name in customers.columns]
    chosen_actions = finite(result.actions)
    if len(wanted) < len(keys):  # only the chosen customers and their actions go through Python
        chosen = pl.Series(sorted(wanted), dtype=pl.String).implode()
        mask = customers.get_column(result.key).cast(pl.String).is_in(chosen)
        customers, keys = customers.filter(mask), [k for k, keep in zip(keys, mask) if keep]
        chosen_actions = chosen_actions.filter(pl.col(result.key).cast(pl.String).is_in(chosen))
    actions: dict[str, list[dict[str, Any]]] = {}
    for action in plain(chosen_actions.to_dicts()):
        if str(action[result.key]) in wanted:
            actions.setdefault(str(action[result.key]), []).append(action)
    traced = _traces(result, wanted if len(wanted) < result.customers.height else None, words,
                     full=result.customers.height <= FULL_TRACE_LIMIT)
    for k, row in zip(keys, plain(customers.to_dicts())):
        yield {
            "key": k,
            "name": row.get(result.name) if result.name != result.key else None,
            "values": [(c.label, shown.get(v, v) if isinstance(v, str) else v, c.kind)
                       for c, shown in headline for v in (row.get(c.name),)],
            "actions": actions.get(k, []),
            "trace": traced.get(k, []),
        }


def _traces(result: Result, wanted: set[str] | None, words: Callable[[str], str], *,
            full: bool) -> dict[str, list[dict[str, Any]]]:
    """Every rule's outcome per customer (``full``), or only fired and unknown ones; the
    reasons sections wrote in the report's language (:mod:`.traces`).

    Only ``wanted`` customers are traced: tracing costs ~0.5 ms each.
    """
    if result.tracer is None:
        return {}
    tracer = traces.translated_tracer(result.tracer, words)
    if wanted is not None:
        chosen = pl.Series(sorted(wanted), dtype=pl.String)
        tracer = dataclasses.replace(
            tracer,
            frame=tracer.frame.filter(pl.col(tracer.key).cast(pl.String).is_in(chosen.implode())),
            actions=tracer.actions.filter(pl.col(tracer.key).cast(pl.String).is_in(chosen.implode())),
        )
    statuses = None if full else frozenset(TRACE_STATUSES)
    return {key: [plain(rule.to_dict()) for rule in rules] for key, rules in tracer.rule_traces(statuses)}
