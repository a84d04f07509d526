"""Plugin discovery: entry points, broken plugins, duplicates, per-context managers."""

from __future__ import annotations

import importlib.metadata as metadata
from typing import ClassVar

import polars as pl
import pytest

from clientwise import InputError, PluginError, build_host, hookimpl, parse_ruleset
from clientwise.plugins import functions
from clientwise.sdk import Engine
from clientwise.sdk.testing import make_plugin

BUILTINS = {"functions", "loaders", "writers", "polars_engine", "polars_backend", "duckdb_backend", "segmentation", "checklist", "profitability", "relationship"}


def test_builtins_come_through_the_entry_point_group() -> None:
    names = {ep.name for ep in metadata.entry_points(group="clientwise")}
    assert BUILTINS <= names
    infos = {info.name: info for info in build_host().plugin_infos()}
    for name in BUILTINS:
        assert infos[name].status == "loaded"
        assert infos[name].distribution == "clientwise"
    assert "clientwise_sections" in infos["segmentation"].hooks
    assert set(build_host().sections()) >= {"segmentation", "checklist", "profitability", "relationship"}


def test_the_suite_runs_against_the_built_in_plugins_only() -> None:
    """What tests/conftest.py promises: a host built as a user's would be has only clientwise's own plugins."""
    loaded = {info.name: info.distribution for info in build_host().plugin_infos() if info.status == "loaded"}
    assert BUILTINS <= set(loaded)
    assert set(loaded.values()) == {"clientwise"}, loaded


@pytest.mark.installed_plugins
def test_a_test_about_installed_plugins_sees_them() -> None:
    assert {"nps", "rfm"} <= set(build_host().sections())  # the example plugins `make install` installs


def test_hosts_are_independent() -> None:
    class Extra(Engine):
        name: ClassVar[str] = "noop"
        description: ClassVar[str] = "x"

        def decide(self, frame, decisions, context):  # pragma: no cover - never called
            return pl.DataFrame()

    plugin = make_plugin(clientwise_engines=hookimpl(lambda: [Extra()]))
    one = build_host(plugins=[plugin])
    two = build_host()
    assert "noop" in one.engines()
    assert "noop" not in two.engines()


@pytest.mark.installed_plugins  # discovery: the broken entry point must be tried, not left out by the allow-list
def test_a_plugin_failing_to_import_is_reported_and_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = metadata.EntryPoint(name="broken", value="clientwise_no_such_module", group="clientwise")
    real = metadata.entry_points

    def fake(**kwargs):
        found = list(real(**kwargs))
        return [*found, broken] if kwargs.get("group") == "clientwise" else found

    monkeypatch.setattr(metadata, "entry_points", fake)
    host = build_host()
    info = {i.name: i for i in host.plugin_infos()}["broken"]
    assert info.status == "failed"
    assert "ModuleNotFoundError" in (info.error or "")
    assert "segmentation" in host.sections()  # the rest still works
    with pytest.raises(InputError) as error:
        parse_ruleset('extends = "default"\n[metadata]\nname = "x"\nrequires = ["broken"]\n', host=host)
    assert "requires plugin 'broken', which failed to load: ModuleNotFoundError" in str(error.value)
    assert error.value.exit_code == 2


def test_two_plugins_with_the_same_function_name_are_an_error() -> None:
    duplicate = make_plugin(clientwise_functions=hookimpl(lambda: [functions.clientwise_functions()[0]]))
    host = build_host(entry_points=False, plugins=[functions])
    host.register(duplicate, name="dupe")
    with pytest.raises(PluginError) as error:
        host.functions()
    assert "provided twice" in str(error.value)


def test_unknown_engine_suggests() -> None:
    from clientwise.errors import InputError

    with pytest.raises(InputError) as error:
        build_host().engine("polar")
    assert "did you mean 'polars'?" in str(error.value)
