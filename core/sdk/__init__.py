"""The one import path for plugin authors (filled in by the redesign)."""
