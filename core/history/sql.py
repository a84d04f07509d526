"""SQL text shared by the run store's modules (a leaf: it imports nothing of clientwise)."""

from __future__ import annotations

#: Customer keys and names are stored uncompressed: they are unique per customer, so
#: DuckDB's string compression gains little on them (2.5x) and takes about a quarter of
#: the time a million-customer save takes (bench/README.md).
PLAIN = "USING COMPRESSION uncompressed"


def quote(name: str) -> str:
    """A DuckDB identifier, quoted: column names come from rulesets and plugins."""
    return '"' + name.replace('"', '""') + '"'
