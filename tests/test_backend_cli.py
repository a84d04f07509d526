"""--backend on every evaluating command: the same output, located refusals, clear errors."""

from __future__ import annotations

from pathlib import Path

from test_authoring_cases import HEAD, PASSING

from clientwise.sample import demo_path


def test_demo_csv_is_byte_identical_on_duckdb_with_a_memory_limit(invoke, tmp_path: Path) -> None:
    outputs = []
    for backend in ("polars", "duckdb"):
        path = tmp_path / f"{backend}.csv"
        extra = ["--memory-limit", "500MB", "--spill-dir", str(tmp_path / "spill"), "--threads", "1"] \
            if backend == "duckdb" else []
        code, out, err = invoke("demo", "-o", str(path), "--backend", backend, *extra)
        assert code == 0, err
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1] and len(outputs[0]) > 1000
    assert list((tmp_path / "spill").iterdir()) == []  # the run's spill folder is removed


def test_evaluate_check_diff_and_test_take_the_backend(invoke, write_ruleset) -> None:
    data = str(demo_path())
    code, out, _ = invoke("evaluate", "default", data, "--as-of", "2026-06-30", "-f", "json", "--backend", "duckdb")
    assert code == 0 and out.startswith("{") and "\"customers\"" in out
    code, out, _ = invoke("check", "default", data, "--backend", "duckdb")
    assert code == 0 and "backend duckdb" in out and "data ok" in out
    code, out, _ = invoke("diff", "default", "default", data, "--as-of", "2026-06-30", "--backend", "duckdb")
    assert code == 0, out
    code, out, _ = invoke("test", str(write_ruleset(HEAD + PASSING, "acme.toml")), "--backend", "duckdb")
    assert code == 0 and out.rstrip().endswith("2 passed"), out


def test_an_unknown_backend_exits_2_naming_the_option(invoke) -> None:
    code, _, err = invoke("demo", "--backend", "spark-ish")
    assert code == 2
    assert "--backend: unknown backend 'spark-ish'" in err and "available backends: duckdb, polars" in err


def test_a_backend_that_decides_itself_refuses_another_engine(invoke) -> None:
    code, _, err = invoke("demo", "--backend", "duckdb", "--engine", "durable")
    assert code == 2
    assert "the duckdb backend decides rules itself, so it cannot use the 'durable' engine" in err
