"""The command line end to end, as an analyst uses it: real files, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from clientwise import __version__
from clientwise.sample import DEMO_AS_OF

AS_OF = DEMO_AS_OF.isoformat()


def test_version_and_help(invoke) -> None:
    code, out, _ = invoke("--version")
    assert code == 0 and __version__ in out
    for command in ("evaluate", "check", "plugins", "demo"):
        code, out, _ = invoke(command, "--help")
        assert code == 0 and "Usage:" in out


def test_evaluate_prints_a_table(invoke, demo_data: Path) -> None:
    code, out, _ = invoke("evaluate", "default", str(demo_data), "--as-of", AS_OF)
    assert code == 0
    assert "default" in out and AS_OF in out
    assert "strategic" in out


def test_evaluate_writes_csv_atomically_and_deterministically(invoke, tmp_path: Path, demo_data: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert invoke("evaluate", "default", str(demo_data), "--as-of", AS_OF, "-o", str(first)).code == 0
    assert invoke("evaluate", "default", str(demo_data), "--as-of", AS_OF, "-o", str(second)).code == 0
    assert first.read_bytes() == second.read_bytes()
    header = first.read_text().splitlines()[0].split(",")
    assert header[:2] == ["customer_id", "name"]
    assert {"tier", "value_class", "health_band", "actions"} <= set(header)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]  # no temporary file left behind


def test_json_output_carries_the_ruleset_identity(invoke, tmp_path: Path, demo_data: Path) -> None:
    out = tmp_path / "r.json"
    assert invoke("evaluate", "default", str(demo_data), "--as-of", AS_OF, "-o", str(out)).code == 0
    document = json.loads(out.read_text())
    assert document["schema"] == "clientwise.runtime.result/1"
    assert document["ruleset"]["name"] == "default"
    assert len(document["ruleset"]["hash"]) == 64
    assert document["as_of"] == AS_OF
    assert document["customers"][0]["explanation"] is None  # explanations only with --explain-all


def test_explain_all_embeds_every_explanation_in_json_and_jsonl(invoke, tmp_path: Path, demo_data: Path) -> None:
    plain, traced = tmp_path / "plain.json", tmp_path / "traced.json"
    assert invoke("evaluate", "default", str(demo_data), "--as-of", AS_OF, "-o", str(plain)).code == 0
    assert invoke("evaluate", "default", str(demo_data), "--as-of", AS_OF, "-o", str(traced), "--explain-all").code == 0
    without, with_traces = json.loads(plain.read_text()), json.loads(traced.read_text())
    assert all(customer["explanation"]["rules"] for customer in with_traces["customers"])
    assert [{**c, "explanation": None} for c in with_traces["customers"]] == without["customers"]
    code, out, _ = invoke("demo", "--format", "jsonl", "--explain-all")
    customers = [json.loads(line) for line in out.splitlines() if '"record":"customer"' in line]
    assert customers and all(c["explanation"]["derived"] for c in customers)


def test_explain_all_with_a_format_without_explanations_exits_2(invoke, tmp_path: Path, demo_data: Path) -> None:
    out = tmp_path / "r.csv"
    code, _, err = invoke("evaluate", "default", str(demo_data), "--as-of", AS_OF, "-o", str(out), "--explain-all")
    assert code == 2 and not out.exists()
    assert "--explain-all does not apply to the csv format" in err and "--format json or jsonl" in err


def test_explain_prints_a_trace(invoke, demo_data: Path) -> None:
    key = (demo_data / "customers.csv").read_text().splitlines()[1].split(",")[0]
    code, out, _ = invoke("evaluate", "default", str(demo_data), "--as-of", AS_OF, "--explain", key)
    assert code == 0
    assert f"Customer {key}" in out
    assert "Derived values (each computed from the values in brackets):" in out
    assert "segment_rank" in out
    assert "FIRED" in out
    assert "      why not:" in out and "      that is: " in out


def test_evaluate_explain_and_explain_print_the_same_trace(invoke, demo_data: Path) -> None:
    for key in ("C00018", "C00001"):
        code, evaluated, _ = invoke("evaluate", "default", str(demo_data), "--as-of", AS_OF, "--explain", key)
        assert code == 0
        code, explained, _ = invoke("explain", "default", str(demo_data), key, "--as-of", AS_OF)
        assert code == 0
        assert evaluated == explained
        assert evaluated.startswith(f"Customer {key} (")
    code, demo, _ = invoke("demo", "--explain", "C00018")
    assert code == 0 and demo == invoke("explain", "default", str(demo_data), "C00018", "--as-of", AS_OF).stdout


def test_explain_unknown_key_exits_2(invoke, demo_data: Path) -> None:
    code, _, err = invoke("evaluate", "default", str(demo_data), "--as-of", AS_OF, "--explain", "NOPE")
    assert code == 2
    assert "error: --explain: no customer with key 'NOPE'" in err


def test_bad_data_exits_2_and_writes_nothing(invoke, tmp_path: Path) -> None:
    bad = tmp_path / "data"
    bad.mkdir()
    (bad / "customers.csv").write_text("customer_id,name,revenue\nC1,Acme,12x\nC1,Beta,5\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    code, _, err = invoke("evaluate", "default", str(bad), "--as-of", AS_OF, "-o", str(out))
    assert code == 2
    assert "customers.csv" in err and "row 2" in err and "revenue" in err and "12x" in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_bad_ruleset_exits_2_with_key_path(write_ruleset, invoke) -> None:
    ruleset = write_ruleset('extends = "default"\n[[rules]]\nid = "x"\nwhen = "revenu > 1"\naction = "a"\nbecause = "b"\n',
                            "client.toml")
    code, _, err = invoke("check", str(ruleset))
    assert code == 2
    assert "rules[" in err and "unknown field 'revenu'" in err
    assert "did you mean 'revenue'?" in err
    assert "^" in err


def test_check_reports_ok_with_the_hash(invoke) -> None:
    code, out, _ = invoke("check", "default")
    assert code == 0
    assert out.startswith("ok: default")
    assert "segmentation" in out


def test_unknown_format_exits_2(invoke, demo_data: Path) -> None:
    code, _, err = invoke("evaluate", "default", str(demo_data), "--as-of", AS_OF, "--format", "xml")
    assert code == 2
    assert "xml" in err


def test_bad_as_of_exits_2(invoke, demo_data: Path) -> None:
    code, _, err = invoke("evaluate", "default", str(demo_data), "--as-of", "31/12/2026")
    assert code == 2
    assert "YYYY-MM-DD" in err


def test_plugins_lists_builtins_with_status(invoke) -> None:
    code, out, _ = invoke("plugins")
    assert code == 0
    for name in ("segmentation", "checklist", "profitability", "relationship", "polars_engine"):
        assert name in out
    assert "loaded" in out
    code, out, _ = invoke("plugins", "--json")
    assert {p["name"] for p in json.loads(out)} >= {"segmentation", "loaders"}


def test_demo_runs(invoke) -> None:
    code, out, _ = invoke("demo")
    assert code == 0
    assert "strategic" in out


def test_console_script_and_unexpected_error_exit_1(tmp_path: Path) -> None:
    """The installed script, in a subprocess: a real exit code, one-line message without --debug."""
    exe = Path(sys.executable).parent / "clientwise"
    env = {**os.environ, "NO_COLOR": "1"}
    ok = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0
    broken = tmp_path / "customers.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    failed = subprocess.run([str(exe), "evaluate", "default", str(broken), "--as-of", AS_OF],
                            capture_output=True, text=True, env=env)
    assert failed.returncode in (1, 2)
    assert "Traceback" not in failed.stderr
    assert failed.stderr.strip()
