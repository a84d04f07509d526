"""Rule statuses and classifications in SQL: the DuckDB backend's decide stage.

Statuses follow the engines' contract (``docs/engines.md``): a null condition is
``unknown`` and never fires; in a first-match decision every rule after the one that
fired is ``skipped``. A classification's value is the ``then`` of the rule that fired,
else its default; SQL's ``CASE`` computes (and checks for overflow) only the branch a
customer takes, as :mod:`clientwise.runtime.outputs` does with its masks.
"""

from __future__ import annotations

from collections.abc import Sequence

from clientwise.compiler.program import DecideStratum
from clientwise.compiler.steps import ClassificationStep
from clientwise.expr import EvalContext, Node
from clientwise.expr.backends.sql import SqlCompiler, ident, quote, sql_type
from clientwise.host.contracts import CompiledDecision
from clientwise.plugins.backends.duckdb.session import ROW, Chain
from clientwise.runtime.outputs import RULE_SUFFIX


def decide(chain: Chain, stratum: DecideStratum, ctx: EvalContext) -> None:
    """Add one status column per rule, then each classification's value and rule columns."""
    compiler = SqlCompiler(ctx, {}, ident(ROW))
    conditions: dict[str, str] = {}
    for decision in stratum.decisions:
        for rule in decision.rules:
            conditions[rule.id] = ident(chain.fresh("cond"))
    if conditions:
        computed = ", ".join(f"{compiler.boolean(rule.condition)} AS {conditions[rule.id]}"
                             for decision in stratum.decisions for rule in decision.rules)
        chain.step(f"SELECT *, {computed} FROM {chain.current}", materialize=False)
        statuses = ", ".join(_statuses(decision, conditions) for decision in stratum.decisions if decision.rules)
        chain.step(f"SELECT * EXCLUDE ({', '.join(conditions.values())}), {statuses} FROM {chain.current}",
                   materialize=False)
    columns = [column for step in stratum.steps if isinstance(step, ClassificationStep)
               for column in _classification(step, compiler)]
    if columns:
        chain.step(f"SELECT *, {', '.join(columns)} FROM {chain.current}", materialize=False)


def _statuses(decision: CompiledDecision, conditions: dict[str, str]) -> str:
    parts, earlier = [], []
    for rule in decision.rules:
        condition = conditions[rule.id]
        skipped = f"WHEN {' OR '.join(earlier)} THEN 'skipped' " if earlier else ""
        parts.append(f"CASE {skipped}WHEN {condition} THEN 'fired' WHEN NOT {condition} THEN 'not_met' "
                     f"ELSE 'unknown' END AS {ident(rule.id)}")
        if decision.mode == "first":
            earlier.append(f"coalesce({condition}, FALSE)")
    return ", ".join(parts)


def _classification(step: ClassificationStep, compiler: SqlCompiler) -> Sequence[str]:
    kind = None if step.type.is_null else sql_type(step.type)

    def value(node: Node | None) -> str:
        sql = "NULL" if node is None else compiler.generate(node)
        return f"CAST({sql} AS {kind})" if kind else sql

    fired = [f"{ident(rule.id)} = 'fired'" for rule in step.decision.rules]
    output = ident(step.output)
    if not fired:
        return [f"{value(step.default)} AS {output}", f"CAST(NULL AS VARCHAR) AS {ident(step.output + RULE_SUFFIX)}"]
    values = " ".join(f"WHEN {when} THEN {value(then)}" for when, then in zip(fired, step.then))
    rules = " ".join(f"WHEN {when} THEN {quote(rule.id.split('/', 1)[1])}"
                     for when, rule in zip(fired, step.decision.rules))
    return [f"CASE {values} ELSE {value(step.default)} END AS {output}",
            f"CASE {rules} ELSE CAST(NULL AS VARCHAR) END AS {ident(step.output + RULE_SUFFIX)}"]

