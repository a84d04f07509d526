"""``clientwise diff``: what changes for whom when the criteria change.

Two rulesets are evaluated over the same data and as-of date. The differences are
reported the way a consultant presents them to a client: a tier migration matrix,
the customers whose class or band moved, the actions each customer gains or loses,
and the portfolio figures side by side. :func:`diff_documents` compares the merged
rulesets themselves, key by key, with id lists matched by id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from clientwise.compare import action_changes, changed, figures_side_by_side, matrix, paired, tier_order
from clientwise.runtime.result import Result

TIER = "tier"


@dataclass(frozen=True)
class Move:
    """One customer whose decided value differs between A and B."""

    key: str
    name: str | None
    output: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ActionChange:
    key: str
    name: str | None
    gained: tuple[str, ...]
    lost: tuple[str, ...]


@dataclass
class PortfolioDiff:
    """Everything that differs between two evaluations of the same customers."""

    a: str
    b: str
    tiers: list[str] = field(default_factory=list)
    matrix: dict[tuple[str, str], int] = field(default_factory=dict)
    moves: list[Move] = field(default_factory=list)
    actions: list[ActionChange] = field(default_factory=list)
    figures: list[tuple[str, str, Any, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "tier_matrix": [{"from": f, "to": t, "customers": n} for (f, t), n in self.matrix.items()],
            "moves": [m.__dict__ | {"before": _plain(m.before), "after": _plain(m.after)} for m in self.moves],
            "actions": [{"key": c.key, "name": c.name, "gained": list(c.gained), "lost": list(c.lost)}
                        for c in self.actions],
            "figures": [{"section": s, "figure": f, "a": _plain(x), "b": _plain(y)} for s, f, x, y in self.figures],
        }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def diff_results(a: Result, b: Result, classifications: list[str]) -> PortfolioDiff:
    """Compare two results over the same customers; ``classifications`` are the outputs to follow."""
    key, name = a.key, a.name
    wanted = [c for c in classifications if c in a.customers.columns and c in b.customers.columns]
    pairs = paired(a.customers, b.customers, key, name, [*wanted, "actions"])
    result = PortfolioDiff(f"{a.ruleset.name} {a.ruleset.version}", f"{b.ruleset.name} {b.ruleset.version}")
    has_name = name != key and name in pairs.columns
    moves = []
    for index, output in enumerate(wanted):
        for row in changed(pairs, output, key, name).iter_rows(named=True):
            label = row[name] if has_name else None
            moves.append((row[key], index, Move(str(row[key]), label, output, row["before"], row["after"])))
    result.moves = [move for _, _, move in sorted(moves, key=lambda item: (item[0], item[1]))]
    changes = action_changes(pairs, key, name)
    for row in changes.filter((pl.col("gained").list.len() + pl.col("lost").list.len()) > 0).iter_rows(named=True):
        result.actions.append(ActionChange(str(row[key]), row.get(name) if has_name else None,
                                           tuple(row["gained"]), tuple(row["lost"])))
    if TIER in wanted:
        for row in matrix(pairs, TIER).iter_rows(named=True):
            result.matrix[(row["from"], row["to"])] = row["customers"]
        result.tiers = tier_order([a.customers, b.customers])
    result.figures = figures_side_by_side(a.summaries, b.summaries)
    return result


# -- the rulesets themselves -------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    path: str
    kind: str  # added, removed, changed
    before: Any = None
    after: Any = None


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Key path -> scalar (or plain list); id lists are keyed ``rules[id=assign_sponsor]``."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list) and value and all(isinstance(i, dict) and "id" in i for i in value):
        for item in value:
            out.update(flatten({k: v for k, v in item.items() if k != "id"} or {"id": item["id"]},
                               f"{path}[id={item['id']}]"))
    elif isinstance(value, list) and any(isinstance(i, (dict, list)) for i in value):
        for index, item in enumerate(value):
            out.update(flatten(item, f"{path}[{index}]"))
    else:
        out[path] = value
    return out


def diff_documents(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    """Every key path whose value differs between two merged rulesets, in B's order then A's."""
    fa, fb = flatten(a), flatten(b)
    changes = []
    for path in dict.fromkeys([*fa, *fb]):
        if path not in fb:
            changes.append(Change(path, "removed", before=fa[path]))
        elif path not in fa:
            changes.append(Change(path, "added", after=fb[path]))
        elif fa[path] != fb[path]:
            changes.append(Change(path, "changed", fa[path], fb[path]))
    return changes
