"""Runs one batch of customers through durable-rules, in whatever process calls it.

The durable engine calls :func:`run_batch` in a worker process, so a crash of the C
extension costs a batch, not the user's run. Rulesets are created and facts asserted
through the C extension directly, as JSON text written by
:mod:`clientwise.plugins.engines.durable.wire` (durable-rules' own Python layer writes
numbers its parser cannot read); the global host of ``durable.lang`` is never touched.

Customers are asserted as *facts* in one session and retracted afterwards: events
are consumed by the first rule that matches, facts reach every rule. One session for
the whole batch keeps clear of durable's limit of 1024 live sessions.

Every fact carries its own ``id`` (its position in the chunk). Without one,
durable-rules names a fact by a 64-bit hash of its content but indexes the live
facts of a session by a 32-bit hash of that name, and a clash rejects the second
fact with ``MessageObservedException``: about one chunk of 2,000 facts in 2,000
(150,000 facts asserted at once fail every time). The decimal ids ``0`` to
``CHUNK - 1`` have distinct 32-bit hashes (:func:`distinct_ids` checks it; the first
clash is at 797,186).
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import durable_rules_engine as engine
import polars as pl

from clientwise.plugins.engines.durable import statuses as durable_statuses
from clientwise.plugins.engines.durable import wire
from clientwise.plugins.engines.durable.chain import Chain
from clientwise.plugins.engines.durable.statuses import FALSE, TRUE, Layout

#: Action name of the catch-all rule: durable raises MessageNotHandledException for a
#: batch in which any message matches no rule, so every message must match one.
SEEN = "seen"
#: Facts asserted (and then retracted) at once; keeps the session's memory flat.
CHUNK = 2000
#: Property every fact carries: its position in the chunk (see the module docstring).
ID_FIELD = "id"


@dataclass(frozen=True)
class Group:
    """One durable ruleset: the rules whose fields fit in one message (< 255 properties)."""

    name: str
    definition: dict[str, Any]
    fields: tuple[str, ...]
    #: chaining level: posted after the lower levels decided the values it reads
    level: int = 0


@dataclass(frozen=True)
class Task:
    """A batch: the rulesets, the number of clientwise rules and the customers' values."""

    groups: tuple[Group, ...]
    rule_count: int
    frame: bytes  # the posted columns of the batch, Arrow IPC; nulls are left out when posting
    #: classifications whose decided values later levels read (clientwise.plugins.engines.durable.chain)
    chains: tuple[Chain, ...] = ()


def action_name(index: int, truth: int) -> str:
    return f"{'t' if truth == TRUE else 'f'}{index}"


class Runner:
    """Keeps the rulesets of each set of groups, so repeated batches (or single
    customers, see ``Evaluator.evaluate_one``) do not recreate rulesets in the C
    extension, which never frees them.

    One batch runs at a time: the rulesets hold one session, and a service calling
    ``evaluate_one`` from several threads would otherwise assert two customers'
    facts into it at once (same ids, crossed matches).
    """

    def __init__(self) -> None:
        self._handles: dict[tuple[str, ...], dict[str, int]] = {}
        self._lock = threading.Lock()

    def handles(self, groups: tuple[Group, ...]) -> dict[str, int]:
        """Group name -> durable ruleset handle, created on first use."""
        names = tuple(group.name for group in groups)
        if names not in self._handles:
            self._handles[names] = {group.name: engine.create_ruleset(group.name, definition_text(group.definition))
                                    for group in groups}
        return self._handles[names]

    def run(self, task: Task, rows: list[dict[str, str]] | None = None, row_field: str = "__row") -> bytes:
        """Status codes, ``rule_count`` per customer in batch order."""
        rows = _rows(task.frame) if rows is None else rows
        with self._lock:
            try:
                return self._run(task, rows, row_field)
            except BaseException:
                # facts of the failed chunk may still be asserted: the next batch gets fresh rulesets
                self._handles.pop(tuple(group.name for group in task.groups), None)
                raise

    def _run(self, task: Task, rows: list[dict[str, str]], row_field: str) -> bytes:
        codes = bytearray(len(rows) * task.rule_count)
        handles = self.handles(task.groups)
        levels = sorted({group.level for group in task.groups})
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            for level in levels:
                for group in task.groups:
                    if group.level != level:
                        continue
                    handle = handles[group.name]
                    facts = wire.facts(chunk, group.fields, start, row_field, ID_FIELD)
                    _drain(handle, _state(engine.assert_facts(handle, facts)), codes, task.rule_count, row_field)
                    _drain(handle, _state(engine.retract_facts(handle, facts)), codes, task.rule_count, row_field)
                for chain in task.chains:
                    if chain.level == level:
                        _decided(chain, chunk, start, codes, task.rule_count)
        return bytes(codes)


def definition_text(definition: dict[str, Any]) -> str:
    """A ruleset definition as durable-rules' JSON. Its rules name no action (``run``):
    :func:`_drain` records every match itself, by the rule's name."""
    return wire.value(definition)


