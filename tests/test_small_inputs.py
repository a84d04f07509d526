"""Small inputs are derived and decided in plain Python (clientwise.runtime.rows): the
results must be those of the polars queries, to the last bit, status by status."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_conformance import AS_OF, CHAINED, customers, rulesets

import clientwise
from clientwise import Evaluator, parse_ruleset
from clientwise.errors import DataError
from clientwise.expr.numbers import NumberOverflow
from clientwise.host.contracts import Decided, RawTable
from clientwise.plugins.backends.polars import PolarsBackend
from clientwise.plugins.engines.polars import PolarsEngine
from clientwise.ruleset.data import DataConfig, FieldSpec, TableSpec
from clientwise.runtime import rows as row_module
from clientwise.runtime import validate as validate_module
from clientwise.runtime import validate_small
from clientwise.runtime.assemble import action_lists
from clientwise.runtime.findings import Finding
from clientwise.runtime.outputs import ROW
from clientwise.runtime.result import Result
from clientwise.runtime.rows import SMALL_ROWS, RowWise
from clientwise.runtime.validate import validate_tables
from clientwise.runtime.validate_small import SMALL_TABLE
from clientwise.sample import generate


def on_polars(ruleset: clientwise.Ruleset) -> Evaluator:
    """An evaluator that sends every input, however small, to polars queries."""
    evaluator = Evaluator(ruleset)
    evaluator.backend = PolarsBackend(RowWise(limit=0))
    evaluator.engine = PolarsEngine(small_rows=0)
    return evaluator


def assert_same(row_wise: Result, polars: Result) -> None:
    assert_frame_equal(row_wise.customers, polars.customers, check_exact=True)
    assert_frame_equal(row_wise.actions, polars.actions, check_exact=True)
    statuses = sorted({rule.status_column for rule in polars.tracer.rules})
    assert statuses
    assert_frame_equal(row_wise.tracer.frame.select(statuses), polars.tracer.frame.select(statuses), check_exact=True)


@pytest.fixture
def row_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows each call of the row-wise deriver computed (proves the path ran)."""
    calls: list[int] = []
    original = row_module.derive_rows

    def counting(frame: pl.DataFrame, *args: Any, **kwargs: Any) -> pl.DataFrame:
        calls.append(frame.height)
        return original(frame, *args, **kwargs)

    monkeypatch.setattr(row_module, "derive_rows", counting)
    return calls


def portions(tables: dict[str, pl.DataFrame], size: int) -> list[dict[str, pl.DataFrame]]:
    """The portfolio cut into portfolios of ``size`` customers, each with its related rows."""
    keys = tables["customers"].get_column("customer_id")
    parts = []
    for start in range(0, keys.len(), size):
        chosen = keys.slice(start, size).implode()
        parts.append({name: frame.filter(pl.col("customer_id").is_in(chosen)) for name, frame in tables.items()})
    return parts


@pytest.mark.parametrize("source", ["default", "chained"])
def test_small_portfolios_get_the_polars_results(source: str, row_calls: list[int]) -> None:
    ruleset = clientwise.load_ruleset("default") if source == "default" else parse_ruleset(CHAINED,
                                                                                           origin="chained.toml")
    small, polars = Evaluator(ruleset), on_polars(ruleset)
    for portion in portions(generate(240, seed=19), SMALL_ROWS):
        assert_same(small.evaluate(portion, as_of=AS_OF), polars.evaluate(portion, as_of=AS_OF))
    assert row_calls and max(row_calls) == SMALL_ROWS  # the row-wise path ran, on whole portions


def test_a_larger_portfolio_stays_on_polars(row_calls: list[int]) -> None:
    Evaluator("default").evaluate(generate(SMALL_ROWS + 1, seed=2), as_of=AS_OF)
    assert row_calls == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=rulesets(), seed=st.integers(0, 1000), edges_share=st.sampled_from([0.0, 0.05, 0.3]))
def test_generated_rulesets_agree_with_polars_at_the_edges(text: str, seed: int, edges_share: float) -> None:
    # random tiers and rules over nulls, ties, signed zeros, the largest floats and
    # integers near 2**63; an overflow must stop both paths with a located error
    ruleset = parse_ruleset(text, origin="generated.toml")
    data = {"customers": customers(40, seed, edges_share)}
    try:
        expected = on_polars(ruleset).evaluate(data, as_of=AS_OF)
    except NumberOverflow as overflow:
        with pytest.raises(NumberOverflow) as small_overflow:
            Evaluator(ruleset).evaluate(data, as_of=AS_OF)
        # a located error on both paths; where several rules overflow, which one is
        # reported first is not part of the contract (nor between engines)
        for error in (overflow, small_overflow.value):
            assert error.exit_code == 2 and error.problems[0].file == "generated.toml"
            assert error.problems[0].location is not None and error.expression in error.render()
        return
    assert_same(Evaluator(ruleset).evaluate(data, as_of=AS_OF), expected)


# --- validation: small tables read in plain Python (clientwise.runtime.validate_small) ---

