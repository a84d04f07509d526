"""What the decide stage makes of rule statuses: decided values, their rules, the actions.

The engine only reports each rule's status per customer. Turning statuses into a
tier, a class, an action list and rendered ``because`` texts happens here, the same
way for every engine, so engines cannot disagree on anything but rule outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from clientwise import expr
from clientwise.compiler.steps import ActionsStep, ClassificationStep, DecisionStep
from clientwise.host.contracts import CompiledDecision, Engine
from clientwise.runtime.rows import add_columns

#: Column suffix for the id of the rule that decided a classification.
RULE_SUFFIX = "_rule"
#: Column of ``Decided.actions`` holding the customer's row in ``Decided.frame``.
ROW = "row"
ACTION_SCHEMA = {ROW: pl.UInt32, "rule": pl.String, "action": pl.String, "priority": pl.Int64,
                 "because": pl.String}


def check_statuses(engine: Engine, decisions: Sequence[CompiledDecision], statuses: pl.DataFrame, height: int) -> None:
    """An engine must give one status column per rule for every customer; say which it did not."""
    expected = {rule.id for decision in decisions for rule in decision.rules}
    missing = expected - set(statuses.columns)
    if missing or statuses.height != height:
        raise RuntimeError(
            f"engine '{engine.name}' returned {statuses.height} rows and lacks statuses for "
            f"{sorted(missing)[:5]}; an engine must return one status column per rule for every customer"
        )


def classification_columns(frame: pl.DataFrame, steps: Sequence[DecisionStep], ctx: expr.EvalContext) -> pl.DataFrame:
    """Add each classification's value and rule columns, in dependency order (a later
    value may read an earlier one in a chained run)."""
    for step in steps:
        if isinstance(step, ClassificationStep):
            frame = frame.with_columns(_classification(step, ctx))
    return frame


def classification_rows(frame: pl.DataFrame, steps: Sequence[DecisionStep], ctx: expr.EvalContext) -> pl.DataFrame:
    """:func:`classification_columns` in plain Python, for a few customers: each rule's
    value computed by the reference evaluator for the rows where the rule fired (as the
    polars query checks it for overflow there only), the default for the others."""
    for step in steps:
        if isinstance(step, ClassificationStep):
            frame = add_columns(frame, _classification_rows(step, frame, ctx)) if step.decision.rules \
                else frame.with_columns(_classification(step, ctx))
    return frame


def _classification_rows(step: ClassificationStep, frame: pl.DataFrame, ctx: expr.EvalContext) -> list[pl.Series]:
    rows = frame.to_dicts()  # a few rows: all their columns cost less than a query selecting some
    values: list[object] = [None] * frame.height
    rule_ids: list[str | None] = [None] * frame.height
    for rule, then in zip(step.decision.rules, step.then):
        fired = [at for at, status in enumerate(frame.get_column(rule.id).to_list()) if status == "fired"]
        computed = expr.evaluate_rows(then, [rows[at] for at in fired], ctx) if fired else []
        for at, value in zip(fired, computed):
            if rule_ids[at] is None:  # the first rule that fired decides
                values[at], rule_ids[at] = value, rule.id.split("/", 1)[1]
    rest = [at for at, rule_id in enumerate(rule_ids) if rule_id is None]
    if step.default is not None and rest:
        for at, value in zip(rest, expr.evaluate_rows(step.default, [rows[at] for at in rest], ctx)):
            values[at] = value
    return [pl.Series(step.output, values, dtype=expr.dtype_of(step.type), strict=False),
            pl.Series(step.output + RULE_SUFFIX, rule_ids, dtype=pl.String)]


def _fired(rule_id: str) -> pl.Expr:
    return pl.col(rule_id) == "fired"


def _classification(step: ClassificationStep, ctx: expr.EvalContext) -> list[pl.Expr]:
    """The decided value and the id of the rule that decided it.

    A classification's ``because`` is rendered only when an explanation asks for it
    (see :mod:`clientwise.runtime.explain`): rendering text for every customer costs
    seconds at a million customers and no table output shows it.
    """
    output = step.output
    decided = pl.any_horizontal(_fired(rule.id) for rule in step.decision.rules) if step.decision.rules else None
    # each value is computed for every row but used (and checked for overflow) where it is chosen
    default = expr.to_polars(step.default, ctx, mask=None if decided is None else ~decided) \
        if step.default is not None else pl.lit(None)
    if not step.decision.rules:
        return [default.alias(output), pl.lit(None, pl.String).alias(output + RULE_SUFFIX)]
    value: pl.Expr | pl.When | pl.Then = pl
    rule_id: pl.Expr | pl.When | pl.Then = pl
    for rule, then in zip(step.decision.rules, step.then):
        fired = _fired(rule.id)
        value = value.when(fired).then(expr.to_polars(then, ctx, mask=fired))
        rule_id = rule_id.when(fired).then(pl.lit(rule.id.split("/", 1)[1]))
    return [
        value.otherwise(default).alias(output),  # type: ignore[union-attr]
        rule_id.otherwise(pl.lit(None, pl.String)).alias(output + RULE_SUFFIX),  # type: ignore[union-attr]
    ]


def actions_table(frame: pl.DataFrame, step: ActionsStep | None, ctx: expr.EvalContext) -> pl.DataFrame:
    """One row per fired action, ordered by customer row, priority, then rule order.

    Rows are identified by position, not key: sorting and joining integers is several
    times faster than text keys at a million customers, and ``frame`` is in key order.
    """
    rules = list(enumerate(zip(step.rules, step.decision.rules, step.because))) if step else []
    if rules and frame.height:  # only rules that fired for someone: one customer has a few
        fired = frame.select(_fired(compiled.id).any().alias(compiled.id) for _, (_, compiled, _) in rules).row(0)
        rules = [item for item, any_fired in zip(rules, fired) if any_fired]
    lazy = frame.lazy().with_row_index(ROW)
    # the parts in (priority, rule order) order, so that a stable sort by row alone
    # orders each customer's actions: one integer key instead of three
    rules.sort(key=lambda item: (item[1][0].priority, item[0]))
    parts = [
        lazy.filter(_fired(compiled.id)).select(
            pl.col(ROW),
            pl.lit(rule.id).alias("rule"),
            pl.lit(rule.action).alias("action"),
            pl.lit(rule.priority, pl.Int64).alias("priority"),
            expr.render_template(template, ctx).alias("because"),
        )
        for _, (rule, compiled, template) in rules
    ]
    if not parts:
        return pl.DataFrame(schema=ACTION_SCHEMA)
    return pl.concat(parts).sort(ROW, maintain_order=True).collect()


def actions_rows(frame: pl.DataFrame, step: ActionsStep | None, ctx: expr.EvalContext) -> pl.DataFrame:
    """:func:`actions_table` in plain Python, for a few customers (a test case, one record):
    the ``because`` texts rendered by the reference evaluator over each rule's fired rows,
    as the polars query renders them over its filtered frame (``render_value`` is held to
    ``render_expr`` by the template tests)."""
    rules = sorted(enumerate(zip(step.rules, step.decision.rules, step.because)) if step else [],
                   key=lambda item: (item[1][0].priority, item[0]))
    fired = {compiled.id: [at for at, status in enumerate(frame.get_column(compiled.id).to_list())
                           if status == "fired"] for _, (_, compiled, _) in rules}
    rules = [item for item in rules if fired[item[1][1].id]]
    rows = frame.to_dicts() if rules else []  # a few rows: cheaper whole than through a query selecting some
    found: list[tuple[int, str, str, int, str]] = []
    for _, (rule, compiled, template) in rules:
        at = fired[compiled.id]
        texts = expr.render_texts(template, [rows[i] for i in at], ctx)
        found.extend((i, rule.id, rule.action, rule.priority, text) for i, text in zip(at, texts))
    found.sort(key=lambda action: action[0])  # stable: (priority, rule order) within a customer
    return pl.DataFrame(found, schema=ACTION_SCHEMA, orient="row")
