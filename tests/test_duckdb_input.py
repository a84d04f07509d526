"""The DuckDB backend reads Parquet files and DuckDB databases itself (no polars loader),
types and validates them in SQL, and reports bad data exactly as the polars backend does."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

import clientwise
from clientwise.errors import DataError, InputError
from clientwise.host.contracts import BackendOptions, Loader
from clientwise.sample import DEMO_AS_OF, generate, write

AS_OF = DEMO_AS_OF.isoformat()


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return generate(400, seed=11)


@pytest.fixture
def no_loader(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every loader call, recorded: the DuckDB path must make none."""
    calls: list[str] = []
    for loader in clientwise.Evaluator("default").host.loaders():
        original = type(loader).read

        def read(self: Loader, path: Path, *args: object, _original=original, **kwargs: object) -> object:
            calls.append(str(path))
            return _original(self, path, *args, **kwargs)

        monkeypatch.setattr(type(loader), "read", read)
    return calls


def _both(data: Path, **duckdb_options: object) -> tuple[clientwise.Result, clientwise.Result]:
    polars = clientwise.evaluate("default", data, as_of=AS_OF)
    options = BackendOptions(**duckdb_options)  # type: ignore[arg-type]
    return polars, clientwise.evaluate("default", data, as_of=AS_OF, backend="duckdb", backend_options=options)


def _same(polars: clientwise.Result, duck: clientwise.Result) -> None:
    assert duck.customers.equals(polars.customers)
    assert duck.actions.equals(polars.actions)
    assert [s.figures for s in duck.summaries] == [s.figures for s in polars.summaries]


def test_parquet_is_read_by_duckdb_only_and_gives_the_polars_result(tables, tmp_path, no_loader) -> None:
    write(tables, tmp_path, "parquet")
    polars = clientwise.evaluate("default", tmp_path, as_of=AS_OF)
    assert len(no_loader) == 3  # the polars backend reads the three files with the loaders
    duck = clientwise.evaluate("default", tmp_path, as_of=AS_OF, backend="duckdb",
                               backend_options=BackendOptions(memory_limit="300MB", threads=1))
    assert len(no_loader) == 3  # ... and the DuckDB backend with none
    _same(polars, duck)
    fed = [f.message for f in duck.findings if f.kind == "source"]
    assert fed == [f.message for f in polars.findings if f.kind == "source"]
    assert fed[0] == f"400 rows from {tmp_path / 'customers.parquet'}"


def test_csv_is_still_read_by_the_loaders(tables, tmp_path, no_loader) -> None:
    write(tables, tmp_path, "csv")
    _same(*_both(tmp_path))
    assert len(no_loader) == 6


def _problems(data: Path, backend: str) -> list[str]:
    with pytest.raises(DataError) as caught:
        clientwise.evaluate("default", data, as_of=AS_OF, backend=backend)
    return [p.render() for p in caught.value.problems] + [str(caught.value.total)]


def test_bad_parquet_cells_are_located_as_on_polars(tables, tmp_path, no_loader) -> None:
    customers = tables["customers"].with_columns(
        pl.when(pl.int_range(pl.len()) == 6).then(None).otherwise(pl.col("customer_id")).alias("customer_id"),
        pl.when(pl.int_range(pl.len()).is_in([3, 250])).then(-5).otherwise(pl.col("payment_terms_days"))
        .alias("payment_terms_days"),
        pl.when(pl.int_range(pl.len()) == 9).then(float("inf")).otherwise(pl.col("revenue")).alias("revenue"),
    )
    customers = pl.concat([customers, customers.slice(20, 2)])  # two duplicate customers at the end
    contacts = pl.concat([tables["contacts"], tables["contacts"].head(1).with_columns(customer_id=pl.lit("C-NOPE"))])
    write({**tables, "customers": customers, "contacts": contacts}, tmp_path, "parquet")
    polars = _problems(tmp_path, "polars")
    loaded = len(no_loader)
    duck = _problems(tmp_path, "duckdb")
    assert len(no_loader) == loaded  # located without the loaders
    assert duck == polars
    text = "\n".join(duck)
    assert "row 7, column 'customer_id'" in text and "below the minimum of 0" in text
    assert "appears 2 times" in text and "no customer has this key" in text and "not a finite number" in text


