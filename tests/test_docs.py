"""The docs cannot fall behind the code: every hook, CLI command and linked page exists."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pluggy

from clientwise.cli.app import cli
from clientwise.host import spec as hookspecs
from clientwise.host.manager import PluginHost

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def hook_names() -> list[str]:
    return [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("clientwise_")]


def test_the_hooks_named_here_are_the_hooks_pluggy_registers() -> None:
    """hook_names() reads the module's functions; pluggy reads the @hookspec markers: the
    documentation tests below check every hook only if the two agree."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    registered = sorted(name for name in dir(hookspecs) if manager.parse_hookspec_opts(hookspecs, name) is not None)
    assert registered, "the hookspecs module declares no hook"
    assert hook_names() == registered


def section(text: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"docs/plugin-hooks.md has no '## {heading}' heading"
    return match.group(1)


def added_in(name: str) -> str:
    match = re.search(r"Added in (\d+\.\d+\.\d+)\.", getattr(hookspecs, name).__doc__ or "")
    assert match, f"the {name} hookspec docstring does not end with 'Added in X.Y.Z.'"
    return match.group(1)


def test_every_hook_is_documented_with_its_signature_and_an_example() -> None:
    text = (DOCS / "plugin-hooks.md").read_text()
    assert hook_names(), "no hook to check"
    headings = re.findall(r"^## (clientwise_\w+)\(", text, re.M)
    assert sorted(headings) == sorted(hook_names()), "a hook is missing from docs/plugin-hooks.md, or is extra"
    for name in hook_names():
        signature = inspect.signature(getattr(hookspecs, name))
        body = section(text, f"{name}({', '.join(signature.parameters)})")
        params = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
        assert f"`{name}({params}) -> {signature.return_annotation}`" in body, \
            f"{name}: documented signature differs from the hookspec"
        assert f"* **Added in:** {added_in(name)}\n" in body, f"{name}: documented version differs from the hookspec"
        for part in ("* **Parameters:**", "* **Returns:**", "* **Called:**"):
            assert part in body, f"{name}: no '{part}' line"
        assert "```python" in body and "@hookimpl" in body, f"{name} has no example implementation"


def test_the_lifecycle_section_names_every_hook_in_call_order() -> None:
    text = section((DOCS / "plugin-hooks.md").read_text(), "Lifecycle")
    positions = {name: text.find(f"`{name}`") for name in hook_names()}
    assert all(position > 0 for position in positions.values()), positions
    assert positions["clientwise_sections"] < positions["clientwise_functions"] < positions["clientwise_loaders"]
    assert positions["clientwise_loaders"] < positions["clientwise_before_evaluate"] < positions["clientwise_after_evaluate"]


def test_every_hookspec_has_a_docstring() -> None:
    for name in hook_names():
        assert (getattr(hookspecs, name).__doc__ or "").strip(), name


def test_every_cli_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    for command in cli.commands:
        assert f"## clientwise {command}\n" in text, f"docs/cli.md lacks '## clientwise {command}'"


def test_readme_links_resolve_and_show_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    for link in re.findall(r"\]\(((?:docs|bench)/[^)#]+)\)", readme):
        assert (ROOT / link).exists(), f"README links to missing {link}"


def test_every_builtin_section_has_a_doc_page(host: PluginHost) -> None:
    sections = host.sections()  # the built-ins: they load whether or not the durable extra is installed
    assert {"segmentation", "checklist", "profitability", "relationship"} <= set(sections)
    for name in sections:
        assert (DOCS / "plugins" / f"{name}.md").exists(), f"no docs/plugins/{name}.md"


def test_the_section_contract_and_every_report_block_are_documented() -> None:
    """A plugin author finds each SectionHandler method and each block type on the hooks page."""
    from clientwise import sdk
    from clientwise.host.contracts import SectionHandler
    from clientwise.output import blocks

    text = section((DOCS / "plugin-hooks.md").read_text(), "clientwise_sections()")
    methods = [name for name, _ in inspect.getmembers(SectionHandler, inspect.isfunction) if not name.startswith("_")]
    assert sorted(methods) == ["compile", "report", "summarize"]
    for name in methods:
        assert re.search(rf"`{name}\(config, (\w+, )?context\) -> \w+", text), f"SectionHandler.{name} is not documented"
    kinds = [name for name, item in inspect.getmembers(blocks, inspect.isclass)
             if issubclass(item, blocks.Block) and item not in (blocks.Block, blocks.Chart)]
    assert {"Figures", "Note", "Table", "CurveChart", "BarChart", "StackedBarChart"} <= set(kinds)
    for name in kinds:
        assert f"`{name}" in text, f"the block {name} is not documented in docs/plugin-hooks.md"
        assert getattr(sdk, name) is getattr(blocks, name), f"clientwise.sdk does not export {name}"
