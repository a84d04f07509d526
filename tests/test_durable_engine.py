"""The durable engine around durable-rules 2.0.28's known limits, and its errors."""

from __future__ import annotations

import json
import os
import sys

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import clientwise
from clientwise import Evaluator, parse_ruleset
from clientwise.host.contracts import DecideContext
from clientwise.plugins.engines.durable import worker as durable_worker
from clientwise.plugins.engines.durable.engine import (
    MAX_PROPERTIES,
    SMALLEST_BATCH,
    DurableEngine,
    DurableEngineError,
    batches,
    compile_plan,
)

AS_OF = "2026-06-30"
HEAD = """
schema = 1
[metadata]
name = "limits"
[data.customers.fields]
customer_id = { type = "string", required = true }
"""


def ruleset_with(fields: list[str], rules: list[tuple[str, str]]) -> clientwise.Ruleset:
    lines = [HEAD, *[f'{f} = {{ type = "number" }}' for f in fields]]
    for rule_id, when in rules:
        lines += ["[[rules]]", f'id = "{rule_id}"', f'when = "{when}"', 'action = "act"', "priority = 1",
                  'because = "why"']
    return parse_ruleset("\n".join(lines), origin="limits.toml")


def evaluate(ruleset: clientwise.Ruleset, customers: pl.DataFrame, engine: DurableEngine) -> clientwise.Result:
    evaluator = Evaluator(ruleset, engine="durable")
    evaluator.engine = engine
    return evaluator.evaluate({"customers": customers}, as_of=AS_OF)


def decisions_and_context(ruleset: clientwise.Ruleset) -> tuple[list, DecideContext]:
    """What the core hands the engine for ``ruleset``: its decisions and a decide context."""
    evaluator = Evaluator(ruleset, engine="durable")
    decisions = [s.decision for s in evaluator.program.steps() if hasattr(s, "decision")]
    return decisions, DecideContext(pl.date(2026, 6, 30), "customer_id", evaluator.host.functions(), "limits")


def statuses(result: clientwise.Result) -> dict[str, list[str]]:
    frame = result.tracer.frame
    return {r.rule: frame[r.status_column].cast(pl.String).to_list() for r in result.tracer.rules}


def test_more_customers_than_durable_sessions_share_one_session() -> None:
    # durable-rules raises MemoryError beyond 1024 live sessions: customers are facts of one session
    customers = pl.DataFrame({"customer_id": [f"C{i:05d}" for i in range(2500)], "x": [float(i % 7) for i in range(2500)]})
    result = evaluate(ruleset_with(["x"], [("big", "x > 3")]), customers, DurableEngine(workers=0, batch_size=2500))
    assert result.actions.height == sum(1 for i in range(2500) if i % 7 > 3) == 1071


def test_rules_reading_300_fields_are_packed_into_rulesets_of_62() -> None:
    fields = [f"f{i}" for i in range(300)]
    rules = [(f"r{i}", f"f{i} > 0 and f{i + 1} <= 1") for i in range(0, 299, 2)]
    ruleset = ruleset_with(fields, rules)
    customers = pl.DataFrame({"customer_id": ["A", "B"], **{f: [1.0, None] for f in fields}})
    result = evaluate(ruleset, customers, DurableEngine(workers=0))
    assert statuses(result)["r0"] == ["fired", "unknown"]
    assert result.actions.height == 150
    decisions, context = decisions_and_context(ruleset)
    plan = compile_plan(decisions, context)
    assert len(plan.groups) == 5 and all(len(g.fields) <= MAX_PROPERTIES for g in plan.groups)


def test_a_rule_reading_more_fields_than_a_durable_ruleset_can_is_precomputed_and_check_says_so() -> None:
    fields = [f"f{i}" for i in range(70)]
    ruleset = ruleset_with(fields, [("wide", " or ".join(f"f{i} > 5" for i in range(70)))])
    customers = pl.DataFrame({"customer_id": ["A", "B"], **{f: [1.0, 9.0 if f == "f69" else None] for f in fields}})
    polars = Evaluator(ruleset).evaluate({"customers": customers}, as_of=AS_OF)
    durable = evaluate(ruleset, customers, DurableEngine(workers=0))
    assert statuses(durable)["wide"] == statuses(polars)["wide"] == ["not_met", "fired"]
    evaluator = Evaluator(ruleset, engine="durable")
    from clientwise.runtime.engine_notes import engine_notes
    notes = engine_notes(evaluator)
    assert len(notes) == 1
    assert notes[0].startswith("wide: f0 > 5 or f1 > 5") and "it reads 70 fields and one durable-rules ruleset can read at most 62" in notes[0]


