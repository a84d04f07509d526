"""The outcome of one evaluation, for writers, notebooks and services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from clientwise.compiler.plan import OutputColumn, SectionSummary
from clientwise.errors import PluginFault
from clientwise.output.blocks import SectionReport, summary_blocks
from clientwise.output.review import Review
from clientwise.ruleset.report import ReportSettings
from clientwise.runtime.explain import Explanation, Tracer
from clientwise.runtime.findings import Finding

#: Version of the documented output schema (docs/output-schema.md). Bump on any
#: incompatible change to column names, types or the JSON layout.
OUTPUT_SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class RulesetIdentity:
    """Enough to trace a result back to the exact criteria that produced it."""

    name: str
    version: str
    hash: str
    files: tuple[str, ...]
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "hash": self.hash,
            "files": list(self.files),
        }


@dataclass
class Result:
    """Per-customer results, recommended actions, portfolio views and explanations.

    ``customers`` has one row per customer, sorted by key: the key and name columns
    first, then every section's output columns in ruleset order, then ``actions``
    (a list of action ids, highest priority first). ``actions`` has one row per
    recommended action with the rendered ``because`` text.
    """

    ruleset: RulesetIdentity
    as_of: dt.date
    engine: str
    key: str
    name: str
    customers: pl.DataFrame
    actions: pl.DataFrame
    columns: list[OutputColumn]
    summaries: list[SectionSummary] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tracer: Tracer | None = field(default=None, repr=False)
    #: Which plugin produced each section's output: section -> plugin, distribution, version.
    provenance: dict[str, dict[str, str | None]] = field(default_factory=dict)
    #: Exceptions raised by plugin code during the run (see clientwise.host.faults); empty when all went well.
    faults: list[PluginFault] = field(default_factory=list)
    #: What reading the data noticed (see clientwise.runtime.findings); warnings among them are also in ``warnings``.
    findings: list[Finding] = field(default_factory=list)
    #: The earlier run the trend functions read (``previous()``...), for people; None when
    #: the ruleset has none or there was no earlier run.
    history: str | None = None
    #: Seconds per stage of the run that produced this result (not part of any output).
    timings: dict[str, float] = field(default_factory=dict, repr=False, compare=False)
    #: Asks each section's plugin for its report blocks (see :meth:`section_reports`);
    #: None for a result not made by an evaluation.
    reporter: Callable[[Result], list[SectionReport]] | None = field(default=None, repr=False, compare=False)
    #: How the reports for people present this result (the ruleset's ``[report]``).
    presentation: ReportSettings = field(default_factory=ReportSettings, repr=False, compare=False)
    #: What changed since the previous stored review, for the reports that show it (set by
    #: ``clientwise evaluate`` for a writer with ``Writer.review``); None without one.
    review: Review | None = field(default=None, repr=False, compare=False)

    def explain(self, key: str) -> Explanation:
        """The full trace for one customer: derived values and every rule's outcome."""
        if self.tracer is None:
            raise LookupError("this result was built without explanations")
        return self.tracer.explain(key)

    def explanations(self) -> Iterator[Explanation]:
        """Explanations of every customer in key order (used by the JSON writers)."""
        if self.tracer is None:
            return iter(())
        return self.tracer.explain_all()

    def section_reports(self) -> list[SectionReport]:
        """What each section shows in the reports for people, in section order: the blocks
        its plugin's ``report`` gives for its summary (built on each call; writers call it
        once). Without a reporter, each summary's figures and tables."""
        if self.reporter is not None:
            return self.reporter(self)
        return [SectionReport(s.section, s.title, tuple(summary_blocks(s)), s.error) for s in self.summaries]

    def summary(self, section: str) -> SectionSummary | None:
        return next((s for s in self.summaries if s.section == section), None)

    def header(self) -> dict[str, Any]:
        """The run's identity, written at the top of every machine-readable output."""
        return {
            "schema": f"clientwise.runtime.result/{OUTPUT_SCHEMA_VERSION}",
            "ruleset": self.ruleset.to_dict(),
            "as_of": self.as_of.isoformat(),
            "engine": self.engine,
            "customer_count": self.customers.height,
            "warnings": list(self.warnings),
            "data_findings": [finding.to_dict() for finding in self.findings],
            "provenance": {section: dict(origin) for section, origin in self.provenance.items()},
            "plugin_errors": [fault.to_dict() for fault in self.faults],
        }
