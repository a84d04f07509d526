"""One evaluation from end to end: load -> validate -> derive -> decide -> report.

:class:`Evaluator` compiles a ruleset once and evaluates it over any number of
portfolios; :func:`evaluate` is the one-call form for scripts and notebooks.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from clientwise import expr
from clientwise.compiler.compile import Program, compile_ruleset
from clientwise.runtime.context import EvaluationContext
from clientwise.host.contracts import DecideContext, RawTable, SummaryContext
from clientwise.runtime.decide import ROW, Decided, run
from clientwise.errors import DataError, InputError, Problem
from clientwise.runtime.explain import TracedDerived, TracedRule, Tracer
from clientwise.host.faults import FaultRecorder
from clientwise.host.isolate import StepGuard
from clientwise.runtime.findings import Finding, warnings_of
from clientwise.runtime.load import LoadedData, load_tables
from clientwise.runtime.sources import SourceTable
from clientwise.compiler.plan import SectionSummary
from clientwise.host.manager import PluginHost
from clientwise.runtime.result import Result, RulesetIdentity
from clientwise.ruleset import Ruleset, read_raw, validate
from clientwise.ruleset.data import RELATED_TABLES
from clientwise.runtime.single import Population, evaluate_one, whole_portfolio
from clientwise.compiler.steps import ActionsStep, ClassificationStep, DerivedStep
from clientwise.runtime.validate import validate_tables

DataSource = str | Path | Mapping[str, pl.DataFrame]


def load_ruleset(source: str | Path, *, host: PluginHost | None = None) -> Ruleset:
    """Load a ruleset by shipped name (``"default"``) or path, merged and validated."""
    return validate(read_raw(source), host or PluginHost())


def parse_ruleset(
    text: str, *, origin: str = "<string>", base_dir: Path | None = None, host: PluginHost | None = None
) -> Ruleset:
    """Load a ruleset from TOML text (``extends`` resolves against ``base_dir``)."""
    return validate(read_raw(origin, text=text, base_dir=base_dir), host or PluginHost())


def parse_as_of(value: dt.date | str | None) -> dt.date:
    """The run's reference date; ``None`` means today."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(
            Problem("as_of is not a date", location="--as-of", value=repr(value), hint="write it as YYYY-MM-DD")
        ) from None


