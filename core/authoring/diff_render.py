"""Text for ``clientwise diff``: matrices and lists a client meeting can read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clientwise.authoring.diff import Change, PortfolioDiff
from clientwise.output.escape import clean

#: Customers listed per section of the text diff; --json lists every one.
LIST_LIMIT = 50


def _more(total: int) -> list[str]:
    hidden = total - LIST_LIMIT
    return [f"  ... and {hidden} more (--json lists all)"] if hidden > 0 else []


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean(str(value))


def render_portfolio(diff: PortfolioDiff) -> str:
    lines = [f"A = {clean(diff.a)}, B = {clean(diff.b)}", ""]
    if diff.tiers:
        lines.append("Tier migration (rows: tier under A, columns: tier under B):")
        width = max(len(clean(t)) for t in [*diff.tiers, "A \\ B", "total"]) + 2
        lines.append("".join(f"{clean(h):>{width}}" for h in ["A \\ B", *diff.tiers, "total"]))
        for before in diff.tiers:
            cells = [diff.matrix.get((before, after), 0) for after in diff.tiers]
            lines.append(f"{clean(before):>{width}}" + "".join(f"{c:>{width}}" for c in [*cells, sum(cells)]))
        totals = [sum(diff.matrix.get((before, after), 0) for before in diff.tiers) for after in diff.tiers]
        lines.append(f"{'total':>{width}}" + "".join(f"{c:>{width}}" for c in [*totals, sum(totals)]))
        moved = sum(n for (f, t), n in diff.matrix.items() if f != t)
        lines.extend([f"{moved} customer{'s' if moved != 1 else ''} change tier.", ""])
    others = [m for m in diff.moves if m.output != "tier"]
    lines.append(f"Class and band changes ({len(others)}):" if others else "No class or band changes.")
    for move in others[:LIST_LIMIT]:
        who = clean(move.key) + (f" ({clean(move.name)})" if move.name else "")
        lines.append(f"  {who}: {move.output} {_value(move.before)} -> {_value(move.after)}")
    lines.extend(_more(len(others)))
    tier_moves = [m for m in diff.moves if m.output == "tier"]
    if tier_moves:
        lines.extend(["", f"Tier changes ({len(tier_moves)}):"])
        for move in tier_moves[:LIST_LIMIT]:
            who = clean(move.key) + (f" ({clean(move.name)})" if move.name else "")
            lines.append(f"  {who}: {_value(move.before)} -> {_value(move.after)}")
        lines.extend(_more(len(tier_moves)))
    lines.append("")
    gained = sum(len(c.gained) for c in diff.actions)
    lost = sum(len(c.lost) for c in diff.actions)
    lines.append(f"Actions: {gained} gained, {lost} lost, for {len(diff.actions)} customers"
                 if diff.actions else "No action changes.")
    for change in diff.actions[:LIST_LIMIT]:
        who = clean(change.key) + (f" ({clean(change.name)})" if change.name else "")
        parts = ([f"+ {', '.join(change.gained)}"] if change.gained else []) + \
                ([f"- {', '.join(change.lost)}"] if change.lost else [])
        lines.append(f"  {who}: {'; '.join(parts)}")
    lines.extend(_more(len(diff.actions)))
    lines.extend(["", "Portfolio figures (* = differs):"])
    shown = [(f"{section}.{figure}", _value(a), _value(b), a != b) for section, figure, a, b in diff.figures]
    name_w = max([len(n) for n, _, _, _ in shown] + [6]) + 2
    value_w = max([len(v) for _, x, y, _ in shown for v in (x, y)] + [1]) + 2
    lines.append(f"  {'figure':<{name_w}}{'A':>{value_w}}{'B':>{value_w}}")
    for name, a_text, b_text, differs in shown:
        lines.append(f"  {name:<{name_w}}{a_text:>{value_w}}{b_text:>{value_w}}{'  *' if differs else ''}")
    return "\n".join(lines)


def render_changes(changes: list[Change], a: str, b: str) -> str:
    if not changes:
        return f"{clean(a)} and {clean(b)} hold the same criteria."
    lines = [f"--- {clean(a)}", f"+++ {clean(b)}"]
    for change in changes:
        if change.kind == "added":
            lines.append(f"+ {change.path} = {_value(change.after)}")
        elif change.kind == "removed":
            lines.append(f"- {change.path} = {_value(change.before)}")
        else:
            lines.append(f"~ {change.path}: {_value(change.before)} -> {_value(change.after)}")
    return "\n".join(lines)