def test_orphans_dropped_on_request_are_left_out_and_reported_alike(tables, tmp_path, write_ruleset) -> None:
    contacts = pl.concat([tables["contacts"], tables["contacts"].head(2).with_columns(customer_id=pl.lit("C-GONE"))])
    write({**tables, "contacts": contacts}, tmp_path, "parquet")
    ruleset = write_ruleset('extends = "default"\n[data.contacts]\norphans = "drop"\n', "drop.toml")
    polars = clientwise.evaluate(ruleset, tmp_path, as_of=AS_OF)
    duck = clientwise.evaluate(ruleset, tmp_path, as_of=AS_OF, backend="duckdb")
    _same(polars, duck)
    orphans = [f.message for f in duck.findings if f.kind == "orphans"]
    assert orphans == [f.message for f in polars.findings if f.kind == "orphans"] and "left out" in orphans[0]


def test_a_missing_required_column_is_reported_as_on_polars(tables, tmp_path) -> None:
    write({**tables, "contacts": tables["contacts"].rename({"customer_id": "customer"})}, tmp_path, "parquet")
    assert _problems(tmp_path, "duckdb") == _problems(tmp_path, "polars")


def test_text_in_a_number_column_goes_to_the_loaders(tables, tmp_path, no_loader) -> None:
    customers = tables["customers"].with_columns(pl.col("revenue").cast(pl.String))
    write({**tables, "customers": customers}, tmp_path, "parquet")
    _same(*_both(tmp_path))
    assert len(no_loader) == 6  # the DuckDB backend fell back to the loaders, which parse text


def _database(path: Path, tables: dict[str, pl.DataFrame], names: dict[str, str]) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE SCHEMA crm")
        for name, frame in tables.items():
            connection.register("frame", frame.to_arrow())
            connection.execute(f"CREATE TABLE crm.{name}_raw AS SELECT * FROM frame")
            connection.execute(f"CREATE VIEW crm.{names[name]} AS SELECT * FROM crm.{name}_raw")
            connection.unregister("frame")
    return path


def test_a_database_file_with_views_named_by_table_option(tables, tmp_path, invoke, no_loader) -> None:
    write(tables, tmp_path / "files", "parquet")
    database = _database(tmp_path / "export.duckdb", tables,
                         {"customers": "accounts", "contacts": "people", "interactions": "activities"})
    options = ["--table", "customers=crm.accounts", "--table", "contacts=crm.people",
               "--table", "interactions=crm.activities"]
    code, _, err = invoke("evaluate", "default", str(database), "--as-of", AS_OF, "--backend", "duckdb", *options,
                          "-o", str(tmp_path / "db.csv"))
    assert code == 0, err
    code, _, err = invoke("evaluate", "default", str(tmp_path / "files"), "--as-of", AS_OF, "-o",
                          str(tmp_path / "files.csv"))
    assert code == 0, err
    assert (tmp_path / "db.csv").read_bytes() == (tmp_path / "files.csv").read_bytes()
    assert all("export.duckdb" not in call for call in no_loader)


def test_database_problems_name_the_database_and_view(tables, tmp_path, invoke) -> None:
    database = _database(tmp_path / "export.duckdb", {"customers": tables["customers"].with_columns(
        revenue=pl.when(pl.int_range(pl.len()) == 2).then(float("nan")).otherwise(pl.col("revenue")))},
        {"customers": "accounts"})
    code, _, err = invoke("evaluate", "default", str(database), "--as-of", AS_OF, "--backend", "duckdb",
                          "--table", "customers=crm.accounts", "--table", "contacts=crm.nothing")
    assert code == 2
    assert "the database has no table or view 'crm.nothing' (--table contacts=...)" in err
    assert "tables and views: crm.accounts, crm.customers_raw" in err  # what the database does have
    code, _, err = invoke("evaluate", "default", str(database), "--as-of", AS_OF, "--backend", "duckdb",
                          "--table", "customers=crm.accounts")
    assert code == 2
    assert "export.duckdb (crm.accounts)" in err and "row 3, column 'revenue'" in err and "not a finite number" in err


