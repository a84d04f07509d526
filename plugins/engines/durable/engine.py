"""The durable engine: decision rules on durable-rules (Rete), in worker processes.

Derived fields stay on polars (the core computes them before calling ``decide``);
this engine posts each customer's fields to durable-rules rulesets compiled from the
expression nodes (:mod:`clientwise.plugins.engines.durable.lower`) and reads back which rules
matched. Statuses mean exactly what they mean on the polars engine; the conformance
suite (``tests/test_conformance.py``) holds the two engines to identical results.

Chained rules (a rule reading a classification another rule decides) are forward
chained inside durable-rules: the engine declares ``chains``, the core hands it the
whole run of decisions in one call, and the worker asserts each decided value as a
fact for the next level's rules (:mod:`clientwise.plugins.engines.durable.chain`).
"""

from __future__ import annotations

import concurrent.futures as futures
import hashlib
import io
import json
import multiprocessing
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import polars as pl

from clientwise.errors import ClientwiseError, InputError, Problem
from clientwise.expr import EvalContext
from clientwise.host.contracts import CompiledDecision, DecideContext, Engine
from clientwise.host.spec import hookimpl

INSTALL_COMMAND = "pip install 'clientwise[durable]'"

try:
    from clientwise.plugins.engines.durable import worker
except ImportError as error:  # durable-rules is an optional extra
    raise ImportError(f"the durable engine needs durable-rules; install it with: {INSTALL_COMMAND}") from error

from clientwise.plugins.engines.durable import chain  # noqa: E402 (after the check for the extra)
from clientwise.plugins.engines.durable import statuses as durable_statuses  # noqa: E402 (after the check for the extra)
from clientwise.plugins.engines.durable.lower import ROW_FIELD, Cond, Lowered  # noqa: E402 (after the check for the extra)
from clientwise.plugins.engines.durable.statuses import FALSE, TRUE  # noqa: E402 (after the check for the extra)

#: Fields one durable ruleset may read. Measured with durable-rules 2.0.28: a ruleset
#: whose conditions name 64 or more properties fails every message (error 303), and
#: a message of 254+ properties crashes the process (the issue saw error 302 at 255).
#: Rules are packed into rulesets of at most this many fields (plus the row number),
#: and each ruleset is posted only its own fields.
MAX_PROPERTIES = 62


WORKERS_VARIABLE = "CLIENTWISE_DURABLE_WORKERS"
#: Workers are started fresh (``spawn``), never forked: this process runs polars and
#: jemalloc threads, and a fork server that imported polars would have them too;
#: forking a threaded process can deadlock the child.
_WORKER_START = multiprocessing.get_context("spawn")


def _workers_from_environment() -> int:
    """Worker processes: ``CLIENTWISE_DURABLE_WORKERS`` if set, else up to 2 (one per core)."""
    value = os.environ.get(WORKERS_VARIABLE)
    if value is None or value == "":
        return min(2, os.cpu_count() or 1)
    if not value.strip().isdigit():
        raise InputError(Problem(f"{WORKERS_VARIABLE} must be a whole number of worker processes",
                                 location=WORKERS_VARIABLE, value=repr(value),
                                 hint="set it to 0 (run in this process), 1, 2, ... or unset it"))
    return int(value)


class DurableEngineError(ClientwiseError):
    """durable-rules failed (a worker crashed or the engine disagreed with itself)."""


@dataclass
class Plan:
    """One stratum compiled for durable-rules."""

    lowered: Lowered
    rule_ids: list[str]
    groups: list[worker.Group] = field(default_factory=list)
    #: rules posted without their FALSE rule: no match means ``not_met``, not ``unknown``
    two_valued: set[int] = field(default_factory=set)
    #: the rule indexes of each first-match classification (later ones are skipped)
    first_runs: list[tuple[int, ...]] = field(default_factory=list)

    @property
    def layout(self) -> durable_statuses.Layout:
        return durable_statuses.Layout(tuple(self.rule_ids), frozenset(self.two_valued), tuple(self.first_runs))


def _rule(cond: Cond, priority: int) -> dict[str, Any] | None:
    if cond is False:
        return None
    if cond is True:  # a constant condition still needs a message to match
        cond = {"$gte": {ROW_FIELD: 0}}
    return {"all": [{"m": cond}], "pri": priority}


