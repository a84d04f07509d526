"""clientwise init, schema and fmt: the files a consultant starts from and keeps tidy."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from clientwise import build_host
from clientwise.authoring.fmt import format_text
from clientwise.authoring.init import init_client
from clientwise.authoring.schema import ruleset_schema, schema_text
from clientwise.cli.app import cli
from clientwise.errors import InputError
from clientwise.ruleset import shipped_rulesets

ROOT = Path(__file__).resolve().parent.parent


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def plain(value: Any) -> Any:
    """TOML values as JSON sees them (editors validate dates as strings)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = ruleset_schema(build_host())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def errors(validator: jsonschema.Draft202012Validator, document: dict[str, Any]) -> list[str]:
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(plain(document)))


def test_every_shipped_ruleset_validates_against_the_schema(validator) -> None:  # type: ignore[no-untyped-def]
    assert shipped_rulesets()
    for name in shipped_rulesets():
        document = tomllib.loads((ROOT / "rulesets" / f"{name}.toml").read_text(encoding="utf-8"))
        assert errors(validator, document) == [], name


def test_ruleset_examples_in_the_docs_validate(validator) -> None:  # type: ignore[no-untyped-def]
    for page in ("ruleset.md", "tuning-a-ruleset.md", "authoring.md"):
        for block in re.findall(r"```toml[^\n]*\n(.*?)```", (ROOT / "docs" / page).read_text(), re.S):
            document = tomllib.loads(block)
            if "schema" in document or "tests" in document:
                assert errors(validator, document) == [], f"{page}: {block[:60]}"


def test_the_schema_rejects_unknown_keys_and_wrong_types(validator) -> None:  # type: ignore[no-untyped-def]
    bad = {"schema": 1, "metadata": {"name": "x"}, "segmentation": {"tierz": []},
           "rules": [{"id": "a", "priority": "high"}], "tests": [{"id": "t", "as_of": "2026-13-45"}]}
    found = errors(validator, bad)
    assert any(e.startswith("segmentation: Additional properties are not allowed ('tierz'") for e in found)
    assert any(e.startswith("rules.0.priority: 'high' is not of type 'integer'") for e in found)
    assert any(e.startswith("tests.0.as_of: '2026-13-45' is not a 'date'") for e in found)
    partial = {"extends": "default", "metadata": {"name": "x"},
               "segmentation": {"tiers": [{"id": "strategic", "share": 0.05}]},
               "rules": [{"id": "annual_review", "remove": True}],
               "data": {"customers": {"fields": {"x": {"type": "number", "required": True}}}}}
    assert errors(validator, partial) == []
    with_plugins = {"extends": "default", "plugins": {"disable": ["nps"]}}
    assert errors(validator, with_plugins) == []


def test_the_schema_includes_plugin_sections_and_is_stable() -> None:
    schema = ruleset_schema(build_host())
    assert {"segmentation", "checklist", "profitability", "relationship", "nps", "tests", "extends", "plugins"} <= set(
        schema["properties"])
    assert schema["additionalProperties"] is False
    assert schema_text(build_host()) == schema_text(build_host())
    builtin_only = ruleset_schema(build_host(entry_points=False))
    assert "nps" not in builtin_only["properties"]


def test_schema_command_writes_the_file(tmp_path: Path) -> None:
    code, out = invoke("schema")
    assert code == 0 and json.loads(out)["title"] == "clientwise ruleset"
    target = tmp_path / "s.json"
    code, _ = invoke("schema", "-o", str(target))
    assert code == 0 and target.read_text() == out


