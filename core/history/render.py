"""``clientwise compare`` for the terminal and as JSON.

The terminal view lists at most :data:`LIST_LIMIT` customers per list (``--json``
and the reports list them all); text from the data is shown without control codes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable
from typing import Any

import polars as pl

from clientwise.history.compare import HEALTH, LIST_LIMIT, Comparison, Migration, summarize_scores
from clientwise.output.escape import clean

#: Customers listed per section of the terminal view.
MEASURE_COLUMN = "measure"
CORNER = "then \\ now"


def show(value: Any, kind: str = "number") -> str:
    """A value for people: percents, grouped digits, a dash for unknown."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "percent" and isinstance(value, (int, float)):
        return f"{value:.1%}"
    if kind == "money" and isinstance(value, (int, float)):
        return f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean(str(value))


def signed(value: Any, kind: str = "number") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    text = show(abs(value), kind) if kind != "percent" else f"{abs(value) * 100:.1f} pts"
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def who(row: dict[str, Any], key: str, name: str | None) -> str:
    label = clean(str(row[key]))
    return f"{label} ({clean(str(row[name]))})" if name and row.get(name) else label


def run_title(info: Any) -> str:
    ruleset = info.ruleset
    return f"{clean(info.source)}: as of {info.as_of}, {clean(ruleset.name)} {clean(ruleset.version)}, " \
           f"{info.customer_count:,} customers"


def _matrix_lines(title: str, migration: Migration, table: pl.DataFrame, measure: str | None,
                  when: str = " (now)") -> list[str]:
    counts = {(r["from"], r["to"]): r for r in table.iter_rows(named=True)}
    order = migration.order
    width = max([len(clean(c)) for c in order] + [8]) + 2
    lines = [title, f"{CORNER:>{width}}" + "".join(f"{clean(c):>{width}}" for c in order)]
    for before in order:
        cells = [counts.get((before, after), {}).get("customers", 0) for after in order]
        lines.append(f"{clean(before):>{width}}" + "".join(f"{c:>{width},}" for c in cells))
    if measure and MEASURE_COLUMN in table.columns:
        moved = table.filter(pl.col("from") != pl.col("to"))
        total = moved[MEASURE_COLUMN].sum() if moved.height else 0
        lines.append(f"{int(moved['customers'].sum() or 0):,} customers moved, with {show(total, 'money')} of "
                     f"{clean(measure)}{when}")
    return lines


def render_text(c: Comparison) -> str:
    lines = [f"then: {run_title(c.a)}", f"now:  {run_title(c.b)}", ""]
    if c.ruleset_change is not None:
        change = c.ruleset_change
        lines.append(f"The runs used different rulesets: {clean(change.a)} then, {clean(change.b)} now.")
        lines.append("Each migration below is split into what the criteria changed and what the data changed "
                     "(the older input re-evaluated with the newer ruleset)." if change.split else
                     f"Splitting the effect of the criteria from that of the data is not possible: {clean(change.reason or '')}.")
        lines.append("")
    lines.extend(f"note: {clean(note)}" for note in c.notes)
    if c.notes:
        lines.append("")
    for migration in c.migrations:
        lines.extend(_matrix_lines(f"{migration.output} migration (rows: then, columns: now):", migration,
                                   migration.matrix, c.measure_label))
        if migration.criteria is not None and migration.data is not None:
            causes = migration.causes
            lines.append(f"  of the moves: {causes.get('criteria', 0):,} by the criteria alone, "
                         f"{causes.get('data', 0):,} by the data alone, {causes.get('both', 0):,} by both")
            lines.extend("  " + line for line in _matrix_lines(
                "criteria changed (then's data: old ruleset -> new ruleset):", migration, migration.criteria,
                c.measure_label, when=""))
            lines.extend("  " + line for line in _matrix_lines(
                "data changed (new ruleset: then's data -> now's data):", migration, migration.data,
                c.measure_label, when=""))
        lines.append("")
    lines.extend(_customers("Customers gained", c.gained, c, "measure"))
    lines.extend(_customers("Customers lost", c.lost, c, "measure"))
    if HEALTH in c.score_columns:
        drops = c.health_drop_count
        lines.append(f"Health dropped for {drops:,} customer{'s' if drops != 1 else ''}" + ("; most:" if drops else "."))
        for row in c.health_drops.head(LIST_LIMIT).iter_rows(named=True):
            lines.append(f"  {who(row, c.key, c.name)}: {show(row[HEALTH + '_then'])} -> "
                         f"{show(row[HEALTH + '_now'])} ({signed(row[HEALTH + '_change'])})")
        lines.append("")
    lines.extend(_score_summary(c))
    lines.extend(_checklist(c))
    lines.extend(_actions(c))
    lines.extend(_portfolio(c))
    return "\n".join(lines).rstrip() + "\n"


def _customers(title: str, frame: pl.DataFrame, c: Comparison, measure: str) -> list[str]:
    total = frame[measure].sum() if frame.height else 0
    label = f" ({show(total, 'money')} of {clean(c.measure_label)})" if c.measure_label else ""
    lines = [f"{title}: {frame.height:,}{label}" + (", largest first:" if frame.height else "")]
    for row in frame.head(LIST_LIMIT).iter_rows(named=True):
        tier = f", {clean(str(row['tier']))}" if row.get("tier") else ""
        lines.append(f"  {who(row, c.key, c.name)}{tier}: {show(row[measure], 'money')}")
    if frame.height > LIST_LIMIT:
        lines.append(f"  ... and {frame.height - LIST_LIMIT:,} more (--json lists all)")
    return [*lines, ""]