def compile_plan(decisions: Sequence[CompiledDecision], context: DecideContext,
                 nullable: set[str] | None = None, level_of: Sequence[int] | None = None) -> Plan:
    """Lower every rule and pack them into rulesets of at most :data:`MAX_PROPERTIES` fields.

    ``nullable`` names the posted columns that hold a null in this data (None: assume
    all may). A rule reading none of them cannot be unknown (every atom has its
    values), so it gets no FALSE rule: no match means ``not_met``. Most customers are
    ``not_met`` for most rules, so this halves the matches durable-rules reports.
    """
    lowered = Lowered(EvalContext(as_of=context.as_of, functions=context.functions, key=context.key, keyed=True))
    plan = Plan(lowered, [])
    packs: list[tuple[set[str], dict[str, Any], int]] = []
    for number, decision in enumerate(decisions):
        level = level_of[number] if level_of is not None else 0
        if decision.mode == "first":
            plan.first_runs.append(tuple(range(len(plan.rule_ids), len(plan.rule_ids) + len(decision.rules))))
        for order, rule in enumerate(decision.rules):
            index = len(plan.rule_ids)
            plan.rule_ids.append(rule.id)
            true, false, reads = lowered.rule(rule.id, rule.condition)
            if len(reads) > MAX_PROPERTIES:
                true, false, reads = lowered.whole(rule.id, rule.condition, (
                    f"it reads {len(reads)} fields and one durable-rules ruleset can read at most {MAX_PROPERTIES}"))
            if nullable is not None and not (reads & nullable) and not lowered.null_literal:
                plan.two_valued.add(index)
                false = False
            definitions = {
                worker.action_name(index, truth): compiled
                for truth, cond in ((TRUE, true), (FALSE, false))
                if (compiled := _rule(cond, order)) is not None
            }
            pack = next((p for p in packs if p[2] == level and len(p[0] | reads) <= MAX_PROPERTIES), None)
            if pack is None:
                pack = (set(), {}, level)
                packs.append(pack)
            pack[0].update(reads)
            pack[1].update(definitions)
    for names, definition, level in packs:
        definition[worker.SEEN] = {"all": [{"m": {"$gte": {ROW_FIELD: 0}}}], "pri": 1_000_000}
        digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:16]
        plan.groups.append(worker.Group(f"clientwise_{digest}", definition, tuple(sorted(names)), level))
    return plan


