"""The run store's tables, and the migrations that create and evolve them.

Every change to the store's layout is a new :class:`Migration` appended to
:data:`MIGRATIONS` (never an edit of an old one), so a store written by any earlier
clientwise is brought up to date step by step, inside one transaction, the first time
a newer clientwise opens it for writing. ``schema_version`` records each applied step;
a store whose version is above :data:`CURRENT_VERSION` was written by a newer
clientwise and is refused rather than misread. docs/history.md documents the tables.

Besides the fixed tables below, the store holds one wide table per shape of result:
``customer_rows`` (one column per output column any saved run had; ``customers`` is a
view of it with the key text, see :mod:`clientwise.history.keys`) and one
``portfolio_<section>_<table>`` per portfolio table; :mod:`clientwise.history.tables`
adds their columns as runs bring new ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clientwise.history.keys import ACTION_ROWS, CUSTOMER_ROWS, KEY_ID, KEYS, renumber
from clientwise.history.sql import PLAIN


@dataclass(frozen=True)
class Migration:
    """One step of the store's layout: applied once, in order, in a transaction."""

    version: int
    description: str
    statements: tuple[str, ...]
    #: Run after the statements, with the DuckDB connection: for a step that depends on what
    #: the store holds (the wide tables' columns, the runs' key fields).
    upgrade: Callable[[Any], None] | None = None


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "runs, inputs, customers, actions, portfolio summaries, warnings", (
        """CREATE TABLE schema_version (
            version INTEGER NOT NULL PRIMARY KEY,
            description VARCHAR NOT NULL,
            applied_at TIMESTAMP NOT NULL,
            clientwise VARCHAR NOT NULL
        )""",
        "CREATE SEQUENCE run_ids START 1",
        """CREATE TABLE runs (
            run_id BIGINT NOT NULL PRIMARY KEY,
            label VARCHAR,
            ran_at TIMESTAMP NOT NULL,
            as_of DATE NOT NULL,
            ruleset_name VARCHAR NOT NULL,
            ruleset_version VARCHAR NOT NULL,
            ruleset_hash VARCHAR NOT NULL,
            ruleset_files VARCHAR[] NOT NULL,
            ruleset_text VARCHAR NOT NULL,
            engine VARCHAR NOT NULL,
            clientwise_version VARCHAR NOT NULL,
            provenance JSON NOT NULL,
            key_field VARCHAR NOT NULL,
            name_field VARCHAR,
            input_path VARCHAR,
            customer_count BIGINT NOT NULL,
            action_count BIGINT NOT NULL,
            columns JSON NOT NULL
        )""",
        """CREATE TABLE inputs (
            run_id BIGINT NOT NULL,
            position INTEGER NOT NULL,
            path VARCHAR NOT NULL,
            size BIGINT NOT NULL,
            sha256 VARCHAR NOT NULL
        )""",
        f"CREATE TABLE customers (run_id BIGINT NOT NULL, key VARCHAR NOT NULL {PLAIN}, name VARCHAR {PLAIN})",
        """CREATE TABLE action_rules (
            run_id BIGINT NOT NULL,
            position INTEGER NOT NULL,
            rule VARCHAR NOT NULL,
            section VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            priority BIGINT NOT NULL,
            condition VARCHAR NOT NULL
        )""",
        f"CREATE TABLE actions (run_id BIGINT NOT NULL, key VARCHAR NOT NULL {PLAIN}, rule VARCHAR NOT NULL, "
        "because VARCHAR)",
        """CREATE TABLE summaries (
            run_id BIGINT NOT NULL,
            position INTEGER NOT NULL,
            section VARCHAR NOT NULL,
            title VARCHAR NOT NULL,
            figures JSON NOT NULL,
            warnings VARCHAR[] NOT NULL,
            error VARCHAR
        )""",
        """CREATE TABLE summary_tables (
            run_id BIGINT NOT NULL,
            section VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            position INTEGER NOT NULL,
            stored_in VARCHAR NOT NULL,
            columns JSON NOT NULL
        )""",
        "CREATE TABLE warnings (run_id BIGINT NOT NULL, position INTEGER NOT NULL, message VARCHAR NOT NULL)",
        """CREATE VIEW recommended_actions AS
            SELECT a.run_id, a.key, r.rule, r.action, r.priority, a.because
            FROM actions a JOIN action_rules r ON a.run_id = r.run_id AND a.rule = r.rule""",
    )),
    Migration(2, "data-quality findings per run", (
        """CREATE TABLE findings (
            run_id BIGINT NOT NULL,
            position INTEGER NOT NULL,
            kind VARCHAR NOT NULL,
            severity VARCHAR NOT NULL,
            table_name VARCHAR NOT NULL,
            field VARCHAR,
            file VARCHAR,
            message VARCHAR NOT NULL,
            count BIGINT NOT NULL,
            examples VARCHAR[] NOT NULL
        )""",
    )),
    Migration(3, "customer keys numbered once per store; customers and actions as views", (
        f"CREATE TABLE {KEYS} ({KEY_ID} BIGINT NOT NULL, key VARCHAR NOT NULL {PLAIN})",
    ), upgrade=renumber),
)

#: The layout this clientwise writes and reads.
CURRENT_VERSION = MIGRATIONS[-1].version

#: Tables every run has rows in (besides the wide customers and portfolio tables).
RUN_TABLES = ("runs", "inputs", CUSTOMER_ROWS, "action_rules", ACTION_ROWS, "summaries", "summary_tables",
              "warnings", "findings")


def pending(version: int, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[Migration]:
    """The migrations a store at ``version`` (0: empty) still needs, in order."""
    return [m for m in migrations if m.version > version]