def test_check_with_durable_names_each_lowered_rule_and_why(invoke, tmp_path) -> None:
    result = invoke("check", "default", "--engine", "durable")
    assert result.code == 0, result.output
    assert "engine durable" in result.output
    assert ("  assign_sponsor: executive_sponsor is null: durable-rules cannot test for null "
            "(its $nex alone never returns); precomputed on polars as __cw4") in result.output
    assert "sponsor_visit: days_since(last_sponsor_visit): durable-rules cannot call functions (days_since)" in result.output
    plain = invoke("check", "default")
    assert "precomputed" not in plain.output


def test_a_batch_can_run_twice_on_the_kept_rulesets() -> None:
    ruleset = ruleset_with(["x"], [("one", "x > 1"), ("two", "x < 5")])
    decisions, context = decisions_and_context(ruleset)
    plan = compile_plan(decisions, context)
    import io
    buffer = io.BytesIO()
    pl.DataFrame({"x": [0.0, 3.0, None]}).write_ipc(buffer)
    task = durable_worker.Task(tuple(plan.groups), 2, buffer.getvalue())
    first = durable_worker.run_batch(task)
    second = durable_worker.run_batch(task)  # the worker's rulesets are created once, then reused
    assert first == second == bytes([2, 1, 1, 1, 0, 0])
    assert "durable.lang" not in sys.modules  # the global host of durable.lang is never used


def test_facts_durable_would_name_alike_are_both_decided() -> None:
    # Without an id, durable-rules names a fact by a hash of its content and indexes live
    # facts by a 32-bit hash of that name. These two facts ({"__row": 0, "v": 34292} and
    # {"__row": 1, "v": 26024}) clash there, found by asserting 200,000 facts; without
    # their own ids the second is rejected with MessageObservedException.
    customers = pl.DataFrame({"customer_id": ["A", "B"], "v": [34292, 26024]})
    result = evaluate(ruleset_with(["v"], [("big", "v > 30000")]), customers, DurableEngine(workers=0))
    assert statuses(result) == {"big": ["fired", "not_met"]}


def test_fields_named_like_durable_properties_are_posted_under_another_name() -> None:
    # durable-rules reads `id` as the fact's id and `sid` as its session: posted as such,
    # equal ids would reject facts and one session per customer hits the 1024 limit
    customers = pl.DataFrame({"customer_id": [f"C{i}" for i in range(1500)],
                              "id": [float(i % 3) for i in range(1500)], "sid": [float(i) for i in range(1500)]})
    ruleset = ruleset_with(["id", "sid"], [("both", "id > 0 and sid >= 100")])
    result = evaluate(ruleset, customers, DurableEngine(workers=0))
    assert result.actions.height == sum(1 for i in range(100, 1500) if i % 3 > 0)


def test_arithmetic_is_computed_on_polars_and_durable_rules_only_compares() -> None:
    # durable-rules divides integers as integers (7 / 2 = 3) and wraps 64-bit integers
    # silently; the language's arithmetic is checked, so durable-rules gets its results
    text = HEAD + 'b = { type = "integer" }\na = { type = "number" }\n' + "".join(
        f'[[rules]]\nid = "{rule_id}"\nwhen = "{when}"\naction = "act"\npriority = 1\nbecause = "why"\n'
        for rule_id, when in [("int", "b <= 7 / b"), ("quarter", "a > b / 4"), ("own", "a >= a / b"),
                              ("negated", "-b < 0")])
    ruleset = parse_ruleset(text, origin="div.toml")
    customers = pl.DataFrame({"customer_id": list("ABCDEF"), "b": [-1, 0, 1, 2, 3, None],
                              "a": [1.0, 2.0, 0.5, 0.5, 3.0, 1.0]})
    durable = evaluate(ruleset, customers, DurableEngine(workers=0))
    polars_statuses = statuses(Evaluator(ruleset).evaluate({"customers": customers}, as_of=AS_OF))
    assert statuses(durable) == polars_statuses
    assert polars_statuses["int"] == ["not_met", "unknown", "fired", "fired", "not_met", "unknown"]  # 2 <= 3.5
    assert polars_statuses["quarter"][3] == "not_met"  # 0.5 > 2 / 4 is false; as integers 2 / 4 would be 0
    decisions, context = decisions_and_context(ruleset)
    plan = compile_plan(decisions, context)
    assert set(plan.lowered.notes) == {"actions/int", "actions/quarter", "actions/own", "actions/negated"} or \
        all("checked for overflow on polars" in " ".join(notes) for notes in plan.lowered.notes.values())
    definitions = json.dumps([group.definition for group in plan.groups])
    assert not any(f'"${op}"' in definitions for op in ("add", "sub", "mul", "div"))