#: per kind of field, cells the Python path reads and, second, cells only polars reads
#: (decorated, padded, other formats, other case rules) or that are wrong
CELLS = {
    "string": (["strategic", "core", "", "n/a", "N/A", "-", None], ["Acme", " core", "core\u00a0", "Ünïcode", "tab\t"]),
    "number": (["12.5", "-0", "0", "007", "11", "", "-", None],
               ["1e3", "1,5", " 3", "€ 4", "8 %", "inf", "nan", "12.", ".5", "abc", "-3", "101"]),
    "integer": (["12", "-0", "007", "99"], ["12.0", "2.5", "9223372036854775808", "(5)", "", "x", "-1", None]),
    "boolean": (["yes", "No", "TRUE", "false", "1", "0", "", None], ["j", "İ", " yes", "ja"]),
    "date": (["2024-01-31", "1999-12-31", "", None],
             ["2024-02-30", "0000-01-01", "31/01/2024", "2024-01-31T10:00", "45322", "2024-1-5"]),
}
FIELDS = {
    "customer_id": FieldSpec(type="string", required=True, nullable=False),
    "tier": FieldSpec(type="string", allowed=["strategic", "core"]),
    "revenue": FieldSpec(type="money", min=0, max=100),
    "score": FieldSpec(type="number"),
    "count": FieldSpec(type="integer", min=0, nullable=False),
    "active": FieldSpec(type="boolean"),
    "since": FieldSpec(type="date"),
}


def validated(raw: dict[str, RawTable], data: DataConfig, small: bool) -> tuple[Any, list[Finding]]:
    findings: list[Finding] = []
    try:
        return validate_tables(raw, data, findings, small=small), findings
    except DataError as error:
        return [problem.render() for problem in error.problems], findings


@settings(max_examples=150, deadline=None)
@given(data=st.data(), height=st.integers(0, 6), formats=st.sampled_from([["%Y-%m-%d"], ["%d/%m/%Y"], ["excel", "%Y-%m-%d"]]))
def test_small_tables_are_read_as_polars_reads_them(data: st.DataObject, height: int,
                                                    formats: list[str]) -> None:
    messy = data.draw(st.sampled_from([None, *FIELDS]))  # one field may hold any cells

    def cells(name: str, kind: str) -> list[str | None]:
        good, other = CELLS["number" if kind == "money" else kind]
        return data.draw(st.lists(st.sampled_from(good + other if name == messy else good), min_size=height,
                                  max_size=height))

    columns = {name: [f"C{n}" for n in range(height)] if name == "customer_id" else cells(name, spec.type)
               for name, spec in FIELDS.items()}
    typed = data.draw(st.booleans())  # typed columns, as a Parquet file or a DataFrame gives them
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))
    if typed:
        frame = frame.with_columns(pl.col("score").cast(pl.Float64, strict=False),
                                   pl.col("count").cast(pl.Float64, strict=False).cast(pl.Int64, strict=False))
    config = DataConfig(customers=TableSpec(fields=FIELDS), date_formats=formats)
    raw = {"customers": RawTable("customers", frame, "customers.csv", pl.Series("row", range(2, height + 2)))}
    (python, python_findings), (polars, polars_findings) = validated(raw, config, True), validated(raw, config, False)
    if isinstance(polars, list):
        assert python == polars
    else:
        assert_frame_equal(python["customers"], polars["customers"], check_exact=True)
    assert python_findings == polars_findings


def test_clean_small_tables_skip_the_polars_query(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample portfolio's tables, typed or as CSV text, are read in Python, to the
    polars reading's values."""
    read: list[str] = []
    original = validate_small.read_small

    def counting(table: RawTable, *args: Any) -> pl.DataFrame | None:
        frame = original(table, *args)
        read.extend([table.name] if frame is not None else [])
        return frame

    monkeypatch.setattr(validate_module, "read_small", counting)
    config = clientwise.load_ruleset("default").core.data
    tables = generate(12, seed=3)
    for text in (False, True):
        raw = {name: RawTable(name, frame.cast(pl.String) if text else frame, f"{name}.csv",
                              pl.Series("row", range(2, frame.height + 2)))
               for name, frame in tables.items() if frame.height <= SMALL_TABLE}
        read.clear()
        python, polars = validate_tables(raw, config), validate_tables(raw, config, small=False)
        assert read == list(raw)  # every table went the Python way
        for name in raw:
            assert_frame_equal(python[name], polars[name], check_exact=True)


@settings(max_examples=60, deadline=None)
@given(height=st.integers(0, 8), fired=st.lists(st.tuples(st.integers(0, 7), st.sampled_from(["a", "b", "c"])),
                                                 max_size=20))
def test_action_lists_of_a_few_customers_are_those_of_the_group_by(height: int, fired: list[tuple[int, str]]) -> None:
    rows = sorted((row, rule) for row, rule in fired if row < height)
    actions = pl.DataFrame({ROW: [r for r, _ in rows], "rule": [rule for _, rule in rows]},
                           schema={ROW: pl.UInt32, "rule": pl.String})
    decided = Decided(pl.DataFrame({"customer_id": [f"C{n}" for n in range(height)]}), actions)
    assert action_lists(decided).to_list() == action_lists(decided, small=0).to_list()
    assert action_lists(decided).dtype == action_lists(decided, small=0).dtype == pl.List(pl.String)