def test_table_option_needs_table_and_name(invoke, tmp_path) -> None:
    code, _, err = invoke("demo", "--backend", "duckdb", "--table", "orders=x")
    assert code == 2 and "--table" in err and "TABLE one of customers, contacts, interactions" in err


def test_a_database_duckdb_cannot_read_is_refused_not_handed_to_the_loaders(tables, tmp_path, write_ruleset) -> None:
    database = _database(tmp_path / "export.duckdb", {"customers": tables["customers"]}, {"customers": "customers"})
    ruleset = write_ruleset('extends = "default"\n[data.customers.fields.region]\ntype = "string"\n'
                            'map = { exact = { "EU" = "Europe" } }\n', "maps.toml")
    with pytest.raises(InputError, match="cannot read this database: the field customers.region has a value map"):
        clientwise.evaluate(ruleset, database, as_of=AS_OF, backend="duckdb")


@pytest.mark.parametrize("dialect", [None, "excel-de"])
def test_csv_streamed_from_duckdb_is_byte_identical(tables, tmp_path, invoke, dialect) -> None:
    write(tables, tmp_path / "data", "parquet")
    extra = ["--csv-dialect", dialect] if dialect else []
    outputs = []
    for backend in ("polars", "duckdb"):
        target = tmp_path / f"{backend}.csv"
        code, _, err = invoke("evaluate", "default", str(tmp_path / "data"), "--as-of", AS_OF, "--backend", backend,
                              "-o", str(target), *extra)
        assert code == 0, err
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") > 400


def test_evaluate_into_streams_from_duckdb_without_collecting_customers(tables, tmp_path) -> None:
    write(tables, tmp_path / "data", "parquet")
    polars_run = clientwise.Evaluator("default")
    duck_run = clientwise.Evaluator("default", backend="duckdb")
    results = []
    for evaluator, name in ((polars_run, "polars"), (duck_run, "duckdb")):
        writer = evaluator.host.writers()["parquet"]
        results.append(evaluator.evaluate_into(tmp_path / "data", writer, tmp_path / f"{name}.parquet", as_of=AS_OF))
    polars, duck = results
    assert polars.customers.height == 400 and duck.customers.height == 0  # the rows went to the file only
    written = pl.read_parquet(tmp_path / "duckdb.parquet")
    assert written.equals(pl.read_parquet(tmp_path / "polars.parquet")) and written.height == 400
    assert written.schema["actions"] == pl.List(pl.String)
    assert [s.figures for s in duck.summaries] == [s.figures for s in polars.summaries]
    assert all(a.tables[k].equals(b.tables[k]) for a, b in zip(duck.summaries, polars.summaries) for k in a.tables)
    assert duck.warnings == polars.warnings and [f.message for f in duck.findings][:3] == \
        [f.message for f in polars.findings][:3]


def test_check_reads_a_database_through_duckdb(tables, tmp_path, invoke) -> None:
    database = _database(tmp_path / "export.duckdb", tables, {name: name for name in tables})
    code, _, err = invoke("check", "default", str(database), "--backend", "duckdb")
    assert code == 2 and "the database has no table or view 'customers' (--table customers=...)" in err
    assert "tables and views: crm.contacts, crm.contacts_raw, crm.customers" in err
    options = [f"--table={name}=crm.{name}" for name in tables]
    code, out, err = invoke("check", "default", str(database), "--backend", "duckdb", *options)
    assert code == 0, err
    assert "data ok: customers 400 rows, contacts" in out and f"400 rows from {database} (crm.customers)" in out