def _score_summary(c: Comparison) -> list[str]:
    if not c.score_columns:
        return []
    lines = ["Score changes per customer (customers in both runs):",
             f"  {'score':<22}{'up':>10}{'down':>10}{'same':>10}{'mean change':>14}"]
    summary = c.score_summary if c.score_summary is not None else summarize_scores(c.scores, c.score_columns)
    for row in summary.iter_rows(named=True):
        lines.append(f"  {clean(row['score']):<22}{row['up']:>10,}{row['down']:>10,}{row['same']:>10,}"
                     f"{signed(row['mean_change']):>14}")
    return [*lines, ""]


def _checklist(c: Comparison) -> list[str]:
    if c.checklist is None:
        return []
    lines = ["Checklist: % yes per question (of the customers answered):",
             f"  {'question':<34}{'then':>8}{'now':>8}{'change':>12}"]
    for row in c.checklist.iter_rows(named=True):
        lines.append(f"  {clean(row['question']):<34}{show(row['yes_then'], 'percent'):>8}"
                     f"{show(row['yes_now'], 'percent'):>8}{signed(row['change'], 'percent'):>12}")
    return [*lines, ""]


def _actions(c: Comparison) -> list[str]:
    table = c.actions
    if not table.height:
        return ["No recommended actions in either run for the customers they share.", ""]
    lines = ["Recommended actions (customers in both runs): new, resolved, persisting:",
             f"  {'action':<30}{'new':>8}{'resolved':>10}{'persisting':>12}"]
    for row in table.iter_rows(named=True):
        lines.append(f"  {clean(row['rule']):<30}{row['new']:>8,}{row['resolved']:>10,}{row['persisting']:>12,}")
    return [*lines, ""]


def _portfolio(c: Comparison) -> list[str]:
    lines = ["Portfolio figures:", f"  {'figure':<46}{'then':>16}{'now':>16}"]
    for label, kind, then, now in c.headline:
        lines.append(f"  {label:<46}{show(then, kind):>16}{show(now, kind):>16}")
    if c.tier_mix is not None:
        lines.extend(["", "Tier mix against targets:",
                      f"  {'tier':<16}{'then':>18}{'now':>18}{'target':>18}"])
        for row in c.tier_mix.iter_rows(named=True):
            def cell(count: Any, share: Any, met: Any) -> str:
                flag = "" if met is None else (" ok" if met else " off")
                return f"{show(count)} ({show(share, 'percent')}){flag}"
            target = f"{show(row['target_min'], 'percent')}-{show(row['target_max'], 'percent')}"
            lines.append(f"  {clean(str(row['tier'])):<16}{cell(row['customers_then'], row['share_then'], row['met_then']):>18}"
                         f"{cell(row['customers_now'], row['share_now'], row['met_now']):>18}{target:>18}")
    return [*lines, ""]


def _records(frame: pl.DataFrame | None) -> list[dict[str, Any]] | None:
    if frame is None:
        return None
    cleaned = frame.with_columns(pl.when(pl.col(n).is_finite()).then(pl.col(n)).alias(n)
                                 for n, t in frame.schema.items() if t.is_float())
    return [_plain(row) for row in cleaned.iter_rows(named=True)]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def to_dict(c: Comparison, records: Callable[[pl.DataFrame | None], Any] = _records) -> dict[str, Any]:
    """The whole comparison, every customer listed; ``records`` turns each table into JSON values."""
    change = c.ruleset_change
    return {
        "schema": "clientwise.compare/1",
        "then": c.a.to_dict(),
        "now": c.b.to_dict(),
        "ruleset_change": None if change is None else {"then": change.a, "now": change.b, "split": change.split,
                                                        "reason": change.reason},
        "notes": c.notes,
        "measure": c.measure_label,
        "migrations": [{
            "output": m.output, "order": m.order, "moved": m.moved, "matrix": records(m.matrix),
            **({"criteria": records(m.criteria), "data": records(m.data), "causes": m.causes}
               if m.criteria is not None else {}),
        } for m in c.migrations],
        "gained": records(c.gained),
        "lost": records(c.lost),
        "health_drops": records(c.health_drops),
        "scores": {"columns": c.score_columns, "customers": records(c.scores)},
        "checklist": records(c.checklist),
        "actions": records(c.actions),
        "action_changes": records(c.action_customers),
        "headline": [{"figure": label, "then": _plain(a), "now": _plain(b)} for label, _, a, b in c.headline],
        "tier_mix": records(c.tier_mix),
        "figures": [{"section": s, "figure": f, "then": _plain(a), "now": _plain(b)} for s, f, a, b in c.figures],
    }


def render_json(c: Comparison) -> str:
    """``clientwise compare --json``: tables are written by polars (a million customers in a
    second or two), the rest by :mod:`json`."""
    frames: dict[str, pl.DataFrame] = {}

    def placeholder(frame: pl.DataFrame | None) -> str | None:
        if frame is None:
            return None
        token = f"\x00table{len(frames)}\x00"
        frames[token] = frame
        return token

    skeleton = json.dumps(to_dict(c, placeholder), indent=1, ensure_ascii=False)
    tokens = {json.dumps(token): frame for token, frame in frames.items()}
    return re.sub(r'"\\u0000table\d+\\u0000"', lambda match: tokens[match.group(0)].write_json(), skeleton)