def test_the_ids_of_a_chunk_have_distinct_hashes_in_durable() -> None:
    assert durable_worker.distinct_ids(durable_worker.CHUNK)
    assert not durable_worker.distinct_ids(797_187)  # "797186" and "40189" clash: a chunk must stay below


def test_a_failed_batch_leaves_nothing_asserted_for_the_next() -> None:
    ruleset = ruleset_with(["x"], [("big", "x > 3")])
    runner = durable_worker.Runner()
    engine = DurableEngine(workers=0, run=runner.run)
    customers = pl.DataFrame({"customer_id": ["A", "B"], "x": [1.0, 5.0]})
    assert evaluate(ruleset, customers, engine).actions["customer_id"].to_list() == ["B"]
    handles = next(iter(runner._handles.values()))
    real = durable_worker._drain

    def fail_after_asserting(*args: object) -> None:
        raise RuntimeError("the C extension failed half way")

    durable_worker._drain = fail_after_asserting  # type: ignore[assignment]
    try:
        with pytest.raises(DurableEngineError, match="the C extension failed half way"):
            evaluate(ruleset, customers, engine)
    finally:
        durable_worker._drain = real
    assert handles not in runner._handles.values()  # its chunk stayed asserted: it is not used again
    assert evaluate(ruleset, customers, engine).actions["customer_id"].to_list() == ["B"]


def test_a_customer_no_rule_matches_is_handled_not_an_exception() -> None:
    # durable raises MessageNotHandledException for such a message; a catch-all rule absorbs it
    customers = pl.DataFrame({"customer_id": ["A", "B"], "x": [None, 2.0]}, schema={"customer_id": pl.String, "x": pl.Float64})
    result = evaluate(ruleset_with(["x"], [("big", "x > 3")]), customers, DurableEngine(workers=0))
    assert statuses(result) == {"big": ["unknown", "not_met"]}


def test_every_matching_rule_fires_for_one_customer() -> None:
    # events are consumed by the first matching rule; customers are facts, so all rules see them
    rules = [("a", "x > 1"), ("b", "x > 2"), ("c", "x >= 3"), ("d", "x > 9")]
    customers = pl.DataFrame({"customer_id": ["A"], "x": [3.0]})
    result = evaluate(ruleset_with(["x"], rules), customers, DurableEngine(workers=0))
    assert result.actions["rule"].to_list() == ["a", "b", "c"]
    assert statuses(result)["d"] == ["not_met"]


def crash(task: durable_worker.Task) -> bytes:
    """A worker whose C extension dies: the process ends without a Python exception."""
    if len(durable_worker._rows(task.frame)) == 2:  # the second batch
        os.abort()
    return durable_worker.run_batch(task)


def test_a_worker_crash_is_an_error_naming_engine_ruleset_and_batch() -> None:
    customers = pl.DataFrame({"customer_id": ["A", "B", "C", "D", "E"], "x": [1.0, 2.0, 3.0, 4.0, 5.0]})
    with pytest.raises(DurableEngineError) as error:
        evaluate(ruleset_with(["x"], [("big", "x > 3")]), customers, DurableEngine(workers=1, batch_size=3, run=crash))
    message = str(error.value)
    assert message.startswith("the durable engine's worker process crashed on ruleset 'limits', "
                              "customer batch 2 of 2 (rows 4-5, customers D to E)")
    assert "rerun with --engine polars" in message


@settings(deadline=None)  # what is asserted is the batching, not its speed on a loaded machine
@given(height=st.integers(0, 60_000), workers=st.integers(0, 4), largest=st.integers(1, 12_000))
def test_batches_cover_every_row_once_and_shrink_as_rows_run_out(height: int, workers: int, largest: int) -> None:
    bounds = batches(height, workers, largest)
    starts, ends = [start for start, _ in bounds], [end for _, end in bounds]
    assert starts == ([0, *ends[:-1]] if bounds else [])  # contiguous from row 0
    assert (ends[-1] if bounds else 0) == height
    sizes = [end - start for start, end in bounds]
    assert all(0 < size <= largest for size in sizes)
    if workers > 1:  # guided: never growing, and only the last below the smallest useful batch
        assert sizes == sorted(sizes, reverse=True)
        assert all(size >= min(largest, SMALLEST_BATCH) for size in sizes[:-1])
    else:
        assert all(size == largest for size in sizes[:-1])


