"""Each section's report blocks, asked of its plugin when a report for people is written.

Blocks are built on demand (a run written to CSV never builds them) from the
evaluated frame the summaries were computed from. A section's report sees its own
fields and what the other sections share by declaration (their ``group`` columns and
headline ``money`` outputs), never their other columns; a report that raises is shown
as that section's error, and the rest of the report is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from clientwise.compiler.plan import OutputColumn, SectionSummary, names
from clientwise.compiler.program import Program, SectionEntry
from clientwise.host.contracts import ReportContext, SectionHandler
from clientwise.host.faults import FaultRecorder
from clientwise.host.manager import PluginHost
from clientwise.output.blocks import Block, SectionReport, summary_blocks
from clientwise.output.locale import locale_style
from clientwise.output.messages import messages
from clientwise.runtime.result import Result


@dataclass(frozen=True)
class SectionReporter:
    """Builds ``Result.section_reports()`` for a result of ``program`` (see :class:`Result`)."""

    program: Program
    host: PluginHost
    frame: pl.DataFrame
    as_of: dt.date
    strict: bool = False

    def __call__(self, result: Result) -> list[SectionReport]:
        entries = {entry.name: entry for entry in self.program.sections}
        faults = FaultRecorder(self.host, self.strict)
        reports = []
        for summary in result.summaries:
            entry = entries.get(summary.section)
            if summary.error is not None:
                reports.append(SectionReport(summary.section, summary.title, error=summary.error))
            elif entry is None or entry.handler is None:  # a summary added after the run: shown as it is
                reports.append(SectionReport(summary.section, summary.title, tuple(summary_blocks(summary))))
            else:
                reports.append(self._section(entry, entry.handler, summary, result, faults))
        return reports

    def _section(self, entry: SectionEntry, handler: SectionHandler, summary: SectionSummary, result: Result,
                 faults: FaultRecorder) -> SectionReport:
        config = self.program.ruleset.sections[entry.name]
        context = self.context(entry, result)
        plugin = self.host.owner("ruleset section", entry.name) or entry.name
        blocks, fault = faults.guard(plugin, "report", lambda: handler.report(config, summary, context),
                                     section=entry.name)
        if blocks is None:
            error = fault.render() if fault else f"plugin '{plugin}' returned no report"
            return SectionReport(summary.section, summary.title, error=error)
        wrong = next((item for item in blocks if not isinstance(item, Block)), None)
        if wrong is not None:
            return SectionReport(summary.section, summary.title, error=(
                f"plugin '{plugin}', section [{entry.name}]: report returned a {type(wrong).__name__}, not a block "
                "(return Figures, Note, Table or a chart from clientwise.sdk)"))
        return SectionReport(summary.section, summary.title, tuple(blocks), messages=context.messages)

    def context(self, entry: SectionEntry, result: Result) -> ReportContext:
        """The section's view of the evaluated customers (see :class:`ReportContext`)."""
        others = [other for other in self.program.sections if other.handler is not None and other is not entry]
        shared_columns = [column for other in others for column in other.plan.outputs]
        groups = tuple(column for column in shared_columns if column.group)
        # context columns are input data shown beside the name (segmentation's measure): not a section's own
        measures = tuple(column for column in shared_columns
                         if column.kind == "money" and not column.detail and not column.context)
        shared = {column.name for column in (*groups, *measures)}
        hidden = {name for other in others for name in (*names(other.plan.derived), *_names(other.plan.outputs))
                  if not any(c.context and c.name == name for c in other.plan.outputs)}
        own = set(names(entry.plan.derived)) | set(_names(entry.plan.outputs))
        table = self.frame.select(c for c in self.frame.columns if c not in hidden or c in shared or c in own)
        name = result.name if result.name != result.key and result.name in table.columns else None
        settings = result.presentation
        tr = messages(settings.locale)
        if entry.handler is not None and entry.handler.messages is not None:
            tr = tr.extended(entry.handler.messages)
        return ReportContext(key=result.key, name=name, as_of=result.as_of, table=table,
                             columns=tuple(entry.plan.outputs), groups=groups, measures=measures, messages=tr,
                             style=locale_style(settings.locale, settings.currency))


def _names(columns: list[OutputColumn]) -> list[str]:
    return [column.name for column in columns]
