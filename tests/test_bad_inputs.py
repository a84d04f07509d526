"""Issue 14, classes 1, 2, 4 and 5: every bad ruleset or data file exits 2 with a located
message (file, and the line, record, row or key path where there is one), never 1.

Each case here exited 1 ("unexpected error"), was accepted silently, or was located in
the merged document instead of the user's own file before the mechanisms in
docs/reliability.md ("Bad input") were built.
"""

from __future__ import annotations

import io
import os
import random
import shutil
from pathlib import Path

import polars as pl
import pytest

AS_OF = ("--as-of", "2026-06-30")


def located(run, *parts: str) -> None:
    """Exit 2, one 'error:' message holding every part, no traceback."""
    assert run.code == 2, run.output
    assert run.stderr.startswith("error: "), run.stderr
    assert "Traceback" not in run.output and "unexpected error" not in run.output
    for part in parts:
        assert part in run.stderr, (part, run.stderr)


def copy_data(demo_data: Path, target: Path) -> Path:
    shutil.copytree(demo_data, target)
    return target


# -- class 1: parsers failing before the project's checks -----------------------------

@pytest.mark.parametrize(("content", "parts"), [
    (b"\x00\xff\xfe binary", ("line 1", "binary file, not a TOML ruleset")),
    ('schema = 1\n[metadata]\nname = "caf\xe9"\n'.encode("latin-1"), ("line 3, column 12", "not UTF-8", "save")),
    (b'extends = "default"\nx = ' + b"[" * 5000 + b"]" * 5000 + b"\n", ("line 2, column 69", "nested more than 64")),
    (b'extends = "default"\n[[rules]]\nid = ["x"]\n', ("rules[0].id", "an id must be text, not an array")),
    (b'extends = "default"\n[[rules]]\nid = inf\n', ("rules[0].id", "not a number", "value: inf")),
    (b'extends = "default"\n[[rules]]\nid = { a = 1 }\n', ("rules[0].id", "not a table")),
    (b'extends = "' + b"a" * 5000 + b'.toml"\n', ("extends", "longer than the system allows")),
])
def test_rulesets_that_broke_the_parser_are_located(tmp_path, invoke, demo_data, content, parts) -> None:
    ruleset = tmp_path / "client.toml"
    ruleset.write_bytes(content)
    run = invoke("evaluate", str(ruleset), str(demo_data), *AS_OF)
    located(run, f"{ruleset}: ", *parts)
    assert located is not None and len(run.stderr) < 2000  # the value is cut, not 5,000 characters


def test_deep_nesting_in_a_multi_line_string_is_not_counted(write_ruleset, invoke) -> None:
    brackets = "[" * 200
    path = write_ruleset(f'extends = "default"\n[metadata]\nname = "x"\ndescription = """\n{brackets}\n"""\n')
    assert invoke("check", str(path)).code == 0


@pytest.mark.parametrize(("name", "content", "parts"), [
    ("customers.json", b"[" * 5000 + b"]" * 5000, ("nested too deeply",)),
    ("customers.json", b'[{"customer_id": "\\ud800", "name": "x", "revenue": 1}]',
     ("record 1", "field 'customer_id' holds a lone surrogate")),
    ("customers.jsonl", b'{"customer_id": "C1", "name": "\\udfff", "revenue": 1}\n',
     ("line 1", "field 'name' holds a lone surrogate")),
])
def test_data_that_broke_the_parser_is_located(tmp_path, invoke, name, content, parts) -> None:
    data = tmp_path / name
    data.write_bytes(content)
    located(invoke("evaluate", "default", str(data), *AS_OF), f"{data}: ", *parts)


@pytest.mark.parametrize("kind", ["null device", "fifo"])
def test_data_that_is_not_a_file_or_directory(tmp_path, invoke, kind) -> None:
    if kind == "fifo":
        path = tmp_path / "customers.csv"
        os.mkfifo(path)
    else:
        path = Path(os.devnull)
    located(invoke("evaluate", "default", str(path), *AS_OF), f"{path}: ", "neither a regular file nor a directory")


