"""Bounded fuzzing (seconds): expressions, templates, rulesets, data files and command lines.

Every input either succeeds or stops with the project's own error and a location; the
command line exits 0 or 2, never 1, and a failed run writes nothing. The targets and
mutators are in ``tests/fuzz/harness.py``, shared with the long run (``tests/fuzz/run.py``,
counts in docs/reliability.md); the minimised crashers of issue 14 and of the long runs
are kept in ``tests/fuzz/corpus`` and replayed here.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from fuzz import harness
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CORPUS = Path(__file__).parent / "fuzz" / "corpus"
def bounded(examples: int) -> settings:
    """A fixed number of examples, no deadline (the machine may be busy), no example database."""
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

_TOKENS = st.sampled_from([
    "revenue", "tier", "name", "industry", "days_since(relationship_map_reviewed)", "count_of(contacts, true)",
    "sum_of(interactions, amount)", "customer_count()", "rank(revenue)", "share(revenue)", "if_else(", "coalesce(",
    " and ", " or ", " not ", " in ", " is null", " is not null", "==", "!=", "<", "<=", ">", "+", "-", "*", "/", "%",
    "(", ")", "[", "]", ",", "'core'", '"x"', "0", "1", "-1", "1.5", "1e308", "1e999", "9223372036854775807",
    "true", "false", "null", "1and", "\\", "\n", " ", "=", "lambda", "__import__", ".", "{", "}", ":.1f",
])
EXPRESSIONS = st.one_of(st.lists(_TOKENS, max_size=14).map("".join), st.text(max_size=40))


@bounded(400)
@given(EXPRESSIONS)
def test_any_expression_is_checked_or_located(text: str) -> None:
    harness.expression(text)


@bounded(150)
@given(st.lists(st.one_of(_TOKENS, st.text(max_size=6)), max_size=10).map(lambda parts: "{" + "".join(parts)))
def test_any_because_template_is_checked_or_located(text: str) -> None:
    harness.expression(text, template=True)
    harness.expression(text.replace("{", "", 1) + "}", template=True)


@bounded(20)
@given(st.randoms(use_true_random=False))
def test_mutated_rulesets_load_or_stop_located(tmp_path: Path, rng: random.Random) -> None:
    harness.ruleset(harness.ruleset_variant(rng), tmp_path)


@bounded(60)
@given(st.sampled_from(harness.DATA_SEEDS), st.randoms(use_true_random=False))
def test_mutated_data_files_load_or_stop_located(tmp_path: Path, kind: str, rng: random.Random) -> None:
    harness.data(kind, harness.mutate_data(kind, rng), tmp_path)


@pytest.mark.parametrize("entry", sorted(p.name for p in CORPUS.iterdir()))
def test_the_regression_corpus_stays_fixed(tmp_path: Path, entry: str) -> None:
    """Each minimised crasher: ``<target>-<what>.<suffix>``."""
    content = (CORPUS / entry).read_bytes()
    target, _, rest = entry.partition("-")
    if target == "expression":
        harness.expression(content.decode("utf-8", "surrogatepass"))
    elif target == "ruleset":
        harness.ruleset(content, tmp_path)
    else:
        harness.data(rest.rsplit(".", 1)[1], content, tmp_path)


_ARGUMENTS = st.lists(st.sampled_from([
    "DATA", "DATA/customers.csv", "missing", "/dev/null", "RULESET", "default", "defualt", "BADRULESET",
    "-o", "OUT.csv", "OUT.bogus", "OUTDIR", "/proc/x.csv", "DATA/customers.csv", "--format", "csv", "json", "nope",
    "--as-of", "2026-06-30", "2026-02-30", "yesterday", "--engine", "polars", "bogus", "--explain", "C00001", "ZZZ",
    "--quiet", "--strict", "--disable-plugin", "segmentation", "functions", "-", "",
]), max_size=8)


@bounded(12)
@given(st.sampled_from(["evaluate", "check", "demo", "explain", "fmt", "schema"]), _ARGUMENTS)
def test_any_command_line_exits_0_or_2_and_writes_nothing_on_failure(
        tmp_path_factory, invoke, demo_data, command: str, arguments: list[str]) -> None:
    import shutil

    folder = tmp_path_factory.mktemp("cli")
    data = folder / "DATA"
    shutil.copytree(demo_data, data)
    (folder / "RULESET").with_suffix(".toml").write_text('extends = "default"\n')
    (folder / "BADRULESET.toml").write_text('extends = "default"\n[[rules]]\nid = 1\n')
    (folder / "OUTDIR").mkdir()
    names = {"DATA": str(data), "RULESET": str(folder / "RULESET.toml"), "BADRULESET": str(folder / "BADRULESET.toml"),
             "OUT.csv": str(folder / "OUT.csv"), "OUT.bogus": str(folder / "OUT.bogus"), "OUTDIR": str(folder / "OUTDIR")}
    args = [command, *(names.get(a, a.replace("DATA", str(data))) for a in arguments)]
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    run = invoke(*args)
    assert run.code in (0, 2), (args, run.output)
    assert "Traceback" not in run.output
    if run.code == 2:
        after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        assert after == before, args  # a failed run writes nothing and changes nothing