class DurableEngine(Engine):
    """Runs decision rules on durable-rules in ``workers`` processes (0: in this process)."""

    name: ClassVar[str] = "durable"
    #: chained rules run in one call, forward chained in durable-rules (Engine.chains)
    chains: ClassVar[bool] = True
    description: ClassVar[str] = "durable-rules (Rete) in worker processes; identical results to polars."

    def __init__(self, workers: int | None = None, batch_size: int = 10_000,
                 run: Callable[[worker.Task], bytes] | None = None, adaptive: bool = True):
        self._workers = workers
        self.batch_size = batch_size
        self.run = run
        #: drop FALSE rules of rules that read no null in this data (see compile_plan)
        self.adaptive = adaptive
        self._runner = worker.Runner()  # in-process rulesets, kept across calls (workers=0)
        self._pool: futures.ProcessPoolExecutor | None = None
        self._plans: dict[tuple[Any, ...], tuple[list[CompiledDecision], Any, Plan]] = {}
        self._lock = threading.Lock()
        self._inline: DurableEngine | None = None

    def _worker_pool(self) -> futures.ProcessPoolExecutor:
        """Worker processes live as long as this engine (one evaluation context), so
        the strata of a run and later runs do not pay process start-up again."""
        if self._pool is None:
            pool = futures.ProcessPoolExecutor(max_workers=self.workers, mp_context=_WORKER_START)
            weakref.finalize(self, pool.shutdown, wait=False, cancel_futures=True)
            self._pool = pool
            # one no-op per worker spawns them all now, in parallel, rather than at the
            # first batch; their start-up (~0.5 s of imports) overlaps the posting
            for _ in range(self.workers):
                pool.submit(worker.ready)
        return self._pool

    def prepare(self) -> None:
        """Start the worker processes when an evaluation starts (``Evaluator.evaluate``
        calls this after loading), so their start-up overlaps deriving the fields."""
        if self.workers > 0:
            self._worker_pool()

    def close(self) -> None:
        """Stop the worker processes and wait for them (``Evaluator.close``); the next
        ``decide`` starts new ones."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def inline(self) -> DurableEngine:
        """The same engine in this process, for single customers: one for the life of
        this engine, so its compiled plans and durable rulesets serve every call
        (durable-rules never frees a ruleset: one per call grew a service by 1.5 MB a call)."""
        with self._lock:
            if self._inline is None:
                # not adaptive: one set of rulesets for every record, whatever its nulls
                self._inline = DurableEngine(workers=0, batch_size=self.batch_size, run=self.run, adaptive=False)
            return self._inline

    @property
    def workers(self) -> int:
        """Worker processes (0: in this process); read from the environment when not given,
        at first use, so a bad value only stops runs that use this engine."""
        return self._workers if self._workers is not None else _workers_from_environment()

    def _plan(self, decisions: Sequence[CompiledDecision], context: DecideContext,
              nullable: frozenset[str] | None, level_of: Sequence[int] | None = None) -> Plan:
        """Compiled plans are kept per decisions, date and null pattern: single-customer
        calls would otherwise spend more time lowering than matching. The cache holds
        the decisions themselves, so the ids in its keys cannot be reused."""
        key = (tuple(id(d) for d in decisions), context.as_of, context.key, id(context.functions), nullable)
        with self._lock:  # single-customer calls may come from several threads
            if key not in self._plans:
                if len(self._plans) >= 64:
                    self._plans.pop(next(iter(self._plans)))
                plan = compile_plan(decisions, context, None if nullable is None else set(nullable), level_of)
                self._plans[key] = (list(decisions), context.functions, plan)
            return self._plans[key][2]

    def notes(self, decisions: Sequence[CompiledDecision], context: DecideContext) -> list[str]:
        """What had to be lowered to run on durable-rules, rule by rule (for ``clientwise check``)."""
        ctx = EvalContext(as_of=context.as_of, functions=context.functions, key=context.key, keyed=True)
        level_of = chain.levels(decisions, ctx)
        plan = compile_plan(decisions, context, level_of=level_of)
        found = [f"{rule}: {note}" for rule, notes in plan.lowered.notes.items() for note in dict.fromkeys(notes)]
        if max(level_of, default=0) > 0:
            outputs = chain.chained_outputs(decisions, level_of)
            why = chain.chainable(decisions, dict(plan.lowered.columns), outputs, ctx)
            if why is not None:
                found += [f"{rule.id}: decided in a later call, not forward chained: {why}"
                          for decision, level in zip(decisions, level_of) if level > 0 for rule in decision.rules]
        return found

    def decide(
        self, frame: pl.DataFrame, decisions: Sequence[CompiledDecision], context: DecideContext
    ) -> pl.DataFrame:
        if self.workers > 0 and frame.height:
            self._worker_pool()  # workers start (import durable-rules) while this process posts
        ctx = EvalContext(as_of=context.as_of, functions=context.functions, key=context.key, keyed=True)
        level_of = chain.levels(decisions, ctx)
        if max(level_of, default=0) == 0:
            level_of = None  # type: ignore[assignment]
        plan = self._plan(decisions, context, None, level_of)
        if not plan.rule_ids:
            return pl.DataFrame(height=frame.height)
        columns = dict(plan.lowered.columns)
        chains: list[chain.Chain] = []
        extra = pl.DataFrame(height=frame.height)
        chained: set[str] = set()
        if level_of is not None:
            outputs = chain.chained_outputs(decisions, level_of)
            why = chain.chainable(decisions, columns, outputs, ctx)
            if why is not None:
                return self._by_level(frame, decisions, context, level_of)
            extra, chains = chain.candidates(frame, decisions, columns, outputs, plan.rule_ids, level_of, ctx)
            chained = {name for item in chains for name in item.names()}
            columns = {name: e for name, e in columns.items() if name not in chained}
        posted = frame.lazy().with_columns([e.alias(name) for name, e in columns.items()]).select(list(columns)) \
            .collect() if columns else pl.DataFrame(height=frame.height)  # with_columns broadcasts constants
        if self.adaptive:
            nullable = _nullable(posted, extra, chains)
            plan = self._plan(decisions, context, nullable, level_of)
        if extra.width:
            posted = posted.hstack(extra) if posted.width else extra
        bounds = batches(frame.height, self.workers, self.batch_size)
        groups, rule_count, layout = tuple(plan.groups), len(plan.rule_ids), plan.layout
        tasks = (worker.Task(groups, rule_count, _ipc(posted.slice(s, e - s), e - s), tuple(chains)) for s, e in bounds)
        parts = self._run_all(tasks, layout, bounds, frame, context)
        return pl.concat(parts, rechunk=False) if parts else durable_statuses.statuses(b"", layout)

    def _by_level(self, frame: pl.DataFrame, decisions: Sequence[CompiledDecision], context: DecideContext,
                  level_of: Sequence[int]) -> pl.DataFrame:
        """Decide one chaining level per call, deriving each level's values on polars
        (the shapes :func:`chain.chainable` rejects; ``clientwise check`` names them)."""
        ctx = EvalContext(as_of=context.as_of, functions=context.functions, key=context.key, keyed=True)
        work, parts = frame, []
        for level in range(max(level_of) + 1):
            subset = [d for d, at in zip(decisions, level_of) if at == level]
            statuses = self.decide(work, subset, context)
            parts.append(statuses)
            work = work.hstack(statuses.select(c for c in statuses.columns if c not in work.columns))
            values = [chain.value(d, ctx).alias(d.output) for d in subset if d.mode == "first"]
            if values:
                work = work.with_columns(values)
        statuses = pl.concat(parts, how="horizontal")
        return statuses.select(rule.id for decision in decisions for rule in decision.rules)

    def _run_all(self, tasks: Iterable[worker.Task], layout: durable_statuses.Layout, bounds: list[tuple[int, int]],
                 frame: pl.DataFrame, context: DecideContext) -> list[pl.DataFrame]:
        """The statuses of every batch, in order. With workers, each batch is handed over
        as soon as it is encoded, so the first worker starts matching while this
        process encodes the rest."""
        results: list[pl.DataFrame] = []
        if self.workers <= 0:
            run = self.run or self._runner.run
            for number, task in enumerate(tasks):
                try:
                    results.append(worker.decide_batch(task, layout, run))
                except Exception as error:  # durable_rules_engine.error and friends
                    raise _batch_error("failed", number, bounds, frame, context, error) from error
            return results
        pool = self._worker_pool()
        pending = [pool.submit(worker.decide_batch, task, layout, self.run) for task in tasks]
        for number, future in enumerate(pending):
            try:
                results.append(future.result())
            except futures.process.BrokenProcessPool as error:
                self._pool = None  # a broken pool cannot be reused; the next call starts a new one
                crash = _batch_error("'s worker process crashed", number, bounds, frame, context, error)
                crash.args = (crash.args[0] + " (in a script, the worker also stops at start-up when the "
                              "script's code is not under `if __name__ == \"__main__\":`)",)
                raise crash from None
            except Exception as error:
                raise _batch_error("failed", number, bounds, frame, context, error) from error
        return results


def _nullable(posted: pl.DataFrame, candidates: pl.DataFrame, chains: Sequence[chain.Chain]) -> frozenset[str]:
    """Posted names that are null for some customer in this data.

    A chained name (a decided tier, class or band) is null only where the candidate
    the worker picks is: it is nullable when one of its candidates is null somewhere.
    """
    def with_nulls(frame: pl.DataFrame) -> set[str]:
        if not frame.width:
            return set()
        return {name for name, count in frame.null_count().row(0, named=True).items() if count}

    found = with_nulls(posted)
    in_candidates = with_nulls(candidates)
    for item in chains:
        found.update(name for name, options in item.columns if in_candidates.intersection(options))
        found.update(name for name, values in item.constants if any(v is None for v in values))
    return frozenset(found)


#: The smallest batch handed to a worker when batches shrink (its hand-over costs ~1 ms).
SMALLEST_BATCH = 500


def batches(height: int, workers: int, largest: int) -> list[tuple[int, int]]:
    """Row ranges of the batches, at most ``largest`` rows each.

    With several workers the batches shrink as the rows run out (each is the rows
    left over twice the workers, down to :data:`SMALLEST_BATCH`): every worker gets
    work at once, and the last batches are small, so no worker waits long for another
    to finish a big one. One worker, or none, takes ``largest`` rows at a time.
    """
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < height:
        size = largest
        if workers > 1:
            size = min(largest, max(SMALLEST_BATCH, -(-(height - start) // (2 * workers))))
        bounds.append((start, min(start + size, height)))
        start += size
    return bounds


def _batch_error(what: str, number: int, bounds: list[tuple[int, int]], frame: pl.DataFrame,
                 context: DecideContext, error: BaseException) -> DurableEngineError:
    """An error naming the engine, the ruleset and the customers of the batch."""
    start, end = bounds[number]
    keys = frame[context.key]
    gap = "" if what.startswith("'") else " "
    return DurableEngineError(
        f"the durable engine{gap}{what} on ruleset '{context.ruleset or '?'}', customer batch {number + 1} "
        f"of {len(bounds)} (rows {start + 1}-{end}, customers {keys[start]} to {keys[end - 1]}): "
        f"{type(error).__name__}: {error}. durable-rules is a C extension; rerun with --engine polars, "
        "or report the batch"
    )


def _ipc(frame: pl.DataFrame, height: int) -> bytes:
    buffer = io.BytesIO()
    (frame if frame.width else pl.DataFrame({ROW_FIELD: [0] * height})).write_ipc(buffer)
    return buffer.getvalue()


@hookimpl
def clientwise_engines() -> list[DurableEngine]:
    return [DurableEngine()]