# -- class 2: Rust panics while reading -------------------------------------------------

def corrupt_parquets(folder: Path, count: int = 400) -> dict[str, bytes]:
    """Damaged Parquet files, one per kind of failure: refused by the page-header check,
    or reaching polars and failing there."""
    from clientwise.plugins.io.parquet_pages import Damaged, check_page_headers

    frame = pl.DataFrame({"customer_id": [f"C{i}" for i in range(300)], "name": ["x"] * 300,
                          "revenue": [float(i) for i in range(300)]})
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    data = buffer.getvalue()
    rng = random.Random(1)
    kinds: dict[str, bytes] = {}
    probe = folder / "probe.parquet"
    for _ in range(count):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        probe.write_bytes(damaged)
        try:
            check_page_headers(probe)
            pl.read_parquet(bytes(damaged))
        except Damaged:
            kinds.setdefault("page header", bytes(damaged))
        except BaseException as error:  # noqa: BLE001 - a panic is a BaseException
            kinds.setdefault(type(error).__name__, bytes(damaged))
    return kinds


def test_damaged_parquet_files_become_located_data_errors(tmp_path, invoke, capfd) -> None:
    kinds = corrupt_parquets(tmp_path)
    assert {"page header", "ComputeError"} <= set(kinds)  # both doors are tried
    capfd.readouterr()
    for kind, content in kinds.items():
        data = tmp_path / kind / "customers.parquet"
        data.parent.mkdir()
        data.write_bytes(content)
        located(invoke("evaluate", "default", str(data), *AS_OF), f"{data}: ")
    assert "panicked" not in capfd.readouterr().err  # Rust's panic text stays off the terminal


def test_a_panic_inside_a_loader_becomes_a_located_data_error(tmp_path) -> None:
    """A Rust panic in any loader (built-in or not) is a located error, not a traceback."""
    from clientwise.errors import DataError
    from clientwise.host.contracts import Loader
    from clientwise.host.read_options import ReadOptions
    from clientwise.runtime.read_guard import read_file

    class Panicking(Loader):
        name = "panicky"
        suffixes = (".pan",)

        def read(self, path, columns, *, keys, options=None):
            raise pl.exceptions.PanicException("index out of bounds: the len is 3 but the index is 7")

    path = tmp_path / "customers.pan"
    path.write_bytes(b"x")
    with pytest.raises(DataError) as caught:
        read_file(Panicking(), path, {"customers": None}, keys={}, options=ReadOptions())
    (problem,) = caught.value.problems
    assert problem.file == str(path)
    assert problem.message == "the panicky reader failed on this file: it is damaged or not a panicky file"
    assert problem.value == "index out of bounds: the len is 3 but the index is 7"


def test_a_page_header_that_would_abort_polars_becomes_a_located_data_error(tmp_path, invoke) -> None:
    """A page claiming a negative number of values makes polars allocate exabytes and
    abort the process (found by the long fuzz run); the header check refuses it first."""
    data = tmp_path / "customers.parquet"
    data.write_bytes((Path(__file__).parent / "fuzz" / "corpus" / "data-negative-page-count.parquet").read_bytes())
    run = invoke("evaluate", "default", str(data), *AS_OF)
    located(run, f"{data}: ", "column customer_id in row group 1: the number of values in a page is -30")


