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


def _label(value: Any) -> str:
    return "(none)" if value is None else str(value)


def diff_results(a: Result, b: Result, classifications: list[str]) -> PortfolioDiff:
    """Compare two results over the same customers; ``classifications`` are the outputs to follow."""
    key, name = a.key, a.name
    has_name = name in a.customers.columns and name != key
    wanted = [c for c in classifications if c in a.customers.columns and c in b.customers.columns]
    left = a.customers.select(key, *([name] if has_name else []), *wanted, "actions")
    right = b.customers.select(key, *wanted, "actions")
    joined = left.join(right, on=key, how="full", suffix="__b", coalesce=True).sort(key)
    result = PortfolioDiff(f"{a.ruleset.name} {a.ruleset.version}", f"{b.ruleset.name} {b.ruleset.version}")
    for row in joined.iter_rows(named=True):
        ident, label = str(row[key]), row.get(name) if has_name else None
        for output in wanted:
            before, after = row[output], row[f"{output}__b"]
            if output == TIER:
                pair = (_label(before), _label(after))
                result.matrix[pair] = result.matrix.get(pair, 0) + 1
            if before != after:
                result.moves.append(Move(ident, label, output, before, after))
        old, new = row["actions"] or [], row["actions__b"] or []
        gained, lost = tuple(x for x in new if x not in old), tuple(x for x in old if x not in new)
        if gained or lost:
            result.actions.append(ActionChange(ident, label, gained, lost))
    if TIER in wanted:
        order = [*a.customers[TIER].unique(maintain_order=True).to_list(),
                 *b.customers[TIER].unique(maintain_order=True).to_list()]
        result.tiers = list(dict.fromkeys(_label(t) for t in _tier_order(a, b, order)))
    result.figures = _figures(a, b)
    return result


def _tier_order(a: Result, b: Result, seen: list[Any]) -> list[Any]:
    """Tiers best first: by the smallest segment rank in each, else as first seen."""
    frames = [r.customers for r in (a, b) if "segment_rank" in r.customers.columns]
    if not frames:
        return seen
    best = (pl.concat([f.select(TIER, "segment_rank") for f in frames])
            .group_by(TIER).agg(pl.col("segment_rank").min()).sort("segment_rank", nulls_last=True))
    ranked = best[TIER].to_list()
    return ranked + [t for t in seen if t not in ranked]


def _figures(a: Result, b: Result) -> list[tuple[str, str, Any, Any]]:
    rows = []
    sections = list(dict.fromkeys([s.section for s in a.summaries] + [s.section for s in b.summaries]))
    for section in sections:
        fa = a.summary(section).figures if a.summary(section) else {}
        fb = b.summary(section).figures if b.summary(section) else {}
        for figure in dict.fromkeys([*fa, *fb]):
            rows.append((section, figure, fa.get(figure), fb.get(figure)))
    return rows


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
