"""Finding and reading the two runs ``clientwise compare`` compares.

A run is a run id or label in the store, or a results file (``-o q2.json``). Without
names the two latest runs of the store are compared; with one name, that run against
the latest. Only what the comparison reads is loaded from the store.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from clientwise.errors import InputError, Problem
from clientwise.history.compare import CLASSES, NUMERIC_KINDS, Comparison, compare, ruleset_change
from clientwise.history.compare_sql import compare_stored
from clientwise.history.results_file import load_results_file, looks_like_results_file
from clientwise.history.runs import RunInfo, action_texts, load_result, resolve, run_info
from clientwise.history.split import Reevaluation, reevaluate
from clientwise.history.store import open_store
from clientwise.host.manager import PluginHost
from clientwise.runtime.result import Result

#: Portfolio tables the comparison reads (the others stay in the store).
TABLES = {("segmentation", "pareto"), ("segmentation", "tiers"), ("checklist", "questions"), ("relationship", "bands")}
#: Output columns read besides classes and scores: tiers are ordered by rank.
ORDERING = ("segment_rank",)

Loaded = tuple[RunInfo, Result, dict[str, tuple[str, int]]]


def _columns(info: RunInfo) -> list[str]:
    return [c["name"] for c in info.columns
            if c["name"] in CLASSES or c["name"] in ORDERING or c["name"] == "actions"
            or (c.get("kind") in NUMERIC_KINDS and not c.get("detail"))]


def _from_store(store_path: Path, references: list[str]) -> list[Loaded]:
    with open_store(store_path, write=False) as store:
        loaded = []
        for reference in references:
            info = run_info(store, resolve(store, reference))
            result = load_result(store, info, columns=_columns(info), summary_tables=TABLES, actions=False)
            assert info.run_id is not None
            loaded.append((info, result, action_texts(store, info.run_id)))
        return loaded


def load_pair(references: list[str], store_path: Path) -> list[Loaded]:
    """The runs named (id, label or results file); ``previous`` and ``latest`` fill in what is not named."""
    named = _named(references)
    files = [looks_like_results_file(r) for r in named]
    stored = iter(_from_store(store_path, [r for r, f in zip(named, files) if not f]) if not all(files) else [])
    return [load_results_file(Path(r)) if is_file else next(stored) for r, is_file in zip(named, files)]


def _named(references: list[str]) -> list[str]:
    if len(references) > 2:
        raise InputError(Problem("compare takes at most two runs", location="RUN_A RUN_B"))
    return [*references, "latest"] if len(references) == 1 else (list(references) or ["previous", "latest"])


def review(references: list[str], store_path: Path, split: bool = True,
           host: PluginHost | Callable[[], PluginHost] | None = None, detail: bool = True) -> Comparison:
    """Compare the two runs; when their rulesets differ, split the effects if the old input is there
    (re-evaluated with ``host``, the command's plugins; a callable is called only then, so
    a comparison without a re-evaluation does not load every plugin).

    Two runs of the store are compared by DuckDB on the stored tables
    (:mod:`clientwise.history.compare_sql`), unless the split needs the re-evaluated
    input in memory; a results file is compared in memory. ``detail=False`` (the
    terminal view) leaves out the per-customer score and action changes there.
    """
    named = _named(references)
    stored = not any(looks_like_results_file(r) for r in named)
    if stored:
        with open_store(store_path, write=False) as store:
            a_info, b_info = (run_info(store, resolve(store, r)) for r in named)
            reevaluated = _reevaluated(a_info, b_info, split, host)
            if reevaluated is None or reevaluated.result is None:
                return compare_stored(store, a_info, b_info, ruleset_change(a_info, b_info, reevaluated), detail)
    (a_info, a, a_texts), (b_info, b, b_texts) = load_pair(references, store_path)
    if not stored:
        reevaluated = _reevaluated(a_info, b_info, split, host)
    return compare(a_info, a, b_info, b, {**a_texts, **b_texts}, reevaluated)


def _reevaluated(a: RunInfo, b: RunInfo, split: bool,
                 host: PluginHost | Callable[[], PluginHost] | None) -> Reevaluation | None:
    if a.ruleset.hash == b.ruleset.hash or not split:
        return None
    return reevaluate(a, b, host() if callable(host) else host)
