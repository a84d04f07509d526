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

from clientwise.authoring.fmt import format_text
from clientwise.authoring.init import init_client
from clientwise.authoring.schema import ruleset_schema, schema_text
from clientwise.errors import InputError
from clientwise.ruleset import shipped_rulesets
from clientwise.sdk.testing import isolated_host

ROOT = Path(__file__).resolve().parent.parent


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
def validator(host) -> jsonschema.Draft202012Validator:  # type: ignore[no-untyped-def]
    schema = ruleset_schema(host)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def errors(validator: jsonschema.Draft202012Validator, document: dict[str, Any]) -> list[str]:
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(plain(document)))


def test_every_shipped_ruleset_validates_against_the_schema(validator) -> None:  # type: ignore[no-untyped-def]
    assert shipped_rulesets()
    for name in shipped_rulesets():
        document = tomllib.loads((ROOT / "rulesets" / f"{name}.toml").read_text(encoding="utf-8"))
        assert errors(validator, document) == [], name


def test_ruleset_examples_in_the_docs_validate(validator, docs) -> None:  # type: ignore[no-untyped-def]
    for page in ("ruleset.md", "tuning-a-ruleset.md", "authoring.md"):
        blocks = re.findall(r"```toml[^\n]*\n(.*?)```", (docs / page).read_text(), re.S)
        rulesets = [block for block in blocks if {"schema", "tests"} & set(tomllib.loads(block))]
        assert rulesets, f"docs/{page} shows no ruleset (a TOML block with schema or [[tests]]) any more"
        for block in rulesets:
            assert errors(validator, tomllib.loads(block)) == [], f"{page}: {block[:60]}"


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


def test_the_schema_includes_plugin_sections_and_is_stable(host) -> None:  # type: ignore[no-untyped-def]
    import clientwise_nps  # the example plugin, registered here rather than found installed

    schema = ruleset_schema(isolated_host(clientwise_nps))
    assert {"segmentation", "checklist", "profitability", "relationship", "nps", "tests", "extends", "plugins"} <= set(
        schema["properties"])
    assert schema["additionalProperties"] is False
    assert schema_text(isolated_host(clientwise_nps)) == schema_text(isolated_host(clientwise_nps))
    builtin_only = ruleset_schema(host)
    assert "nps" not in builtin_only["properties"]


def test_schema_command_writes_the_file(invoke, tmp_path: Path) -> None:
    code, out, _ = invoke("schema")
    assert code == 0 and json.loads(out)["title"] == "clientwise ruleset"
    target = tmp_path / "s.json"
    code, _, _ = invoke("schema", "-o", str(target))
    assert code == 0 and target.read_text() == out


def test_init_creates_a_folder_whose_tests_pass_and_lint_is_clean(invoke, host, tmp_path: Path, validator) -> None:  # type: ignore[no-untyped-def]
    code, out, err = invoke("init", "acme", "--dir", str(tmp_path))
    assert code == 0 and err == ""
    folder = tmp_path / "acme"
    assert out.splitlines()[:3] == [f"created {folder / name}" for name in ("acme.toml", "clientwise.schema.json", "README.md")]
    text = (folder / "acme.toml").read_text()
    assert text.startswith("#:schema ./clientwise.schema.json\n")
    assert 'extends = "default"' in text and "# [[segmentation.tiers]]" in text
    assert json.loads((folder / "clientwise.schema.json").read_text()) == ruleset_schema(host)
    assert "clientwise test acme/acme.toml" in (folder / "README.md").read_text()
    assert errors(validator, tomllib.loads(text)) == []
    code, out, _ = invoke("test", str(folder / "acme.toml"))
    assert code == 0 and out.count("  PASS  ") == 3 and "small_loss_maker" in out
    code, out, _ = invoke("check", str(folder / "acme.toml"), "--strict")
    assert code == 0 and "lint: no warnings" in out
    document = tomllib.loads(text)
    assert document["tests"][2]["expect"]["value_class"] == "value_destroyer"
    assert format_text(text) == text  # init writes files clientwise fmt leaves alone


def test_init_never_overwrites(invoke, tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "README.md").write_text("mine")
    code, _, err = invoke("init", "acme", "--dir", str(tmp_path))
    assert code == 2
    assert f"error: {tmp_path / 'acme' / 'README.md'}: already exists; clientwise init never overwrites" in err
    assert (tmp_path / "acme" / "README.md").read_text() == "mine"
    assert not (tmp_path / "acme" / "acme.toml").exists()


def test_init_from_another_ruleset_and_bad_names(invoke, tmp_path: Path) -> None:
    first = init_client("acme", directory=tmp_path)
    second = init_client("acme-eu", base=str(first.ruleset), directory=tmp_path / "eu")
    assert 'extends = "../../acme/acme.toml"' in second.ruleset.read_text()
    assert invoke("test", str(second.ruleset)).code == 0
    with pytest.raises(InputError) as error:
        init_client("../evil", directory=tmp_path)
    assert "CLIENT: the client name must be letters, digits" in error.value.render()
    code, _, err = invoke("init", "x", "--from", "defualt", "--dir", str(tmp_path))
    assert code == 2 and "did you mean 'default'?" in err


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


def test_fmt_command_rewrites_checks_and_rejects_bad_toml(write_ruleset, invoke) -> None:
    path = write_ruleset(MESSY, "messy.toml")
    checked = invoke("fmt", "--check", str(path))
    assert checked.code == 1 and checked.output.strip() == f"would reformat: {path}" and path.read_text() == MESSY
    formatted = invoke("fmt", str(path))
    assert formatted.code == 0 and formatted.output.strip() == f"reformatted: {path}" and path.read_text() == TIDY
    again = invoke("fmt", "--check", str(path))
    assert again.code == 0 and again.output.strip() == f"unchanged: {path}"
    broken = write_ruleset("a = [1,\n", "broken.toml")
    code, _, err = invoke("fmt", str(broken))
    assert code == 2 and f"error: {broken}: not valid TOML" in err and broken.read_text() == "a = [1,\n"


def test_a_client_ruleset_for_raw_exports_and_the_data_md_examples_validate(validator, docs) -> None:  # type: ignore[no-untyped-def]
    document = tomllib.loads((ROOT / "tests" / "data" / "mueller.toml").read_text(encoding="utf-8"))
    assert errors(validator, document) == []
    blocks = re.findall(r"```toml[^\n]*\n(.*?)```", (docs / "data.md").read_text(), re.S)
    assert blocks, "docs/data.md shows no TOML example any more"
    for block in blocks:
        assert errors(validator, {"data": {}} | tomllib.loads(block)) == [], block[:60]
