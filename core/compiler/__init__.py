"""Ruleset -> Program: section plans, dependency order, type checks, runnable steps."""