def test_init_creates_a_folder_whose_tests_pass_and_lint_is_clean(tmp_path: Path, validator) -> None:  # type: ignore[no-untyped-def]
    code, out = invoke("init", "acme", "--dir", str(tmp_path))
    assert code == 0
    folder = tmp_path / "acme"
    assert out.splitlines()[:3] == [f"created {folder / name}" for name in ("acme.toml", "clientwise.schema.json", "README.md")]
    text = (folder / "acme.toml").read_text()
    assert text.startswith("#:schema ./clientwise.schema.json\n")
    assert 'extends = "default"' in text and "# [[segmentation.tiers]]" in text
    assert json.loads((folder / "clientwise.schema.json").read_text()) == ruleset_schema(build_host())
    assert "clientwise test acme/acme.toml" in (folder / "README.md").read_text()
    assert errors(validator, tomllib.loads(text)) == []
    code, out = invoke("test", str(folder / "acme.toml"))
    assert code == 0 and out.count("  PASS  ") == 3 and "small_loss_maker" in out
    code, out = invoke("check", str(folder / "acme.toml"), "--strict")
    assert code == 0 and "lint: no warnings" in out
    document = tomllib.loads(text)
    assert document["tests"][2]["expect"]["value_class"] == "value_destroyer"
    assert format_text(text) == text  # init writes files clientwise fmt leaves alone


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "README.md").write_text("mine")
    code, out = invoke("init", "acme", "--dir", str(tmp_path))
    assert code == 2
    assert f"error: {tmp_path / 'acme' / 'README.md'}: already exists; clientwise init never overwrites" in out
    assert (tmp_path / "acme" / "README.md").read_text() == "mine"
    assert not (tmp_path / "acme" / "acme.toml").exists()


def test_init_from_another_ruleset_and_bad_names(tmp_path: Path) -> None:
    first = init_client("acme", directory=tmp_path)
    second = init_client("acme-eu", base=str(first.ruleset), directory=tmp_path / "eu")
    assert 'extends = "../../acme/acme.toml"' in second.ruleset.read_text()
    assert invoke("test", str(second.ruleset))[0] == 0
    with pytest.raises(InputError) as error:
        init_client("../evil", directory=tmp_path)
    assert "CLIENT: the client name must be letters, digits" in error.value.render()
    code, out = invoke("init", "x", "--from", "defualt", "--dir", str(tmp_path))
    assert code == 2 and "did you mean 'default'?" in out


MESSY = """# top comment


schema=1
extends   =  "default"   # base
[metadata]
  name="messy"
  version = "1"
# about the rules
[[rules]]
id="x"  # inline
when   = "revenue > 1"
action = "a"
because = "b"
[[segmentation.tiers]]
  id = "strategic"
  target = [ 0.01,0.1 ]   # aligned
  ids = [
    "a",  # first
  ]
"""

TIDY = """# top comment

schema = 1
extends = "default"   # base

[metadata]
name = "messy"
version = "1"

# about the rules
[[rules]]
id = "x"  # inline
when = "revenue > 1"
action = "a"
because = "b"

[[segmentation.tiers]]
id = "strategic"
target = [0.01, 0.1]   # aligned
ids = [
    "a",  # first
  ]
"""


def test_fmt_normalises_layout_and_keeps_comments() -> None:
    assert format_text(MESSY) == TIDY
    assert format_text(TIDY) == TIDY
    default = (ROOT / "rulesets" / "default.toml").read_text(encoding="utf-8")
    assert format_text(default) == default


def test_fmt_keeps_multiline_strings_exact() -> None:
    text = 'a = """x  \n\n\n  y"""\n\n\n\nb=1\n'
    result = format_text(text)
    assert tomllib.loads(result) == tomllib.loads(text) and "b = 1" in result


def test_fmt_command_rewrites_checks_and_rejects_bad_toml(tmp_path: Path) -> None:
    path = tmp_path / "messy.toml"
    path.write_text(MESSY)
    code, out = invoke("fmt", "--check", str(path))
    assert code == 1 and out.strip() == f"would reformat: {path}" and path.read_text() == MESSY
    code, out = invoke("fmt", str(path))
    assert code == 0 and out.strip() == f"reformatted: {path}" and path.read_text() == TIDY
    code, out = invoke("fmt", "--check", str(path))
    assert code == 0 and out.strip() == f"unchanged: {path}"
    broken = tmp_path / "broken.toml"
    broken.write_text("a = [1,\n")
    code, out = invoke("fmt", str(broken))
    assert code == 2 and f"error: {broken}: not valid TOML" in out and broken.read_text() == "a = [1,\n"


def test_a_client_ruleset_for_raw_exports_and_the_data_md_examples_validate(validator) -> None:  # type: ignore[no-untyped-def]
    document = tomllib.loads((ROOT / "tests" / "data" / "mueller.toml").read_text(encoding="utf-8"))
    assert errors(validator, document) == []
    for block in re.findall(r"```toml[^\n]*\n(.*?)```", (ROOT / "docs" / "data.md").read_text(), re.S):
        assert errors(validator, {"data": {}} | tomllib.loads(block)) == [], block[:60]