def test_workers_give_the_same_result_as_in_process() -> None:
    customers = pl.DataFrame({"customer_id": [f"C{i}" for i in range(10)], "x": [float(i) for i in range(10)]})
    ruleset = ruleset_with(["x"], [("big", "x > 3")])
    inline = evaluate(ruleset, customers, DurableEngine(workers=0))
    pooled = evaluate(ruleset, customers, DurableEngine(workers=2, batch_size=3))
    assert_frame_equal(inline.customers, pooled.customers)
    assert pooled.actions.height == 6


def test_closing_the_evaluator_stops_the_workers_and_a_later_run_starts_new_ones() -> None:
    import multiprocessing

    customers = pl.DataFrame({"customer_id": [f"C{i}" for i in range(10)], "x": [float(i) for i in range(10)]})
    ruleset = ruleset_with(["x"], [("big", "x > 3")])
    before = set(multiprocessing.active_children())
    with Evaluator(ruleset, engine="durable") as evaluator:
        evaluator.engine = DurableEngine(workers=2)
        assert evaluator.evaluate({"customers": customers}, as_of=AS_OF).actions.height == 6
        assert len(set(multiprocessing.active_children()) - before) == 2
    assert set(multiprocessing.active_children()) - before == set()  # stopped and waited for
    assert evaluator.evaluate({"customers": customers}, as_of=AS_OF).actions.height == 6  # still usable
    evaluator.close()
    assert set(multiprocessing.active_children()) - before == set()


def test_without_the_extra_the_engine_exits_2_with_the_install_command(invoke, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "durable", None)
    monkeypatch.setitem(sys.modules, "durable.engine", None)
    monkeypatch.setitem(sys.modules, "durable_rules_engine", None)  # the C extension the worker drives
    import clientwise.plugins.engines.durable as package
    for module in ("engine", "worker"):
        monkeypatch.delitem(sys.modules, f"clientwise.plugins.engines.durable.{module}", raising=False)
        monkeypatch.delattr(package, module, raising=False)
    result = invoke("check", "default", "--engine", "durable")
    assert result.code == 2
    assert "unknown engine 'durable'" in result.output
    assert "pip install 'clientwise[durable]'" in result.output


def test_customer_text_that_looks_like_the_row_field_does_not_confuse_matching() -> None:
    lines = [HEAD, 'note = { type = "string" }', "[[rules]]", 'id = "noted"', "when = \"note != 'x'\"",
             'action = "act"', "priority = 1", 'because = "why"']
    ruleset = parse_ruleset("\n".join(lines), origin="limits.toml")
    customers = pl.DataFrame({"customer_id": ["A", "B", "C"], "note": ['a"__row": 2, "', "x", '\\"__row":1']})
    result = evaluate(ruleset, customers, DurableEngine(workers=0))
    assert statuses(result) == {"noted": ["fired", "not_met", "fired"]}


def test_rules_without_nulls_in_the_data_are_posted_without_their_false_rule() -> None:
    ruleset = ruleset_with(["x", "y"], [("on_x", "x > 1"), ("on_y", "y > 1"), ("lit", "x > 1 or null")])
    customers = pl.DataFrame({"customer_id": ["A", "B"], "x": [0.0, 2.0], "y": [None, 2.0]})
    engine = DurableEngine(workers=0)
    result = evaluate(ruleset, customers, engine)
    assert statuses(result) == {"on_x": ["not_met", "fired"], "on_y": ["unknown", "fired"],
                                "lit": ["unknown", "fired"]}
    decisions, context = decisions_and_context(ruleset)
    plan = compile_plan(decisions, context, nullable={"y"})
    assert plan.two_valued == {0}  # x has no null; `null` literal keeps rule 2 three-valued
    assert "f0" not in plan.groups[0].definition and "f1" in plan.groups[0].definition
    assert compile_plan(decisions, context).two_valued == set()
    assert engine.inline().adaptive is False and engine.adaptive is True