def test_the_page_header_check_accepts_what_writers_write(tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from clientwise.plugins.io.parquet_pages import check_page_headers

    frame = pl.DataFrame({"key": [f"C{i}" for i in range(50_000)], "amount": [i / 7 for i in range(50_000)],
                          "maybe": [None if i % 3 else i for i in range(50_000)]})
    frame.write_parquet(tmp_path / "polars.parquet", row_group_size=7_000, data_page_size=4_096, statistics=True)
    pq.write_table(pa.table({"text": ["x" * 3000] * 20, "tags": [["a", "b"]] * 20}), tmp_path / "v2.parquet",
                   data_page_version="2.0", write_statistics=True, compression="zstd")
    pq.write_table(pa.table({"n": list(range(10))}), tmp_path / "dictionary.parquet", use_dictionary=True,
                   compression="none", write_page_index=True)
    for path in sorted(tmp_path.iterdir()):
        check_page_headers(path)  # raises on any damage it sees
        assert pl.read_parquet(path).height in (50_000, 20, 10)


# -- class 4: silent acceptance -------------------------------------------------------

def test_an_id_twice_in_one_extending_file_is_an_error(write_ruleset, invoke) -> None:
    rule = '[[rules]]\nid = "z1"\nwhen = "true"\naction = "a"\nbecause = "b"\n'
    path = write_ruleset('extends = "default"\n' + rule + rule)
    located(invoke("check", str(path)), f"{path}: rules[1].id: id 'z1' is used twice in this list (first at rules[0])")


@pytest.mark.parametrize(("key", "text"), [
    ("rules[0].priority", 'priority = "5"'),
    ("rules[0].priority", "priority = 5.0"),
    ("schema", None),
    ("data.customers.fields.customer_id.required", None),
    ("segmentation.tiers[0].share", None),
])
def test_text_and_floats_are_not_coerced_where_the_model_wants_numbers_or_booleans(
        write_ruleset, invoke, key, text) -> None:
    if key == "schema":
        body = 'extends = "default"\nschema = "1"\n'
    elif key.startswith("data."):
        body = 'extends = "default"\n[data.customers.fields]\ncustomer_id = { type = "string", required = "yes" }\n'
    elif key.startswith("segmentation"):
        body = 'extends = "default"\n[[segmentation.tiers]]\nid = "strategic"\nshare = "0.1"\n'
    else:
        body = f'extends = "default"\n[[rules]]\nid = "z1"\nwhen = "true"\naction = "a"\nbecause = "b"\n{text}\n'
    run = invoke("check", str(write_ruleset(body)))
    located(run, key)


def test_an_impossible_time_of_day_is_not_a_date(tmp_path, invoke, demo_data) -> None:
    data = copy_data(demo_data, tmp_path / "data")
    frame = pl.read_csv(data / "customers.csv", infer_schema=False)
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("2026-03-31T25:00:00"))
                               .otherwise(pl.col("relationship_map_reviewed")).alias("relationship_map_reviewed"))
    frame.write_csv(data / "customers.csv")
    located(invoke("evaluate", "default", str(data), *AS_OF),
            "customers.csv: row 2, column 'relationship_map_reviewed': not a date", "2026-03-31T25:00:00")


@pytest.mark.parametrize(("field", "value", "shown"), [
    ("industry", {"a": 1}, "an object"), ("region", [1, 2], "a list"), ("customer_id", {"a": 1}, "an object")])
def test_an_object_or_list_among_json_values_is_an_error_at_its_record(tmp_path, invoke, field, value, shown) -> None:
    import json

    records = [{"customer_id": "C1", "name": "A", "revenue": 1, "industry": "x", "region": "y"},
               {"customer_id": "C2", "name": "B", "revenue": 2, "industry": "x", "region": "y"}]
    records[1][field] = value
    data = tmp_path / "customers.json"
    data.write_text(json.dumps(records))
    located(invoke("evaluate", "default", str(data), *AS_OF), f"{data}: record 2: field '{field}' holds {shown}")


def test_a_column_named_twice_is_an_error(tmp_path, invoke, demo_data) -> None:
    data = copy_data(demo_data, tmp_path / "data")
    lines = (data / "customers.csv").read_text().splitlines()
    (data / "customers.csv").write_text("\n".join([lines[0] + ",revenue"] + [line + ",5" for line in lines[1:]]))
    located(invoke("evaluate", "default", str(data), *AS_OF),
            "customers.csv: row 1: the header names column 'revenue' twice: columns F and AB")


def test_an_unbalanced_expression_is_not_rescued_by_parentheses(write_ruleset, invoke) -> None:
    path = write_ruleset('extends = "default"\n[[rules]]\nid = "p"\nwhen = "revenue > 0) or (revenue < 0"\n'
                         'action = "a"\nbecause = "b"\n')
    located(invoke("check", str(path)), f"{path}: rules[0].when (id 'p'): syntax error: unmatched ')'")


