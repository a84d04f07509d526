"""The built-in writers: exact CSV bytes, formula escaping, JSON layouts, the table view."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientwise.compiler.plan import OutputColumn, SectionSummary
from clientwise.expr import EvalContext, FunctionRegistry
from clientwise.host.contracts import RULE_STATUS, Writer
from clientwise.output.escape import escape_formula, escape_formula_expr, escape_formulas
from clientwise.plugins.io import json_records, writers
from clientwise.plugins.io.csv_dialects import csv_dialect
from clientwise.plugins.io.table import TableWriter, format_cell
from clientwise.plugins.io.values import records
from clientwise.plugins.io.writers import CsvWriter, JsonLinesWriter, JsonWriter, ParquetWriter, csv_frame, csv_table
from clientwise.runtime.explain import TracedDerived, TracedRule, Tracer
from clientwise.runtime.result import Result, RulesetIdentity

EVIL_LINK = '=HYPERLINK("http://evil.example","click")'

COLUMNS = [
    OutputColumn("tier", "Tier", "text"),
    OutputColumn("segment_rank", "Rank", "integer"),
    OutputColumn("profit", "Profit", "money"),
    OutputColumn("checklist_pct", "Checklist", "percent"),
    OutputColumn("health_score", "Health", "number"),
    OutputColumn("support_abuse", "Support abuse", "boolean"),
    OutputColumn("missing_roles", "Missing roles", "list"),
    OutputColumn("last_review", "Last review", "date"),
]


def customers_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": ["C001", "C002", "C003", "C004"],
            "name": ["Acme Ltd", EVIL_LINK, "+1", "-2"],
            "tier": ["strategic", "core", "transactional", None],
            "segment_rank": [1, 2, 3, None],
            "profit": [1234.5, -2.0, float("nan"), float("inf")],
            "checklist_pct": [0.35, 1.0, None, 0.5],
            "health_score": [72.25, None, 40.0, -0.0],
            "support_abuse": [False, True, None, False],
            "missing_roles": [["coach"], [], ["budget", "=gatekeeper"], None],
            "last_review": [dt.date(2026, 1, 15), None, dt.date(2025, 12, 31), None],
            "actions": [["assign_sponsor", "map_roles"], ["review_costs"], [], []],
        },
        schema_overrides={"segment_rank": pl.Int64, "missing_roles": pl.List(pl.String)},
    )


def actions_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": ["C001", "C001", "C002"],
            "name": ["Acme Ltd", "Acme Ltd", EVIL_LINK],
            "rule": ["assign_sponsor", "map_roles", "review_costs"],
            "action": ["Assign an executive sponsor", "Map the buying centre", "Review the cost to serve"],
            "priority": [1, 2, 1],
            "because": [
                "No executive sponsor is assigned to this strategic customer",
                "@SUM(1) roles are unknown",
                "Profit is -2",
            ],
        }
    )


def tracer(customers: pl.DataFrame) -> Tracer:
    frame = customers.select("customer_id", "name", "tier").with_columns(
        revenue=pl.Series([500.0, 300.0, 200.0, 0.0]),
        revenue_share=pl.Series([0.5, 0.3, 0.2, 0.0]),
        executive_sponsor=pl.Series([None, "Kim", "Lee", None], dtype=pl.String),
        **{
            "tier/strategic": pl.Series(["fired", "not_met", "not_met", "unknown"], dtype=RULE_STATUS),
            "assign_sponsor": pl.Series(["fired", "not_met", "not_met", "unknown"], dtype=RULE_STATUS),
        },
    )
    return Tracer(
        frame=frame,
        key="customer_id",
        name="name",
        derived=[TracedDerived("revenue_share", "share(revenue)", ("revenue",), "derive.revenue_share")],
        rules=[
            TracedRule("tier", "strategic", "tier/strategic", "revenue_share >= 0.4", ("revenue_share",),
                       "segmentation.tiers[0]", outcome_column="tier"),
            TracedRule("actions", "assign_sponsor", "assign_sponsor", "executive_sponsor is null",
                       ("executive_sponsor",), "rules[0]"),
        ],
        actions=actions_frame().select("customer_id", "rule", "because"),
        context=EvalContext(as_of=dt.date(2026, 6, 30), functions=FunctionRegistry([]), key="customer_id"),
    )


def make_result(*, explained: bool = True, customers: pl.DataFrame | None = None) -> Result:
    customers = customers if customers is not None else customers_frame()
    return Result(
        ruleset=RulesetIdentity("acme-q2", "1.2.0", "0123456789abcdef0123456789abcdef", ("acme.toml", "default.toml")),
        as_of=dt.date(2026, 6, 30),
        engine="polars",
        key="customer_id",
        name="name",
        customers=customers,
        actions=actions_frame(),
        columns=list(COLUMNS),
        summaries=[
            SectionSummary(
                "segmentation",
                "Segmentation",
                figures={"customers": 4, "strategic_share": 0.25, "as_of": dt.date(2026, 6, 30), "spread": float("nan")},
                tables={"tiers": pl.DataFrame({"tier": ["strategic", "core"], "customers": [1, 1], "share": [0.25, float("inf")]})},
                warnings=["2 customers have no revenue"],
            ),
            SectionSummary("profitability", "Profitability", figures={"total_profit": 1232.5}),
        ],
        warnings=["2 customers have no revenue", "tier_override expired for C004"],
        tracer=tracer(customers) if explained else None,
    )


def written(writer: Writer, result: Result) -> bytes:
    stream = io.BytesIO()
    writer.write(result, stream)
    return stream.getvalue()


# --------------------------------------------------------------------------- plugin


def test_the_plugin_offers_five_formats_that_implement_the_writer_protocol():
    offered = writers.clientwise_writers()
    assert [w.format for w in offered] == ["table", "csv", "json", "jsonl", "parquet"]
    assert [w.suffix for w in offered] == [".txt", ".csv", ".json", ".jsonl", ".parquet"]
    assert all(isinstance(w, Writer) and w.description for w in offered)


# --------------------------------------------------------------------------- escaping


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Acme = best", "Acme = best"),
        ("", ""),
        ("'quoted", "'quoted"),
    ],
)
def test_escape_formula_prefixes_only_cells_a_spreadsheet_would_run(text, expected):
    assert escape_formula(text) == expected
    assert escape_formulas(pl.DataFrame({"t": [text]}))["t"].to_list() == [expected]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="=+-@\t\r\n 'aé", max_size=4)), max_size=12))
def test_the_columnar_escape_is_the_escape_of_each_value(texts):
    """In a column or inside lists, each cell as :func:`escape_formula` escapes it alone."""
    expected = [None if text is None else escape_formula(text) for text in texts]
    assert escape_formulas(pl.DataFrame({"t": texts}, schema={"t": pl.String}))["t"].to_list() == expected
    lists = pl.DataFrame({"l": [texts]}, schema={"l": pl.List(pl.String)})
    assert lists.select(pl.col("l").list.eval(escape_formula_expr(pl.element())))["l"].to_list() == [expected]


def test_escape_formulas_leaves_numbers_nulls_and_unchosen_columns_alone():
    frame = pl.DataFrame({"a": ["-2", None], "b": ["=x", "y"], "n": [-2, 3]})
    assert escape_formulas(frame).to_dict(as_series=False) == {"a": ["'-2", None], "b": ["'=x", "y"], "n": [-2, 3]}
    assert escape_formulas(frame, ["b"])["a"].to_list() == ["-2", None]


# --------------------------------------------------------------------------- CSV


EXPECTED_CSV = (
    "customer_id,name,tier,segment_rank,profit,checklist_pct,health_score,support_abuse,missing_roles,last_review,actions\n"
    "C001,Acme Ltd,strategic,1,1234.5,0.35,72.25,false,coach,2026-01-15,assign_sponsor; map_roles\n"
    'C002,"\'=HYPERLINK(""http://evil.example"",""click"")",core,2,-2.0,1.0,,true,"",,review_costs\n'
    "C003,'+1,transactional,3,,,40.0,,budget; =gatekeeper,2025-12-31,\"\"\n"
    "C004,'-2,,,,0.5,0.0,false,,,\"\"\n"
)


def test_csv_bytes_are_exact():
    assert written(CsvWriter(), make_result()).decode("utf-8") == EXPECTED_CSV


def test_csv_escapes_text_formulas_but_keeps_negative_numbers_numbers():
    rows = written(CsvWriter(), make_result()).decode("utf-8").splitlines()
    assert "'=HYPERLINK" in rows[2]  # a link an attacker typed into the CRM stays text
    assert rows[3].startswith("C003,'+1,")
    assert rows[4].startswith("C004,'-2,")
    assert ",-2.0," in rows[2]  # C002's negative profit is a number: not escaped
    back = pl.read_csv(io.BytesIO(written(CsvWriter(), make_result())))
    assert back["profit"].to_list()[:2] == [1234.5, -2.0]
    assert back["name"].to_list() == ["Acme Ltd", "'" + EVIL_LINK, "'+1", "'-2"]


def test_csv_escapes_text_from_enum_columns_and_action_text_lists():
    customers = customers_frame().with_columns(
        pl.Series("tier", ["=a", "core", "transactional", None], dtype=pl.Enum(["=a", "core", "transactional"])),
        pl.Series("actions", [["@x"], [], [], []], dtype=pl.List(pl.String)),
    )
    back = pl.read_csv(io.BytesIO(written(CsvWriter(), make_result(customers=customers))))
    assert back["tier"].to_list()[:2] == ["'=a", "core"]
    assert back["actions"].to_list()[0] == "'@x"


def test_csv_is_utf8_without_bom_and_writes_nan_and_infinity_as_empty():
    data = written(CsvWriter(), make_result(customers=customers_frame().with_columns(name=pl.lit("Zoë Øster"))))
    assert not data.startswith(b"\xef\xbb\xbf")
    assert "Zoë Øster".encode() in data
    assert b"nan" not in data.lower() and b"inf" not in data.lower()


def test_csv_written_in_batches_has_the_bytes_of_the_whole_table():
    whole = csv_frame(make_result())
    parts = io.BytesIO()
    customers = make_result().customers
    for start in range(customers.height):  # what the DuckDB backend does, one row per batch here
        csv_table(customers.slice(start, 1)).write_csv(parts, include_header=start == 0, date_format="%Y-%m-%d",
                                                        quote_style="necessary")
    assert parts.getvalue() == written(CsvWriter(), make_result()) and whole.height == customers.height


@pytest.mark.parametrize("dialect", ["plain", "excel-de"])
@pytest.mark.parametrize("rows", [0, 1, 4])
def test_the_csv_writer_writes_batch_after_batch_the_bytes_of_the_whole_table(monkeypatch, dialect, rows):
    """The writer formats one batch at a time (memory: one batch's text); the header and
    the BOM come once, and a table without customers is its header."""
    full = make_result()
    result = dataclasses.replace(full, customers=full.customers.head(rows))
    chosen = csv_dialect(dialect)
    whole = io.BytesIO()
    csv_frame(result).write_csv(whole, include_bom=chosen.bom, separator=chosen.separator,
                                decimal_comma=chosen.decimal_comma, line_terminator=chosen.line_terminator,
                                date_format="%Y-%m-%d", datetime_format=chosen.datetime_format,
                                quote_style="necessary")
    for batch in (1, 3, writers.CSV_BATCH):
        monkeypatch.setattr(writers, "CSV_BATCH", batch)
        assert written(CsvWriter(chosen), result) == whole.getvalue()
    assert whole.getvalue().count(b"customer_id") == 1


def test_parquet_keeps_types_and_values_exactly_without_escaping():
    customers = customers_frame().with_columns(pl.Series("profit", [1.5, -0.0, float("nan"), None]))
    back = pl.read_parquet(io.BytesIO(written(ParquetWriter(), make_result(customers=customers))))
    assert back.schema == customers.schema
    assert back["name"].to_list() == customers["name"].to_list()  # no formula escaping: a typed file for programs
    assert back["profit"].to_list() == [1.5, 0.0, None, None]  # as every writer cleans floats


# --------------------------------------------------------------------------- JSON


def test_json_document_layout():
    document = json.loads(written(JsonWriter(), make_result()))
    assert list(document) == ["schema", "ruleset", "as_of", "engine", "customer_count", "warnings", "data_findings",
                              "provenance", "plugin_errors", "portfolio", "customers"]
    assert (document["data_findings"], document["provenance"], document["plugin_errors"]) == ([], {}, [])
    assert document["schema"] == "clientwise.runtime.result/1"
    assert document["ruleset"] == {
        "name": "acme-q2", "version": "1.2.0", "hash": "0123456789abcdef0123456789abcdef",
        "files": ["acme.toml", "default.toml"],
    }
    assert (document["as_of"], document["engine"], document["customer_count"]) == ("2026-06-30", "polars", 4)
    assert document["warnings"] == ["2 customers have no revenue", "tier_override expired for C004"]
    assert document["portfolio"] == {
        "segmentation": {
            "title": "Segmentation",
            "figures": {"customers": 4, "strategic_share": 0.25, "as_of": "2026-06-30", "spread": None},
            "tables": {"tiers": [{"tier": "strategic", "customers": 1, "share": 0.25},
                                 {"tier": "core", "customers": 1, "share": None}]},
            "warnings": ["2 customers have no revenue"],
        },
        "profitability": {"title": "Profitability", "figures": {"total_profit": 1232.5}, "tables": {}, "warnings": []},
    }


def test_json_has_one_line_per_header_key_section_and_customer():
    lines = written(JsonWriter(), make_result(explained=False)).decode("utf-8").split("\n")
    assert lines[:2] == ["{", '  "schema":"clientwise.runtime.result/1",']
    assert lines[7:12] == ['  "data_findings":[],', '  "provenance":{},', '  "plugin_errors":[],', '  "portfolio":{', '    "segmentation":{"title":"Segmentation","figures":{"customers":4,'
                          '"strategic_share":0.25,"as_of":"2026-06-30","spread":null},"tables":{"tiers":[{"tier":'
                          '"strategic","customers":1,"share":0.25},{"tier":"core","customers":1,"share":null}]},'
                          '"warnings":["2 customers have no revenue"]},']
    assert lines[13:15] == ["  },", '  "customers":[']
    assert [line[:18] for line in lines[15:19]] == ['    {"key":"C001",', '    {"key":"C002",',
                                                    '    {"key":"C003",', '    {"key":"C004",']
    assert lines[19:] == ["  ]", "}", ""]


def test_json_customers_carry_outputs_actions_and_explanations():
    customers = json.loads(written(JsonWriter(traces=True), make_result()))["customers"]
    assert [c["key"] for c in customers] == ["C001", "C002", "C003", "C004"]
    first = customers[0]
    assert list(first) == [
        "key", "name", "tier", "segment_rank", "profit", "checklist_pct", "health_score",
        "support_abuse", "missing_roles", "last_review", "actions", "explanation",
    ]
    assert first["last_review"] == "2026-01-15" and first["missing_roles"] == ["coach"]
    assert first["actions"] == [
        {"id": "assign_sponsor", "action": "Assign an executive sponsor", "priority": 1,
         "because": "No executive sponsor is assigned to this strategic customer"},
        {"id": "map_roles", "action": "Map the buying centre", "priority": 2, "because": "@SUM(1) roles are unknown"},
    ]
    assert first["explanation"]["derived"] == [
        {"field": "revenue_share", "expression": "share(revenue)", "value": 0.5, "inputs": {"revenue": 500.0}}
    ]
    sponsor = first["explanation"]["rules"][1]
    assert sponsor["rule"] == "assign_sponsor" and sponsor["status"] == "fired"
    assert sponsor["because"] == "No executive sponsor is assigned to this strategic customer"
    assert customers[1]["name"] == EVIL_LINK  # JSON needs no formula escaping
    assert customers[2]["profit"] is None and customers[3]["profit"] is None  # NaN, inf
    assert customers[3]["health_score"] == 0.0 and customers[3]["missing_roles"] is None
    assert customers[3]["explanation"]["rules"][0]["status"] == "unknown"
    assert customers[2]["actions"] == []


def test_json_explanation_is_null_when_the_result_has_none():
    customers = json.loads(written(JsonWriter(), make_result(explained=False)))["customers"]
    assert [c["explanation"] for c in customers] == [None] * 4


def test_json_carries_explanations_only_when_asked():
    """Explanations are most of a JSON file's size and time: written only with
    ``traces=True`` (``--explain-all``), for JSON and JSON Lines alike."""
    plain_json = json.loads(written(JsonWriter(), make_result()))["customers"]
    assert [c["explanation"] for c in plain_json] == [None] * 4
    lines = written(JsonLinesWriter(), make_result()).decode("utf-8").split("\n")[1:5]
    assert [json.loads(line)["explanation"] for line in lines] == [None] * 4
    traced = written(JsonLinesWriter(traces=True), make_result()).decode("utf-8").split("\n")[1:5]
    assert [json.loads(line)["explanation"]["derived"][0]["value"] for line in traced] == [0.5, 0.3, 0.2, 0.0]
    assert JsonWriter().configure(traces="true").traces and "traces" not in CsvWriter.options


@pytest.mark.parametrize("traces", [False, True])
def test_polars_encoded_customers_equal_the_python_objects(traces, monkeypatch):
    """The fast path (polars' NDJSON encoder, in chunks) writes exactly the bytes of
    the objects built in Python, across chunk boundaries and for tricky text."""
    tricky = 'quote " backslash \\ newline \n nul \x00 line-sep \u2028 \x85 emoji 🚀'
    customers = customers_frame().with_columns(name=pl.Series(["Acme", tricky, None, "-2"]))
    result = make_result(customers=customers)
    result.actions = result.actions.with_columns(because=pl.Series(["a\u2029b", None, "c"]))
    expected = [json_records.dumps(item) for item in json_records.python_records(result, traces=traces)]
    assert "\\u2029" in expected[0] and "\\u2028" in expected[1]
    monkeypatch.setattr(json_records, "CHUNK", 3)
    blocks = list(json_records.customer_blocks(result, traces=traces))
    assert [block.count(b"\n") for block in blocks] == [3, 1]
    assert b"".join(blocks).decode("utf-8").split("\n")[:-1] == expected
    monkeypatch.setattr(json_records, "CHUNK", 1)
    monkeypatch.setattr(json_records, "ENCODERS", 1)  # chunks handed on while later ones are encoded
    one_by_one = list(json_records.customer_blocks(result, traces=traces))
    assert len(one_by_one) == 4 and b"".join(one_by_one) == b"".join(blocks)
    jsonl = b"".join(json_records.customer_blocks(result, traces=traces, record="customer"))
    assert jsonl.decode("utf-8").split("\n")[:-1] == [
        json_records.dumps({"record": "customer", **json.loads(line)}) for line in expected]
    laid_out = [bytes(block) for block in json_records.customer_blocks(result, traces=traces, indent=b"  ")]
    assert b",\n  ".join(laid_out).decode("utf-8") == ",\n  ".join(expected)


def test_portfolio_tables_encoded_by_polars_equal_the_python_records():
    table = pl.DataFrame({"tier": ["a\u2028", None], "share": [0.25, float("nan")], "day": [dt.date(2026, 1, 2), None],
                          "n": [1, None]})
    summary = SectionSummary("s", "S", figures={"x": 1.5}, tables={"t": table, "empty": table.clear()},
                             warnings=["w"], error="boom")
    expected = {"title": "S", "figures": {"x": 1.5}, "tables": {"t": records(table), "empty": []},
                "warnings": ["w"], "error": "boom"}
    assert writers.portfolio_json(summary) == json_records.dumps(expected).encode("utf-8")
    assert writers.portfolio_json(summary, record="portfolio", section="s") == json_records.dumps(
        {"record": "portfolio", "section": "s", **expected}).encode("utf-8")


@pytest.mark.parametrize("rows", [7, 8])  # the last chunk part-full and full
def test_a_long_portfolio_table_is_encoded_in_chunks_to_the_same_bytes(monkeypatch, rows):
    table = pl.DataFrame({"customer": [f"C{i}" for i in range(rows)], "share": [i / 7 for i in range(rows)]})
    whole = json_records.table_json(table)
    monkeypatch.setattr(json_records, "CHUNK", 2)
    parts = list(json_records.table_json_parts(table))
    assert len(parts) == 2 + (rows + 1) // 2  # "[", one part per chunk, "]": streamed, never joined
    assert b"".join(parts) == whole == json_records.dumps(records(table)).encode("utf-8")


def test_the_writers_stream_a_portfolio_in_parts_to_the_bytes_of_one_entry(monkeypatch):
    monkeypatch.setattr(json_records, "CHUNK", 2)
    table = pl.DataFrame({"customer": [f"C{i}" for i in range(5)], "share": [i / 5 for i in range(5)]})
    summary = SectionSummary("s", "S", figures={}, tables={"pareto": table, "tiers": table.head(1)}, warnings=[])
    result = dataclasses.replace(make_result(), summaries=[summary])
    expected = {"title": "S", "figures": {}, "tables": {"pareto": records(table), "tiers": records(table.head(1))},
                "warnings": []}
    assert json.loads(written(JsonWriter(), result))["portfolio"] == {"s": expected}
    last = written(JsonLinesWriter(), result).splitlines()[-1]
    assert last == json_records.dumps({"record": "portfolio", "section": "s", **expected}).encode("utf-8")


def test_columns_polars_would_write_differently_take_the_python_path():
    moment = dt.datetime(2026, 1, 2, 3, 4, 5)
    result = make_result(customers=customers_frame().with_columns(reviewed_at=pl.lit(moment)))
    customers = json.loads(written(JsonWriter(), result))["customers"]
    assert [c["reviewed_at"] for c in customers] == ["2026-01-02T03:04:05"] * 4


def test_json_explanations_are_matched_by_key_even_out_of_order():
    result = make_result()
    assert result.tracer is not None
    result.tracer.frame = result.tracer.frame.reverse()
    customers = json.loads(written(JsonWriter(traces=True), result))["customers"]
    assert [c["explanation"]["derived"][0]["value"] for c in customers] == [0.5, 0.3, 0.2, 0.0]


def test_json_text_is_valid_json_for_any_customer_text():
    tricky = 'quote " backslash \\ newline \n tab \t nul \x00 line-sep \u2028 emoji 🚀'
    result = make_result(customers=customers_frame().with_columns(name=pl.lit(tricky)), explained=False)
    document = json.loads(written(JsonWriter(), result))
    assert [c["name"] for c in document["customers"]] == [tricky] * 4
    lines = written(JsonLinesWriter(), result).split(b"\n")[:-1]
    assert len(lines) == 1 + 4 + 2
    assert [json.loads(line).get("name") for line in lines[1:5]] == [tricky] * 4


def test_jsonl_has_a_header_then_customers_then_portfolio_lines():
    data = written(JsonLinesWriter(), make_result())
    assert data.endswith(b"\n") and b"\n\n" not in data
    lines = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert [line["record"] for line in lines] == ["header"] + ["customer"] * 4 + ["portfolio"] * 2
    document = json.loads(written(JsonWriter(), make_result()))
    header = lines[0]
    assert header == {"record": "header", **{k: document[k] for k in list(document)[:9]}}
    assert [{k: v for k, v in line.items() if k != "record"} for line in lines[1:5]] == document["customers"]
    assert lines[5] == {"record": "portfolio", "section": "segmentation", **document["portfolio"]["segmentation"]}
    assert lines[6]["section"] == "profitability"


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("writer", [TableWriter(), CsvWriter(), JsonWriter(), JsonLinesWriter()], ids=lambda w: w.format)
def test_the_same_result_gives_byte_identical_output(writer):
    first = written(writer, make_result())
    assert written(writer, make_result()) == first
    assert written(writer, make_result()) == written(writer, make_result())
    assert first


# --------------------------------------------------------------------------- table


class _Terminal(io.BytesIO):
    def isatty(self) -> bool:
        return True


def test_table_view_shows_header_customers_actions_and_sections_without_ansi():
    text = written(TableWriter(), make_result()).decode("utf-8")
    assert "\x1b" not in text
    assert "acme-q2 1.2.0 (hash 0123456789ab)" in text
    assert "2026-06-30" in text and "polars" in text
    for label in ("Tier", "Rank", "Profit", "Checklist", "Health", "Support abuse", "Missing roles", "Last review"):
        assert label in text
    # 11 columns do not fit in 120 characters: the table continues, repeating key and name
    acme, acme_continued = [line.split() for line in text.splitlines() if line.startswith("C001 ")][:2]
    assert acme == ["C001", "Acme", "Ltd", "strategic", "1", "1,234", "35%", "72.25", "no"]
    assert acme_continued == ["C001", "Acme", "Ltd", "coach", "2026-01-15", "2"]
    assert "Customers (continued)" in text
    assert "Priority 1: 2 actions" in text and "Priority 2: 1 action" in text
    assert "No executive sponsor is assigned to this" in text  # (wrapped at 120 characters)
    assert "Strategic share" in text and "0.25" in text
    assert "! 2 customers have no revenue" in text and "! tier_override expired for C004" in text
    assert text.count("2 customers have no revenue") == 1  # a section's warning is not repeated
    assert all(line == line.rstrip() for line in text.splitlines())
    assert max(len(line) for line in text.splitlines()) <= 120


def test_table_view_shows_the_first_rows_in_key_order_and_says_how_many_more():
    text = written(TableWriter(max_rows=2), make_result()).decode("utf-8")
    assert "Customers (first 2 of 4, in key order)" in text
    assert "... 2 more customers; use --format csv (or json) to see all" in text
    assert not any(line.startswith("C003") for line in text.splitlines())


def test_table_view_shortens_action_lists_and_portfolio_tables():
    text = written(TableWriter(max_table_rows=1), make_result()).decode("utf-8")
    assert "... 1 more priority 1 action; see --format json" in text
    assert "... 1 more row; see --format json" in text  # the tiers table has two
    assert "Review the cost to serve              1" in text  # the overview by action is complete


def test_table_view_leaves_detail_columns_to_the_machine_formats():
    result = make_result()
    result.columns = [replace_detail(c) if c.name in ("missing_roles", "last_review") else c for c in result.columns]
    text = written(TableWriter(), result).decode("utf-8")
    assert "Missing roles" not in text and "Last review" not in text
    assert "... 2 detail columns not shown (missing_roles, last_review); see --format csv or json" in text
    assert b"missing_roles" in written(CsvWriter(), result).splitlines()[0]


@dataclasses.dataclass(frozen=True)
class _Column:
    name: str
    label: str
    kind: str
    detail: bool = False


def replace_detail(column: OutputColumn) -> OutputColumn:
    """The column marked ``detail``, as a section marks per-item columns (one per question)."""
    return _Column(column.name, column.label, column.kind, detail=True)  # type: ignore[return-value]


def test_table_view_never_passes_markup_or_control_codes_from_the_data():
    customers = customers_frame().with_columns(name=pl.Series(["[bold]Acme[/bold]", "Evil\x1b[31mRed", "a\nb", ":smile:"]))
    text = written(TableWriter(), make_result(customers=customers)).decode("utf-8")
    assert "[bold]Acme[/bold]" in text and ":smile:" in text
    assert "\x1b" not in text and "Evil\ufffd[31mRed" in text


def test_table_view_uses_colour_on_a_terminal_unless_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    coloured = _Terminal()
    TableWriter().write(make_result(), coloured)
    assert "\x1b[33m! 2 customers have no revenue" in coloured.getvalue().decode()  # warnings in yellow
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Terminal()
    TableWriter().write(make_result(), plain)
    assert "! 2 customers have no revenue" in plain.getvalue().decode()
    assert "\x1b[33m" not in plain.getvalue().decode() and "\x1b[38" not in plain.getvalue().decode()


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (1234.5, "money", "1,234"),
        (-1234.5, "money", "-1,234"),
        (0.355, "percent", "36%"),
        (12, "integer", "12"),
        (12345, "integer", "12,345"),
        (72.25, "number", "72.25"),
        (3, "number", "3"),
        (True, "boolean", "yes"),
        (None, "money", "—"),
        (float("nan"), "number", "—"),
        (["a", "b"], "list", "a, b"),
        (dt.date(2026, 1, 2), "date", "2026-01-02"),
    ],
)
def test_format_cell(value, kind, shown):
    assert format_cell(value, kind) == shown