def failing(task: durable_worker.Task) -> bytes:
    raise RuntimeError("Could not assert facts, error code: 303")


def test_an_error_inside_durable_names_the_batch_too() -> None:
    customers = pl.DataFrame({"customer_id": ["A", "B"], "x": [1.0, 5.0]})
    for workers in (0, 1):
        with pytest.raises(DurableEngineError) as error:
            evaluate(ruleset_with(["x"], [("big", "x > 3")]), customers, DurableEngine(workers=workers, run=failing))
        assert str(error.value).startswith(
            "the durable engine failed on ruleset 'limits', customer batch 1 of 1 (rows 1-2, customers A to B): "
            "RuntimeError: Could not assert facts, error code: 303.")


def test_the_cli_gives_byte_identical_reports_on_both_engines(invoke, tmp_path) -> None:
    outputs = {}
    for engine in ("polars", "durable"):
        path = tmp_path / f"{engine}.json"
        result = invoke("demo", "--format", "json", "-o", str(path), "--engine", engine)
        assert result.code == 0, result.output
        outputs[engine] = json.loads(path.read_text())
    assert outputs["polars"].pop("engine") == "polars" and outputs["durable"].pop("engine") == "durable"
    engines = [outputs[name]["provenance"].pop("engine") for name in ("polars", "durable")]
    assert [engine["plugin"] for engine in engines] == ["polars_engine", "durable_engine"]
    assert outputs["durable"]["customer_count"] == 300
    assert outputs["polars"] == outputs["durable"]  # customers, actions, reasons, portfolio, warnings


@pytest.mark.parametrize("when", ["s == 'Zürich'", "s != 'Zürich'", """s == 'a"b'""", "s == 'a\\\\b'",
                                  "s in ['日本', 'x']", "n > 9007199254740993", "n == -1"])
def test_unicode_quotes_backslashes_and_large_integers_match_polars(when: str) -> None:
    text = (HEAD + 's = { type = "string" }\nn = { type = "integer" }\n'
            + "[[rules]]\nid = 'r'\nwhen = '''" + when + "'''\naction = 'a'\npriority = 1\nbecause = 'b'\n")
    ruleset = parse_ruleset(text, origin="limits.toml")
    customers = pl.DataFrame({"customer_id": ["A", "B", "C", "D", "E"], "s": ["Zürich", 'a"b', "日本", None, "a\\b"],
                              "n": [9007199254740993, 9007199254740994, -1, None, 0]})
    polars = Evaluator(ruleset).evaluate({"customers": customers}, as_of=AS_OF)
    durable = evaluate(ruleset, customers, DurableEngine(workers=0))
    assert statuses(durable) == statuses(polars)
    assert statuses(durable)["r"][3] == "unknown"


def test_the_number_of_workers_comes_from_the_environment(invoke, monkeypatch) -> None:
    monkeypatch.setenv("CLIENTWISE_DURABLE_WORKERS", "0")
    assert DurableEngine().workers == 0
    monkeypatch.setenv("CLIENTWISE_DURABLE_WORKERS", "two")
    with pytest.raises(clientwise.InputError) as error:
        DurableEngine().workers
    assert "CLIENTWISE_DURABLE_WORKERS: CLIENTWISE_DURABLE_WORKERS must be a whole number" in str(error.value)
    assert "value: 'two'" in str(error.value)
    result = invoke("demo", "--engine", "durable", "--format", "csv")
    assert result.code == 2 and "must be a whole number of worker processes" in result.output
    assert invoke("demo", "--format", "csv").code == 0  # polars runs are unaffected


def test_workers_are_started_when_an_evaluation_starts_before_deciding() -> None:
    events: list[str] = []

    class Watched(DurableEngine):
        def prepare(self) -> None:
            events.append(f"prepare pool={self._pool is not None}")
            super().prepare()
            events.append(f"prepared pool={self._pool is not None}")

        def decide(self, frame, decisions, context):  # type: ignore[no-untyped-def]
            events.append("decide")
            return super().decide(frame, decisions, context)

    customers = pl.DataFrame({"customer_id": ["A"], "x": [4.0]})
    assert statuses(evaluate(ruleset_with(["x"], [("big", "x > 3")]), customers, Watched(workers=1))) == \
        {"big": ["fired"]}
    assert events == ["prepare pool=False", "prepared pool=True", "decide"]
    inline = DurableEngine(workers=0)
    inline.prepare()
    assert inline._pool is None  # no worker processes to start in-process
