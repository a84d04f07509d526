"""Rule statuses from what durable-rules matched, built where the matching ran.

The worker (:mod:`clientwise.plugins.engines.durable.worker`) records one code per customer
and rule: TRUE matched, FALSE matched, neither. Turning those codes into statuses
(``fired`` / ``not_met`` / ``unknown``, and ``skipped`` after the first rule of a
classification that fired) is done per batch in the worker process too, so the work
is shared by the workers and the parent only concatenates their frames: done once in
the parent it was serial work that a second worker could not speed up.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from clientwise.host.contracts import RULE_STATUS

#: Status codes the worker records: 0 neither matched, 1 TRUE, 2 FALSE, 3 both (a bug).
TRUE, FALSE = 1, 2
#: The statuses, in the order of :data:`RULE_STATUS`'s categories; gathered by index.
_STATUSES = pl.Series("status", RULE_STATUS.categories, RULE_STATUS)
FIRED, NOT_MET, UNKNOWN, SKIPPED = (RULE_STATUS.categories.to_list().index(name)
                                    for name in ("fired", "not_met", "unknown", "skipped"))
#: code -> status index, for rules posted with their FALSE rule and for those without
#: (``compile_plan``: such a rule reads no null, so no match means ``not_met``)
_THREE_VALUED = bytes([UNKNOWN, FIRED, NOT_MET, 0]).ljust(256, b"\0")
_TWO_VALUED = bytes([NOT_MET, FIRED, NOT_MET, 0]).ljust(256, b"\0")


class LoweringError(Exception):
    """A rule matched both its TRUE and its FALSE condition: the lowering is wrong."""


@dataclass(frozen=True)
class Layout:
    """What turning codes into statuses needs to know about the rules of a plan."""

    rule_ids: tuple[str, ...]
    #: indexes of the rules posted without a FALSE rule
    two_valued: frozenset[int]
    #: the rule indexes of each first-match classification, in order
    first_runs: tuple[tuple[int, ...], ...]


def statuses(codes: bytes, layout: Layout) -> pl.DataFrame:
    """One status column per rule, one row per customer of the batch.

    Eager and column by column (a strided slice of the codes, translated to status
    indexes): a polars query of a few dozen expressions took 20-30 ms to plan, which
    is more than the whole conversion for a batch.
    """
    width = len(layout.rule_ids)
    height = len(codes) // width if width else 0
    both = codes.find(bytes([TRUE | FALSE]))
    if both >= 0:
        raise LoweringError(f"rule {layout.rule_ids[both % width]} matched both TRUE and FALSE for row "
                            f"{both // width + 1} of the batch: a bug in the durable engine's lowering; "
                            "use --engine polars")
    indexes = [
        pl.Series(codes[index::width].translate(_TWO_VALUED if index in layout.two_valued else _THREE_VALUED),
                  dtype=pl.UInt8)
        for index in range(width)
    ]
    if layout.first_runs:
        skipped = pl.Series([SKIPPED], dtype=pl.UInt8).extend_constant(SKIPPED, height - 1) if height \
            else pl.Series(dtype=pl.UInt8)
        for run in layout.first_runs:
            earlier = indexes[run[0]] == FIRED
            for index in run[1:]:
                fired = indexes[index] == FIRED
                indexes[index] = skipped.zip_with(earlier, indexes[index])
                earlier = earlier | fired
    return pl.DataFrame([_STATUSES.gather(column).alias(rule_id) for rule_id, column in zip(layout.rule_ids, indexes)])
