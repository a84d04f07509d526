"""Dependency order of derived fields and decisions, and cycle reports.

Kahn's algorithm with declaration order as the tie-break, so the order (and hence
every output) is deterministic. Derived fields are preferred over decisions when both
are ready, which keeps the number of derive/decide strata minimal.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from clientwise.errors import Problem, RulesetError


@dataclass(frozen=True)
class Node:
    """Anything that reads names and produces names."""

    label: str  # for messages: "derive.profit" or "segmentation.tier"
    produces: tuple[str, ...]
    reads: frozenset[str]
    is_decision: bool
    file: str
    path: str


def topological_order(nodes: Sequence[Node]) -> list[int]:
    """Indexes of ``nodes`` in an order where every node comes after what it reads."""
    producer: dict[str, int] = {}
    for index, node in enumerate(nodes):
        for name in node.produces:
            producer[name] = index
    depends: list[set[int]] = [
        {producer[name] for name in node.reads if name in producer and producer[name] != index}
        for index, node in enumerate(nodes)
    ]
    dependents: list[list[int]] = [[] for _ in nodes]
    for index, deps in enumerate(depends):
        for dep in deps:
            dependents[dep].append(index)
    waiting = [len(deps) for deps in depends]
    ready = [(nodes[i].is_decision, i) for i, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        _, index = heapq.heappop(ready)
        order.append(index)
        for dependent in dependents[index]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, (nodes[dependent].is_decision, dependent))
    if len(order) < len(nodes):
        stuck = [i for i in range(len(nodes)) if waiting[i] > 0]
        raise RulesetError(_cycle_problem(nodes, depends, stuck))
    # a node that reads itself (x = x + 1) is a cycle of one
    for index, node in enumerate(nodes):
        if set(node.produces) & node.reads and not node.is_decision:
            raise RulesetError(_cycle_problem(nodes, depends, [index], self_loop=True))
    return order


def _cycle_problem(nodes: Sequence[Node], depends: list[set[int]], stuck: list[int], self_loop: bool = False) -> Problem:
    if self_loop:
        cycle = [stuck[0], stuck[0]]
    else:
        cycle = _find_cycle(depends, set(stuck))
    first = nodes[cycle[0]]
    chain = " -> ".join(nodes[i].label for i in cycle)
    return Problem(
        f"these fields and rules depend on each other in a cycle: {chain}",
        file=first.file,
        location=first.path,
        hint="break the cycle: one of them must be computed without the others",
    )


def _find_cycle(depends: list[set[int]], candidates: set[int]) -> list[int]:
    start = min(candidates)
    path = [start]
    seen = {start: 0}
    current = start
    while True:
        current = min(d for d in depends[current] if d in candidates)
        if current in seen:
            return path[seen[current]:] + [current]
        seen[current] = len(path)
        path.append(current)


def strata(nodes: Sequence[Node], order: Sequence[int]) -> list[list[int]]:
    """Split the order into runs a single derive or decide call can do.

    A run of decisions is cut where a decision reads the output of one in the same
    run (chained rules), so an engine never needs results it has not produced yet.
    """
    runs: list[list[int]] = []
    produced_in_run: set[str] = set()
    for index in order:
        node = nodes[index]
        same_kind = runs and nodes[runs[-1][0]].is_decision == node.is_decision
        chained = node.is_decision and bool(node.reads & produced_in_run)
        if same_kind and not chained:
            runs[-1].append(index)
        else:
            runs.append([index])
            produced_in_run = set()
        produced_in_run.update(node.produces)
    return runs
