"""One evaluation from end to end: load -> validate -> derive -> decide -> report.

:class:`Evaluator` compiles a ruleset once and evaluates it over any number of
portfolios (or one customer at a time); :func:`evaluate` is the one-call form for
scripts and notebooks.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from clientwise.compiler.compile import compile_ruleset
from clientwise.compiler.program import Program
from clientwise.errors import DataError, InputError, Problem, RulesetError
from clientwise.expr import EvalContext, tables_used
from clientwise.expr.trend import TrendNeeds, trend_needs
from clientwise.host.contracts import BackendJob, BackendOptions, DecideContext, Decided, RawTable, Refusal, Writer
from clientwise.host.factory import build_host
from clientwise.host.faults import FaultRecorder
from clientwise.host.isolate import StepGuard
from clientwise.host.manager import PluginHost
from clientwise.output.atomic import atomic_write
from clientwise.output.write import write_result
from clientwise.ruleset import Ruleset, read_raw, validate
from clientwise.ruleset.data import RELATED_TABLES
from clientwise.runtime.absent import find_absent, without_absent
from clientwise.runtime.assemble import assemble, identity
from clientwise.runtime.backend_load import loaded_by_backend
from clientwise.runtime.context import EvaluationContext, after_evaluate, before_evaluate
from clientwise.runtime.findings import Finding, strict_problems, warnings_of
from clientwise.runtime.load import LoadedData, load_tables
from clientwise.runtime.loop import Deriver, Loop, expressions
from clientwise.runtime.related_rows import CustomerRows, strictly_increasing
from clientwise.runtime.result import Result, RulesetIdentity
from clientwise.runtime.single import OneCustomer, Population, record_tables, typed_like
from clientwise.runtime.sources import SourceTable
from clientwise.runtime.streamed import streamed_result
from clientwise.runtime.trend import History, trend_columns, with_trend
from clientwise.runtime.validate import validate_tables
from clientwise.runtime.vocabulary import FrameValues, vocabulary_findings

DataSource = str | Path | Mapping[str, pl.DataFrame]


def load_ruleset(source: str | Path, *, host: PluginHost | None = None) -> Ruleset:
    """Load a ruleset by shipped name (``"default"``) or path, merged and validated.

    Pure: the host is only read (see :func:`clientwise.ruleset.validate`).
    """
    return validate(read_raw(source), host or build_host())


def parse_ruleset(
    text: str, *, origin: str = "<string>", base_dir: Path | None = None, host: PluginHost | None = None
) -> Ruleset:
    """Load a ruleset from TOML text (``extends`` resolves against ``base_dir``)."""
    return validate(read_raw(origin, text=text, base_dir=base_dir), host or build_host())


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
    """A compiled ruleset bound to a plugin host, a backend and an engine, reusable across portfolios.

    ``host`` defaults to :func:`clientwise.host.factory.build_host`; the plugins the
    ruleset disables are left out of a view of it (the host itself is not changed).
    ``backend`` is where a whole evaluation runs (``polars``, ``duckdb`` or a plugin's,
    with ``backend_options`` such as a memory limit); a ruleset the backend cannot
    compute is refused here, naming every rule and expression part it cannot.
    """

    def __init__(self, ruleset: Ruleset | str | Path, *, engine: str = "polars", host: PluginHost | None = None,
                 strict_plugins: bool = False, strict_data: bool = False, backend: str = "polars",
                 backend_options: BackendOptions | None = None):
        base = host or build_host()
        self.ruleset = ruleset if isinstance(ruleset, Ruleset) else load_ruleset(ruleset, host=base)
        self.host = base.without(self.ruleset.disabled)
        self.strict_plugins = strict_plugins
        #: data-quality warnings (unmapped values, orphans kept or dropped, what the export
        #: lacks) stop the evaluation as errors, before anything is computed or written
        self.strict_data = strict_data
        self.backend = self.host.backend(backend).configure(backend_options or BackendOptions())
        if engine != "polars" and not self.backend.uses_engine:
            raise InputError(Problem(
                f"the {self.backend.name} backend decides rules itself, so it cannot use the '{engine}' engine",
                location="--engine", hint=f"leave out --engine, or use --backend polars with --engine {engine}"))
        self.engine = self.host.engine(engine)
        self.program: Program = compile_ruleset(self.ruleset, self.host)
        refused = self.backend.refusals(self.program, self.host.functions())
        if refused:
            raise RulesetError([_refusal_problem(self.backend.name, refusal) for refusal in refused])
        self._population: Population | None = None  # the last evaluated portfolio, for evaluate_one

    def close(self) -> None:
        """Release what the engine keeps between evaluations: the durable engine's worker
        processes (for every evaluator on this host). The evaluator stays usable; the
        engine starts them again when it next needs them."""
        self.engine.close()

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def identity(self) -> RulesetIdentity:
        return identity(self.program)

    @cached_property
    def trend(self) -> TrendNeeds:
        """What the ruleset's trend functions (``previous``, ``runs_since`` ...) read from
        earlier runs; empty (false) when it has none, and then no history is read."""
        return trend_needs((node for node, _ in expressions(self.program.steps())), self.host.functions())

    def load(self, data: DataSource) -> dict[str, pl.DataFrame]:
        """Read and validate the input tables this ruleset needs; report every problem at once."""
        return self.load_data(data).tables

    def load_data(self, data: DataSource, *, portfolio: bool = True) -> LoadedData:
        """:meth:`load`, with the findings noticed on the way (which file fed which table,
        unmapped values, orphans kept or left out, rows filtered out, what the export lacks
        and so cannot be computed) and the program to run over this data; with
        ``strict_data``, the warnings among the findings are errors. ``portfolio=False``
        (one customer's rows) leaves out how the values compare with the rules' vocabulary,
        which only says something about a whole export."""
        config = self.ruleset.core.data
        findings: list[Finding] = []
        raw: Mapping[str, RawTable | list[SourceTable]]
        if isinstance(data, Mapping):
            raw = {name: _raw_from_frame(name, frame) for name, frame in data.items()}
        else:
            raw = load_tables(Path(data), config, self.host.loaders(), needed=set(), findings=findings)
        declared = config.tables()
        problems = self.missing_tables(set(raw) | {name for name, spec in declared.items() if spec.optional})
        found_rows: dict[str, CustomerRows] = {}
        try:
            tables = validate_tables({name: table for name, table in raw.items() if name in declared}, config,
                                     findings, customer_rows=found_rows)
        except DataError as error:
            raise DataError([*problems, *error.problems], total=len(problems) + error.total) from None
        if problems:
            raise DataError(problems)
        absent = find_absent(raw, config)
        program, gaps = without_absent(self.program, absent)  # missing data is unknown, never "no"
        findings.extend(gaps)
        if portfolio:
            findings.extend(vocabulary_findings(self.program, FrameValues(tables), tables, config, absent, _files(raw)))
        if self.strict_data and strict_problems(findings):
            raise DataError(strict_problems(findings))
        return LoadedData(tables, findings, program, found_rows)

    def check_data(self, data: Path) -> tuple[dict[str, int], list[Finding]]:
        """Read and validate DATA as :meth:`evaluate` would (by the backend, when it reads
        DATA itself): the rows of each table and what reading noticed."""
        own = self.backend.open_input(Path(data), self.ruleset.core.data)
        if own is None:
            loaded = self.load_data(data)
            return {name: frame.height for name, frame in loaded.tables.items()}, loaded.findings
        try:
            loaded = loaded_by_backend(own, self.ruleset.core.data, self.program, self.missing_tables,
                                       self.strict_data)
        finally:
            own.close()
        return {f.table: f.count for f in loaded.findings if f.kind == "source"}, loaded.findings

    def missing_tables(self, present: set[str]) -> list[Problem]:
        """A problem for customers, and for each table the rules need, not in ``present``."""
        if "customers" not in present:
            return [Problem("no customers table found",
                            hint="provide customers.csv (or .json, .jsonl, .parquet, .xlsx)")]
        problems = []
        for table in sorted(self.program.tables_needed - present):
            users = [step.source for step in self.program.derived()
                     if step.node is not None and table in tables_used(step.node)]
            paths = list(dict.fromkeys(source.path for source in users))
            where = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
            problems.append(Problem(
                f"the ruleset needs the '{table}' table, but the data has none",
                file=users[0].file if users else None,
                location=where or None,
                hint=f"add {table}.csv (or .json, .parquet, .xlsx) next to customers, or remove the fields that use it",
            ))
        return problems

    def _loop(self, program: Program, engine_context: DecideContext, faults: FaultRecorder, derive: Deriver, *,
              inline: bool = False) -> Loop:
        engine = self.engine.inline() if inline else self.engine
        guard = StepGuard(self.host, faults, engine_context.key)
        return Loop(program, engine, engine_context, guard, derive, row_wise=inline)

    def _decide_context(self, as_of: dt.date) -> DecideContext:
        return DecideContext(as_of, self.ruleset.core.data.key, self.host.functions(), self.ruleset.core.metadata.name)

    def evaluate(
        self,
        data: DataSource,
        *,
        as_of: dt.date | str | None = None,
        progress: Callable[[str], None] | None = None,
        history: History | None = None,
        summarize: bool = True,
    ) -> Result:
        """Evaluate every customer; raises :class:`InputError` on bad data (nothing is written).

        ``progress`` is called with the name of each stage as it starts. ``history``
        gives the earlier runs the trend functions read (``clientwise.history.trend.
        StoredHistory`` for a run store, :class:`~clientwise.runtime.trend.GivenHistory`
        for values at hand); without it they are all unknown. ``summarize=False``
        leaves out the sections' portfolio summaries and reports, and how the values
        compare with the rules' vocabulary (test cases compare customers only, and these
        portfolio views cost more than deciding a few customers).
        """
        return self._evaluate(data, as_of, progress, history, summarize, None)[0]

    def evaluate_into(self, data: DataSource, writer: Writer, output: Path, *, as_of: dt.date | str | None = None,
                      progress: Callable[[str], None] | None = None, history: History | None = None) -> Result:
        """Evaluate and write the customers table with ``writer`` to ``output`` (atomically).

        When the backend read DATA itself and writes this format itself (DuckDB: CSV and
        Parquet), the table goes from the backend to the file without passing through
        memory: the result then holds the summaries, findings and warnings but no customer
        rows (``customers`` and ``actions`` are empty). Otherwise this is :meth:`evaluate`
        followed by :func:`clientwise.output.write.write_result`.
        """
        result, streamed = self._evaluate(data, as_of, progress, history, True, (writer, output))
        if not streamed:
            if progress is not None:
                progress("writing")
            write_result(result, writer, output)
        return result

    def _evaluate(self, data: DataSource, as_of: dt.date | str | None, progress: Callable[[str], None] | None,
                  history: History | None, summarize: bool,
                  into: tuple[Writer, Path] | None) -> tuple[Result, bool]:
        """The result, and whether the backend wrote ``into`` itself."""
        stage = progress or (lambda _name: None)
        started = time.perf_counter()
        context = EvaluationContext(self.host, self.ruleset, parse_as_of(as_of), self.engine)
        faults = FaultRecorder(self.host, self.strict_plugins)
        stage("loading and validating the data")
        needs = self.trend
        # a backend that reads DATA itself (out of core) does; then ``customers`` holds only
        # what the backend joins to its own customers by key (the trend functions' columns)
        own = None if isinstance(data, Mapping) else self.backend.open_input(Path(data), self.ruleset.core.data)
        try:
            loaded = (self.load_data(data, portfolio=summarize) if own is None else
                      loaded_by_backend(own, self.ruleset.core.data, self.program, self.missing_tables,
                                        self.strict_data))
            context.tables = loaded.tables
            context.timings["load"] = time.perf_counter() - started
            self.engine.prepare()  # e.g. the durable engine starts its workers while fields are derived
            before_evaluate(context, faults)
            key = self.ruleset.core.data.key
            found_rows = loaded.customer_rows
            if own is not None:
                customers = own.keys(key)
            else:
                customers = context.tables["customers"]
                if not strictly_increasing(customers.get_column(key)):  # an export in key order needs no sort
                    customers, found_rows = customers.sort(key), {}
            related = {name: context.tables[name] for name in RELATED_TABLES if name in context.tables}
            decide_context = self._decide_context(context.as_of)
            ctx = EvalContext(as_of=context.as_of, functions=decide_context.functions, key=key, keyed=True)
            if needs:
                customers = with_trend(customers, needs, history, key, ctx)
            mark = time.perf_counter()
            program = loaded.program or self.program
            guard = StepGuard(self.host, faults, key)
            job = BackendJob(program, customers, related, decide_context, self.engine, guard, own, found_rows)
            stage("deriving fields and deciding")
            if into is not None and own is not None and own.streams(into[0]):  # and writing
                with atomic_write(into[1]) as stream:
                    summary_frame = own.write_run(job, into[0], stream)
                context.timings["derive+decide+write"] = time.perf_counter() - mark
                streamed = streamed_result(program, self.host, self.engine, summary_frame, context.as_of, faults)
                return self._finish(streamed, loaded, context, faults, history, started), True
            decided = self.backend.run(job)
        finally:
            if own is not None:
                own.close()
        # one chunk per column: polars adds a column's floats chunk by chunk, so a summary's
        # total would otherwise depend on how the backend happened to build the frame
        decided = Decided(decided.frame.rechunk(), decided.actions)
        context.timings["derive+decide"] = time.perf_counter() - mark
        self._population = Population(decided.frame, related, context.as_of, program, key)
        result = assemble(program, self.host, self.engine, decided, context.as_of, faults, summarize=summarize)
        return self._finish(result, loaded, context, faults, history, started), False

    def _finish(self, result: Result, loaded: LoadedData, context: EvaluationContext, faults: FaultRecorder,
                history: History | None, started: float) -> Result:
        """Findings, warnings, the after-evaluate hooks and the timings, on any result."""
        program = loaded.program or self.program
        result.findings = list(loaded.findings)
        result.history = (history.describe() if history is not None else None) if self.trend else None
        result.warnings[:0] = [*(f"switched off: {note}" for note in program.notes), *warnings_of(result.findings)]
        after_evaluate(context, result, faults)
        _record_faults(result, faults)
        context.timings["total"] = time.perf_counter() - started
        result.timings = dict(context.timings)
        return result

    def evaluate_one(self, record: Mapping[str, Any],
                     related: Mapping[str, pl.DataFrame | list[dict[str, Any]]] | None = None) -> Result:
        """One customer against the population figures of the last :meth:`evaluate` (see
        :mod:`clientwise.runtime.single`); ``related`` gives its contacts/interactions rows,
        else the portfolio's rows for its key are used."""
        population = self._population
        if population is None:
            raise InputError(Problem(
                "evaluate_one needs population figures, and this evaluator has evaluated no portfolio yet",
                location="Evaluator.evaluate_one",
                hint="call evaluator.evaluate(portfolio) once first (for example at service start-up)",
            ))
        key = self.ruleset.core.data.key
        if record.get(key) is None:
            raise InputError(Problem(f"the record has no '{key}'", location="record", value=repr(dict(record)),
                                     hint=f"give the customer's key as record['{key}']"))
        loaded = self.load_data(record_tables(population, record, key, related), portfolio=False).tables
        customers = loaded.pop("customers")
        decide_context = self._decide_context(population.as_of)
        ctx = EvalContext(as_of=population.as_of, functions=decide_context.functions, key=key, keyed=True,
                          compiled=population.program.expressions)
        deriver = OneCustomer(population.portfolio, record[key], loaded, ctx)
        history = trend_columns(self.trend, population.frame)  # the record's, from its batch row
        one = population.portfolio.columns_of(customers, history, record[key]) if history else customers
        one = typed_like(one, deriver.schema)
        faults = FaultRecorder(self.host, self.strict_plugins)
        loop = self._loop(population.program, decide_context, faults, deriver, inline=True)
        result = assemble(population.program, self.host, self.engine, loop.run(one), population.as_of, faults,
                          summarize=False)
        _record_faults(result, faults)
        return result