# -- class 5: locations that help --------------------------------------------------------

def test_errors_in_an_extending_ruleset_name_the_users_file_index_and_id(write_ruleset, invoke) -> None:
    path = write_ruleset('extends = "default"\n[[rules]]\nid = "mine"\nwhen = "revenue >"\naction = "a"\n'
                         'because = "b"\n')
    located(invoke("check", str(path)), f"{path}: rules[0].when (id 'mine'): syntax error")


def test_a_key_changed_by_the_extending_file_is_blamed_on_it_and_the_rest_on_the_base(write_ruleset, invoke) -> None:
    path = write_ruleset('extends = "default"\n[[segmentation.tiers]]\nid = "core"\nshare = 2\n')
    run = invoke("check", str(path))
    located(run, f"{path}: segmentation.tiers[0].share (id 'core')")


@pytest.mark.parametrize(("reference", "parts"), [
    ("/etc/passwd", ("extends must name a .toml file", "value: /etc/passwd")),
    ("https://example.com/base.toml", ("extends cannot name a URL",)),
    ("folder.toml", ("is a directory, not a TOML file",)),
    ("missing.toml", ("no such file",)),
    ("defualt", ("no shipped ruleset named 'defualt'", "did you mean 'default'?")),
])
def test_a_bad_extends_names_the_ruleset_and_the_key(tmp_path, write_ruleset, invoke, reference, parts) -> None:
    (tmp_path / "folder.toml").mkdir()
    path = write_ruleset(f'extends = "{reference}"\n')
    located(invoke("check", str(path)), f"{path}: extends: ", *parts)


def test_a_cycle_through_a_relative_path_is_a_cycle(tmp_path, invoke) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "a.toml").write_text('extends = "../x/b.toml"\n')
    (folder / "b.toml").write_text('extends = "../x/a.toml"\n')
    located(invoke("check", str(folder / "a.toml")), "extends forms a cycle")


def test_a_ruleset_without_data_reports_that_and_its_other_problems_briefly(write_ruleset, invoke) -> None:
    rules = "".join(f'[[rules]]\nid = "r{i}"\nwhen = "true"\naction = "{"x" * 2000}"\n' for i in range(200))
    path = write_ruleset('[metadata]\nname = "x"\nbogus = 1\n' + rules)
    run = invoke("check", str(path))
    located(run, f"{path}: data: required key is missing", 'add a [data] section (or extends = "default")',
            "unknown key 'bogus'")
    assert len(run.stderr) < 5000


def test_python_syntax_warnings_are_errors_not_stderr_noise(write_ruleset, invoke) -> None:
    path = write_ruleset('extends = "default"\n[[rules]]\nid = "w"\nwhen = "revenue > 1and true"\naction = "a"\n'
                         'because = "b"\n')
    run = invoke("check", str(path))
    located(run, "rules[0].when (id 'w'): syntax error: invalid decimal literal")
    assert "SyntaxWarning" not in run.output


def test_lint_warnings_point_into_the_users_own_file(write_ruleset, invoke) -> None:
    path = write_ruleset('extends = "default"\n[[rules]]\nid = "neg"\nwhen = "revenue < 0"\naction = "a"\n'
                         'because = "b"\n')
    run = invoke("check", str(path))
    assert run.code == 0 and f"warning [range]: {path}: rules[0].when (id 'neg'): " in run.stderr


def test_a_malformed_csv_line_and_cr_only_line_ends_are_located(tmp_path, invoke, demo_data) -> None:
    data = copy_data(demo_data, tmp_path / "data")
    lines = (data / "customers.csv").read_text().splitlines()
    lines[4] = lines[4] + ",extra,more"
    (data / "customers.csv").write_text("\r".join(lines))  # classic Mac line ends
    located(invoke("evaluate", "default", str(data), *AS_OF), "customers.csv: row 5: this row has")
