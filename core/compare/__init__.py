"""Comparing two results customer by customer: the computations ``clientwise diff``
(two rulesets over the same data) and ``clientwise compare`` (two stored runs) share.

Everything is columnar (joins and list operations in polars), so comparing two
portfolios of a million customers takes a second or two, not a Python loop per row.
"""

from clientwise.compare.migration import (
    NONE,
    action_changes,
    changed,
    figures_side_by_side,
    matrix,
    paired,
    tier_order,
)

__all__ = ["NONE", "action_changes", "changed", "figures_side_by_side", "matrix", "paired", "tier_order"]