def _refusal_problem(backend: str, refusal: Refusal) -> Problem:
    return Problem(f"the {backend} backend cannot compute {refusal.node}: {refusal.reason}",
                   file=refusal.source.file, location=refusal.source.path,
                   hint="run this ruleset with --backend polars, or rewrite the part with functions the backend has")


def _record_faults(result: Result, faults: FaultRecorder) -> None:
    result.faults = list(faults.faults)
    result.warnings.extend(f"plugin error: {fault.render()}" for fault in faults.faults if fault.hook != "summarize")


def _files(raw: Mapping[str, RawTable | list[SourceTable]]) -> dict[str, str]:
    """Per table the file (or files) it was read from, as findings name them."""
    return {name: given.file if isinstance(given, RawTable) else ", ".join(dict.fromkeys(p.raw.file for p in given))
            for name, given in raw.items()}


def _raw_from_frame(name: str, frame: pl.DataFrame) -> RawTable:
    return RawTable(name, frame, f"{name} (DataFrame)", pl.Series("row", range(1, frame.height + 1), pl.Int64))


def evaluate(
    ruleset: Ruleset | str | Path,
    data: DataSource,
    *,
    as_of: dt.date | str | None = None,
    engine: str = "polars",
    host: PluginHost | None = None,
    backend: str = "polars",
    backend_options: BackendOptions | None = None,
) -> Result:
    """Evaluate ``ruleset`` over ``data`` (a path, or table name -> DataFrame)."""
    with Evaluator(ruleset, engine=engine, host=host, backend=backend, backend_options=backend_options) as evaluator:
        return evaluator.evaluate(data, as_of=as_of)