def test_a_directory_without_customers_is_reported_as_on_polars(tables, tmp_path) -> None:
    write({"contacts": tables["contacts"]}, tmp_path, "parquet")
    assert _problems(tmp_path, "duckdb") == _problems(tmp_path, "polars")


def test_text_cells_are_stripped_and_null_markers_read_as_on_polars(tables, tmp_path) -> None:
    customers = tables["customers"].with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("\u00a0Acme\t")).when(pl.int_range(pl.len()) == 1)
        .then(pl.lit("  ")).otherwise(pl.col("name")).alias("name"),
        pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("N/A")).when(pl.int_range(pl.len()) == 3)
        .then(pl.lit(" n/a\u3000")).otherwise(pl.col("industry")).alias("industry"))
    write({**tables, "customers": customers}, tmp_path, "parquet")
    polars, duck = _both(tmp_path)
    _same(polars, duck)
    assert duck.customers["name"][0] == "Acme" and duck.customers["name"][1] is None


def test_vocabulary_findings_are_computed_in_duckdb_as_on_polars(tables, tmp_path, no_loader) -> None:
    """Job titles for roles, a type no row has, an empty column: the same findings from
    DuckDB's grouped counts as from the polars frames."""
    titles = {"budget": "CFO", "gatekeeper": "Head of Procurement", "user": "Werksleiter"}
    changed = {
        "customers": tables["customers"].with_columns(pl.lit(None, tables["customers"]["satisfaction_score"].dtype)
                                                .alias("satisfaction_score")),
        "contacts": tables["contacts"].with_columns(pl.col("role").replace(titles)),
        "interactions": tables["interactions"].filter(pl.col("type") != "pricing_discussion"),
    }
    write(changed, tmp_path, "parquet")
    kinds = ("vocabulary", "values", "empty")
    with clientwise.Evaluator("default") as evaluator:
        polars = [f for f in evaluator.load_data(tmp_path).findings if f.kind in kinds]
    duck = clientwise.evaluate("default", tmp_path, as_of=AS_OF, backend="duckdb")
    assert len(no_loader) == 3  # only the polars reading above
    found = [f for f in duck.findings if f.kind in kinds]
    assert found == polars
    assert {(f.kind, f.severity, f.field) for f in found} >= {
        ("vocabulary", "warning", "role"), ("values", "warning", "type"), ("empty", "warning", "satisfaction_score")}
    [roles] = [f for f in found if f.field == "role"]
    coaches = changed["contacts"].filter(pl.col("role") == "coach").height
    assert roles.message.startswith(f"{coaches} of {changed['contacts'].height} contacts have a role the rules use")


def test_only_rows_with_a_bad_cell_come_to_polars_for_their_messages(tables, tmp_path, monkeypatch) -> None:
    """Empty optional cells are fine: DuckDB hands the polars validator (which words the
    messages) only the rows a check could refuse, or the input would have to fit in memory."""
    import clientwise.plugins.backends.duckdb.read as read

    handed: dict[str, int] = {}
    original = read.validate_tables

    def validate(raw, *args, **kwargs):  # type: ignore[no-untyped-def]
        handed.update({name: table.frame.height for name, table in raw.items()})
        return original(raw, *args, **kwargs)

    monkeypatch.setattr(read, "validate_tables", validate)
    customers = tables["customers"]
    assert customers.null_count().sum_horizontal().item() > 0  # the sample has empty optional cells
    write(tables, tmp_path, "parquet")
    clientwise.evaluate("default", tmp_path, as_of=AS_OF, backend="duckdb")
    assert handed == {"customers": 0, "contacts": 0, "interactions": 0}
    bad = customers.with_columns(pl.when(pl.int_range(pl.len()) == 4).then(-5).otherwise(pl.col("payment_terms_days"))
                                 .alias("payment_terms_days"))
    write({**tables, "customers": bad}, tmp_path, "parquet")
    with pytest.raises(DataError, match="below the minimum of 0"):
        clientwise.evaluate("default", tmp_path, as_of=AS_OF, backend="duckdb")
    assert handed == {"customers": 1, "contacts": 0, "interactions": 0}
