"""When two runs used different rulesets: how much of the change is the criteria?

Between two quarterly runs both the data and the ruleset may have changed. To tell
the effects apart, the older run's input is evaluated again with the newer run's
ruleset (the merged TOML the store keeps) at the older as-of date. Then
``older -> re-evaluated`` is what the new criteria changed and ``re-evaluated ->
newer`` is what the data changed. That needs the older input exactly as it was (its
recorded files unchanged on disk) and the newer ruleset's plugins installed;
otherwise :func:`reevaluate` says why the split is not possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clientwise.errors import InputError
from clientwise.history.fingerprint import changed, read_files
from clientwise.history.runs import RunInfo
from clientwise.host.factory import build_host
from clientwise.host.manager import PluginHost
from clientwise.runtime.evaluator import Evaluator, parse_ruleset
from clientwise.runtime.result import Result


@dataclass(frozen=True)
class Reevaluation:
    """The older input under the newer criteria, or why there is none."""

    result: Result | None
    reason: str | None = None


def reevaluate(older: RunInfo, newer: RunInfo, host: PluginHost | None = None) -> Reevaluation:
    """Evaluate ``older``'s input with ``newer``'s ruleset, if both are still available."""
    if newer.ruleset_text is None:
        return Reevaluation(None, f"{newer.source} does not hold its ruleset (a results file)")
    if older.input_path is None or not older.inputs:
        return Reevaluation(None, f"{older.source} does not record its input files"
                                  + (" (a results file)" if older.run_id is None else ""))
    reasons = changed(older.inputs)
    if reasons:
        return Reevaluation(None, f"{older.source}'s input is no longer available: " + "; ".join(reasons))
    host = host or build_host()
    try:
        ruleset = parse_ruleset(newer.ruleset_text, origin=f"ruleset of {newer.source}", host=host)
        recorded = {item.path for item in older.inputs}
        extra = [str(p) for p in read_files(Path(older.input_path), ruleset, host) if str(p) not in recorded]
        if extra:
            return Reevaluation(None, f"the newer ruleset reads files {older.source} did not record: {', '.join(extra)}")
        engine = newer.engine if newer.engine in host.engines() else "polars"
        with Evaluator(ruleset, engine=engine, host=host) as evaluator:
            return Reevaluation(evaluator.evaluate(Path(older.input_path), as_of=older.as_of))
    except InputError as error:
        return Reevaluation(None, f"{older.source}'s input does not evaluate under the newer ruleset: "
                                  + error.render(limit=1).splitlines()[0])