class Evaluator:
    """A compiled ruleset bound to a plugin host and an engine, reusable across portfolios."""

    def __init__(self, ruleset: Ruleset | str | Path, *, engine: str = "polars", host: PluginHost | None = None,
                 strict_plugins: bool = False):
        self.host = host or PluginHost()
        self.strict_plugins = strict_plugins
        self.ruleset = ruleset if isinstance(ruleset, Ruleset) else load_ruleset(ruleset, host=self.host)
        self.engine = self.host.engine(engine)
        self.program: Program = compile_ruleset(self.ruleset, self.host)
        self._population: Population | None = None  # the last evaluated portfolio, for evaluate_one

    def close(self) -> None:
        """Release what the engine keeps between evaluations: the durable engine's worker
        processes (for every evaluator on this host). The evaluator stays usable; the
        engine starts them again when it next needs them."""
        getattr(self.engine, "close", lambda: None)()

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def identity(self) -> RulesetIdentity:
        core = self.ruleset.core.metadata
        return RulesetIdentity(core.name, core.version, self.ruleset.hash, self.ruleset.files, core.description)

    def load(self, data: DataSource) -> dict[str, pl.DataFrame]:
        """Read and validate the input tables this ruleset needs; report every problem at once."""
        return self.load_data(data).tables

    def load_data(self, data: DataSource) -> LoadedData:
        """:meth:`load`, with the findings noticed on the way (which file fed which table,
        unmapped values, orphans kept or left out, rows filtered out)."""
        config = self.ruleset.core.data
        findings: list[Finding] = []
        raw: Mapping[str, RawTable | list[SourceTable]]
        if isinstance(data, Mapping):
            raw = {name: _raw_from_frame(name, frame) for name, frame in data.items()}
        else:
            raw = load_tables(Path(data), config, self.host.loaders(), needed=set(), findings=findings)
        problems = self._missing_tables(set(raw))
        declared = config.tables()
        try:
            tables = validate_tables({name: table for name, table in raw.items() if name in declared}, config,
                                     findings)
        except DataError as error:
            raise DataError([*problems, *error.problems], total=len(problems) + error.total) from None
        if problems:
            raise DataError(problems)
        return LoadedData(tables, findings)

    def _missing_tables(self, present: set[str]) -> list[Problem]:
        if "customers" not in present:
            return [Problem("no customers table found",
                            hint="provide customers.csv (or .json, .jsonl, .parquet, .xlsx)")]
        problems = []
        for table in sorted(self.program.tables_needed - present):
            users = [step.source for step in self.program.steps()
                     if isinstance(step, DerivedStep) and step.node is not None and table in expr.tables_used(step.node)]
            paths = list(dict.fromkeys(source.path for source in users))
            where = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
            problems.append(Problem(
                f"the ruleset needs the '{table}' table, but the data has none",
                file=users[0].file if users else None,
                location=where or None,
                hint=f"add {table}.csv (or .json, .parquet, .xlsx) next to customers, or remove the fields that use it",
            ))
        return problems

    def evaluate(
        self,
        data: DataSource,
        *,
        as_of: dt.date | str | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> Result:
        """Evaluate every customer; raises :class:`InputError` on bad data (nothing is written).

        ``progress`` is called with the name of each stage as it starts.
        """
        stage = progress or (lambda _name: None)
        started = time.perf_counter()
        context = EvaluationContext(self.host, self.ruleset, parse_as_of(as_of), self.engine)
        faults = FaultRecorder(self.host, self.strict_plugins)
        stage("loading and validating the data")
        loaded = self.load_data(data)
        context.tables = loaded.tables
        context.timings["load"] = time.perf_counter() - started
        getattr(self.engine, "prepare", lambda: None)()  # optional: e.g. start workers while deriving
        faults.call_hook("clientwise_before_evaluate", context=context)
        key = self.ruleset.core.data.key
        customers = context.tables["customers"].sort(key)
        related = {name: context.tables[name] for name in RELATED_TABLES if name in context.tables}
        decide_context = DecideContext(context.as_of, key, self.host.functions(), self.ruleset.core.metadata.name)
        mark = time.perf_counter()
        stage("deriving fields and deciding")
        guard = StepGuard(self.host, faults, key)
        decided = run(self.program, customers, related, self.engine, decide_context, guard)
        context.timings["derive+decide"] = time.perf_counter() - mark
        self._population = Population(decided.frame, related, context.as_of,
                                      whole_portfolio(self.program, decide_context.functions, key))
        result = self._result(context, decided, faults)
        result.findings = list(loaded.findings)
        result.warnings[:0] = warnings_of(loaded.findings)
        faults.call_hook("clientwise_after_evaluate", context=context, result=result)
        result.faults = list(faults.faults)
        result.warnings.extend(f"plugin error: {fault.render()}" for fault in faults.faults if fault.hook != "summarize")
        context.timings["total"] = time.perf_counter() - started
        result.timings = dict(context.timings)
        return result

    def evaluate_one(self, record: Mapping[str, Any],
                     related: Mapping[str, pl.DataFrame | list[dict[str, Any]]] | None = None) -> Result:
        """One customer against the population figures of the last :meth:`evaluate` (see
        :mod:`clientwise.runtime.single`); ``related`` gives its contacts/interactions rows, else
        the portfolio's rows for its key are used."""
        return evaluate_one(self, self._population, record, related)

    def _result(self, context: EvaluationContext, decided: Decided, faults: FaultRecorder,
                summarize: bool = True) -> Result:
        """The result; ``summarize=False`` leaves out the portfolio summaries (for one
        customer they mean nothing, and they cost more than deciding it)."""
        data = self.ruleset.core.data
        key, name = data.key, data.name
        frame = decided.frame
        ids = [key, *([name] if name in frame.columns and name != key else [])]
        actions = frame.select(pl.col(ids).gather(decided.actions[ROW])).hstack(decided.actions.drop(ROW))
        action_lists = decided.actions.group_by(ROW, maintain_order=True).agg(pl.col("rule").alias("actions"))
        output_names = [c.name for c in self.program.outputs if c.name in frame.columns]
        customers = (
            frame.select(*ids, *output_names)
            .with_row_index(ROW)
            .join(action_lists, on=ROW, how="left", maintain_order="left")
            .drop(ROW)
            .with_columns(pl.col("actions").fill_null(pl.lit([], pl.List(pl.String))))
        )
        summaries, warnings = [], []
        summary_context = SummaryContext(key, name, context.as_of)
        for section, handler, _plan in self.program.plans if summarize else ():
            if handler is None:
                continue
            plugin = self.host.owner("ruleset section", section) or section
            config = self.ruleset.sections[section]
            summary, fault = faults.guard(plugin, "summarize", lambda: handler.summarize(config, frame, summary_context),
                                          section=section)
            if summary is None:
                message = fault.render() if fault else f"plugin '{plugin}' returned no summary"
                summary = SectionSummary(section, handler.title, error=message, warnings=[f"plugin error: {message}"])
            summaries.append(summary)
            warnings.extend(summary.warnings)
        return Result(
            ruleset=self.identity,
            as_of=context.as_of,
            engine=self.engine.name,
            key=key,
            name=name,
            customers=customers,
            actions=actions,
            columns=[c for c in self.program.outputs if c.name in frame.columns],
            summaries=summaries,
            warnings=warnings,
            tracer=self._tracer(frame, actions, context.as_of),
            provenance=self._provenance(),
        )

    def _provenance(self) -> dict[str, dict[str, str | None]]:
        """Section -> the plugin (name, distribution, version) whose code produced its outputs."""
        from clientwise._version import __version__

        core = {"plugin": None, "distribution": "clientwise", "version": __version__}
        found: dict[str, dict[str, str | None]] = {"derive": core, "rules": core}
        for section, handler, _plan in self.program.plans:
            if handler is None:
                continue
            plugin = self.host.owner("ruleset section", section)
            dist, version = self.host.origin(plugin) if plugin else (None, None)
            found[section] = {"plugin": plugin, "distribution": dist, "version": version}
        engine = self.host.owner("engine", self.engine.name)
        dist, version = self.host.origin(engine) if engine else (None, None)
        found["engine"] = {"plugin": engine, "distribution": dist, "version": version}
        return dict(sorted(found.items()))

    def _tracer(self, frame: pl.DataFrame, actions: pl.DataFrame, as_of: dt.date) -> Tracer:
        data = self.ruleset.core.data
        derived, rules = [], []
        for step in self.program.steps():
            if isinstance(step, DerivedStep):
                inputs = tuple(sorted(expr.fields_used(step.node))) if step.node is not None else step.computed.inputs  # type: ignore[union-attr]
                derived.append(TracedDerived(step.name, step.expression, inputs, step.source.path))
            elif isinstance(step, ClassificationStep):
                for rule, because in zip(step.decision.rules, step.because):
                    rules.append(TracedRule(step.output, rule.id.split("/", 1)[1], rule.id, rule.when,
                                            tuple(sorted(expr.fields_used(rule.condition))), rule.source.path,
                                            outcome_column=step.output, because=because))
            elif isinstance(step, ActionsStep):
                for rule, compiled in zip(step.rules, step.decision.rules):
                    rules.append(TracedRule("actions", rule.id, compiled.id, rule.when,
                                            tuple(sorted(expr.fields_used(compiled.condition))), rule.source.path,
                                            outcome_column=None))
        context = expr.EvalContext(as_of=as_of, functions=self.host.functions(), key=data.key)
        return Tracer(frame, data.key, data.name, derived, rules, actions, context)


def _raw_from_frame(name: str, frame: pl.DataFrame) -> RawTable:
    return RawTable(name, frame, f"{name} (DataFrame)", pl.Series("row", range(1, frame.height + 1), pl.Int64))


def evaluate(
    ruleset: Ruleset | str | Path,
    data: DataSource,
    *,
    as_of: dt.date | str | None = None,
    engine: str = "polars",
    host: PluginHost | None = None,
) -> Result:
    """Evaluate ``ruleset`` over ``data`` (a path, or table name -> DataFrame)."""
    with Evaluator(ruleset, engine=engine, host=host) as evaluator:
        return evaluator.evaluate(data, as_of=as_of)