def _state(result: tuple[int, int]) -> int:
    """The state handle of an assert or retract (what durable's ``Ruleset._handle_result`` checks)."""
    code, state = result
    if code == 1:  # the catch-all rule matches every fact, so this is a bug
        raise RuntimeError("durable-rules matched no rule for a fact (the catch-all rule should)")
    if code == 2:
        raise RuntimeError("durable-rules saw a fact twice in one session (facts carry distinct ids)")
    return 0 if code == 3 else state


def _decided(chain: Chain, chunk: list[dict[str, Any]], start: int, codes: bytearray, width: int) -> None:
    """Forward chaining: put each customer's decided value (the candidate of the first
    rule that matched TRUE, else the default's) into its record, so the facts that
    the next level asserts carry it and later rules match on it."""
    last = len(chain.rules)
    for offset, row in enumerate(chunk):
        base = (start + offset) * width
        chosen = last
        for k, rule in enumerate(chain.rules):
            if codes[base + rule] & TRUE:
                chosen = k
                break
        for name, options in chain.columns:
            _put(row, name, row.get(options[chosen]))
        for name, values in chain.constants:
            _put(row, name, None if values[chosen] is None else wire.value(values[chosen]))


def _put(row: dict[str, str], name: str, value: str | None) -> None:
    if value is None:
        row.pop(name, None)  # a null is not posted, like any null field
    else:
        row[name] = value


def _rows(frame: bytes) -> list[dict[str, str]]:
    """Each customer's posted values as JSON text (:func:`wire.column`), nulls left out."""
    table = pl.read_ipc(io.BytesIO(frame))
    columns = [(name, wire.column(table.get_column(name))) for name in table.columns]
    return [{name: texts[i] for name, texts in columns if texts[i] is not None} for i in range(table.height)]


def distinct_ids(count: int = CHUNK) -> bool:
    """Whether the ids ``0`` .. ``count - 1`` have distinct 32-bit FNV-1 hashes, the
    hash durable-rules indexes live facts by (``fnv1Hash32`` in its ``state.c``)."""
    hashes = set()
    for number in range(count):
        value = 0x811C9DC5
        for byte in str(number).encode():
            value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
        hashes.add(value)
    return len(hashes) == count


def ready() -> bool:
    """A no-op a new worker runs first: importing this module is its start-up."""
    return True


class _ProcessRunner:
    """The one :class:`Runner` of a worker process.

    A worker process belongs to one engine's pool, so its rulesets can be kept for
    every batch it runs: durable-rules never frees a ruleset, and creating them per
    batch cost both time and memory. Held in a module attribute because a worker
    process has no other place to keep it between tasks.
    """

    runner: Runner | None = None

    @classmethod
    def get(cls) -> Runner:
        if cls.runner is None:
            cls.runner = Runner()
        return cls.runner


def run_batch(task: Task) -> bytes:
    """Run one batch in a worker process, on the process's kept rulesets."""
    return _ProcessRunner.get().run(task)


def decide_batch(task: Task, layout: Layout, run: Callable[[Task], bytes] | None = None) -> pl.DataFrame:
    """The batch's rule statuses: matched by ``run`` (default :func:`run_batch`), then
    turned into statuses here, so the workers share that work too."""
    return durable_statuses.statuses((run or run_batch)(task), layout)


def _drain(handle: int, state: int, codes: bytearray, width: int, row_field: str) -> None:
    """Run every pending action of ``state``: record the matched rule for the fact's row.

    This is what :meth:`durable.engine.Ruleset.do_actions` does, without its per-action
    closure, state round trip and lease timers, which cost about two thirds of the time
    and which rules that only record a match do not need. Actions carry no state, so
    there is nothing to write back between them.
    """
    started = engine.start_action_for_state(handle, state)
    if not started:
        return
    message = started[1]
    find_row = re.compile(f'"{re.escape(row_field)}": ?(\\d+)').search
    lead = f'":{{"m":{{"{row_field}":'  # what follows the action name when the row comes first
    while True:
        # {"t12":{"m":{"__row":7,...}}}: parsing the whole fact as JSON cost half the
        # time. The action name is the message's first key; durable-rules keeps the
        # fact's keys in posted order, so the row number follows at a known place. In
        # any other shape an unescaped `"__row":` can still only be our key (quotes
        # inside text values are escaped), and failing that the message is parsed.
        end = message.index('"', 2)
        action = message[2:end]
        if action != SEEN:
            if message.startswith(lead, end):
                at = end + len(lead)
                row = int(message[at:message.index(",", at)])
            elif (found := find_row(message)) is not None:
                row = int(found.group(1))
            else:
                row = json.loads(message)[action]["m"][row_field]
            codes[row * width + int(action[1:])] |= TRUE if action[0] == "t" else FALSE
        following = engine.complete_and_start_action(handle, state)
        if not following:
            return
        message = following
