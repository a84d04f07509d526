"""The durable engine takes every number the language has, in data and in rules.

durable-rules' JSON parser reads an exponent only after a fraction and types a
number by its text; Python's json wrote ``1e-05``, ``1e+16`` and ``Infinity``, which
crashed the worker (SIGSEGV in-process) or failed ruleset creation with error 202
(issue 14, class 3). Every value and constant now goes through one writer
(:mod:`clientwise.plugins.engines.durable.wire`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientwise import Evaluator, parse_ruleset
from clientwise.expr.numbers import INT64_MAX, INT64_MIN
from clientwise.plugins.engines.durable import wire
from clientwise.plugins.engines.durable.engine import DurableEngine
from clientwise.sdk import number_text

AS_OF = "2026-06-30"
RULESET = """
schema = 1
[metadata]
name = "numbers"
[data.customers.fields]
customer_id = { type = "string", required = true }
revenue = { type = "number" }
units = { type = "integer" }
[[rules]]
id = "above_one"
when = "revenue > 1"
action = "a"
priority = 1
because = "b"
[[rules]]
id = "tiny"
when = "revenue < 0.0001 and revenue > 0"
action = "a"
priority = 1
because = "b"
[[rules]]
id = "huge"
when = "revenue >= 1e300 or revenue <= -1e16"
action = "a"
priority = 1
because = "b"
[[rules]]
id = "many"
when = "units > 9007199254740992"
action = "a"
priority = 1
because = "b"
"""
REVENUES = ["1e-5", "1e16", "1e308", "5e-324", "-0.0", "1.7976931348623157e308", "-1e16", "0.1", "2.5e-300", ""]
UNITS = ["9007199254740993", "9223372036854775807", "-9223372036854775808", "1", "0", "", "2", "3", "4", "5"]


def run(tmp_path: Path, engine: str, workers: str, ruleset: str = RULESET) -> tuple[int, str, bytes]:
    (tmp_path / "r.toml").write_text(ruleset)
    lines = ["customer_id,revenue,units", *(f"C{i},{r},{u}" for i, (r, u) in enumerate(zip(REVENUES, UNITS)))]
    (tmp_path / "customers.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / f"{engine}{workers}.csv"
    environment = {**os.environ, "CLIENTWISE_DURABLE_WORKERS": workers}
    done = subprocess.run([str(Path(sys.executable).parent / "clientwise"), "evaluate", str(tmp_path / "r.toml"),
                           str(tmp_path / "customers.csv"), "--engine", engine, "-o", str(out)],
                          capture_output=True, text=True, env=environment)
    return done.returncode, done.stderr, out.read_bytes() if out.exists() else b""


@pytest.mark.parametrize("workers", ["0", "1"])
def test_numbers_in_exponent_form_are_decided_as_on_polars(tmp_path: Path, workers: str) -> None:
    code, error, durable = run(tmp_path, "durable", workers)
    assert code == 0, error
    assert durable == run(tmp_path, "polars", workers)[2]
    actions = dict(line.split(",", 1) for line in durable.decode().splitlines()[1:])
    assert actions == {"C0": "tiny; many", "C1": "above_one; many", "C2": "above_one; huge", "C3": "tiny",
                       "C4": '""', "C5": "above_one; huge", "C6": "huge", "C7": '""', "C8": "tiny", "C9": '""'}


@pytest.mark.parametrize("engine", ["polars", "durable"])
def test_a_constant_beyond_the_largest_number_is_a_check_error_with_a_caret(tmp_path: Path, engine: str) -> None:
    code, error, out = run(tmp_path, engine, "0", RULESET.replace("revenue > 1\"", "revenue < 1e999\""))
    assert code == 2 and out == b""
    assert "r.toml: rules[0].when: number is too large" in error
    assert "  revenue < 1e999\n            ^^^^^\n" in error


def test_values_are_written_without_exponents_floats_with_a_fraction() -> None:
    assert [wire.value(v) for v in (1e-05, 1e16, 2.0, -0.0, 5, True, None if False else "a\"b\u00e9")] == [
        "0.00001", "10000000000000000.0", "2.0", "-0.0", "5", "true", '"a\\"b\u00e9"']
    assert wire.value(1e308).endswith("0.0") and "e" not in wire.value(1e308)
    assert wire.value({"$gt": {"x": 1e-7}}) == '{"$gt":{"x":0.0000001}}'
    assert wire.column(pl.Series([1e-5, None, 3.0])) == ["0.00001", None, "3.0"]
    assert wire.column(pl.Series([INT64_MIN, INT64_MAX])) == [str(INT64_MIN), str(INT64_MAX)]
    with pytest.raises(ValueError):
        wire.value(float("inf"))
    text = wire.facts([{"a": "0.00001"}, {}], ("a", "b"), 10, "__row", "id")
    assert text == '[{"__row":10,"id":0,"a":0.00001},{"__row":11,"id":1}]'
    assert json.loads(text)[0]["a"] == 1e-5


FINITE = st.floats(allow_nan=False, allow_infinity=False)
WHOLE = st.integers(INT64_MIN, INT64_MAX)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.one_of(st.none(), FINITE), min_size=1, max_size=8),
       units=st.lists(st.one_of(st.none(), WHOLE), min_size=8, max_size=8),
       threshold=FINITE, whole=WHOLE)
def test_any_finite_value_and_constant_compare_as_on_polars(values: list, units: list, threshold: float,
                                                            whole: int) -> None:
    rules = "".join(
        f'[[rules]]\nid = "r{i}"\nwhen = "{when}"\naction = "a"\npriority = 1\nbecause = "b"\n'
        for i, when in enumerate([f"revenue > {number_text(threshold, keep_float=True)}",
                                  f"revenue == {number_text(threshold, keep_float=True)}",
                                  f"units <= {whole}", f"units != {whole}", "revenue >= units"]))
    ruleset = parse_ruleset(RULESET.split("[[rules]]")[0] + rules, origin="any.toml")
    customers = pl.DataFrame({"customer_id": [f"C{i}" for i in range(len(values))], "revenue": values,
                              "units": units[:len(values)]}, schema={"customer_id": pl.String, "revenue": pl.Float64,
                                                                     "units": pl.Int64})
    polars_result = Evaluator(ruleset).evaluate({"customers": customers}, as_of=AS_OF)
    evaluator = Evaluator(ruleset, engine="durable")
    evaluator.engine = DurableEngine(workers=0)
    durable_result = evaluator.evaluate({"customers": customers}, as_of=AS_OF)
    columns = sorted({rule.status_column for rule in polars_result.tracer.rules})
    assert durable_result.tracer.frame.select(columns).equals(polars_result.tracer.frame.select(columns))
