"""Rulesets: TOML in, a validated, merged, hashed :class:`Ruleset` out."""

from clientwise.ruleset.data import DataConfig, FieldSpec, Strict, TableSpec
from clientwise.ruleset.loader import RawRuleset, content_hash, read_raw, shipped_rulesets
from clientwise.ruleset.model import (
    CORE_KEYS,
    ActionRuleSpec,
    CoreSections,
    DerivedSpec,
    Metadata,
)
from clientwise.ruleset.validate import Ruleset, validate

__all__ = [
    "CORE_KEYS",
    "ActionRuleSpec",
    "CoreSections",
    "DataConfig",
    "DerivedSpec",
    "FieldSpec",
    "Metadata",
    "RawRuleset",
    "Ruleset",
    "Strict",
    "TableSpec",
    "content_hash",
    "read_raw",
    "shipped_rulesets",
    "validate",
]
