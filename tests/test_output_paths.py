"""Issue 14, classes 6, 7 and 9: output paths, unsafe text in outputs, plugin writers' escaping.

Before: ``-o`` on a read-only place, a long name or a dangling link exited 1 naming the
hidden temporary file; SIGTERM left the temporary file behind; ``-o`` onto an input
replaced it; U+202E reached the terminal and HTML raw; Markdown linked bare URLs; a
plugin's tsv writer wrote ``=cmd()`` raw.
"""

from __future__ import annotations

import errno
import os
import re
import signal
from pathlib import Path

import pytest

from clientwise.output import atomic
from clientwise.output.atomic import atomic_writes

AS_OF = ("--as-of", "2026-06-30")


def refused(run, destination: Path | str, *parts: str) -> None:
    assert run.code == 2, run.output
    assert run.stderr.startswith(f"error: {destination}: -o: "), run.stderr
    assert ".tmp" not in run.stderr and "unexpected error" not in run.stderr
    for part in parts:
        assert part in run.stderr, (part, run.stderr)


@pytest.mark.parametrize(("where", "parts"), [
    ("/proc/out.csv", ("does not take new files",)),
    ("LONG", ("the name is longer than the system allows", "choose a shorter file name")),
    ("DANGLING", ("symbolic link to", "whose folder does not exist")),
    ("FILE/out.csv", ("is a file, so it cannot hold the output",)),
])
def test_an_output_that_cannot_be_written_names_the_target(tmp_path, invoke, where, parts) -> None:
    if where == "LONG":
        destination = tmp_path / ("a" * 300 + ".csv")
    elif where == "DANGLING":
        destination = tmp_path / "link.csv"
        destination.symlink_to(tmp_path / "gone" / "x.csv")
    elif where.startswith("FILE"):
        (tmp_path / "FILE").write_text("x")
        destination = tmp_path / where
    else:
        destination = Path(where)
    refused(invoke("demo", "-o", str(destination)), destination, *parts)


@pytest.mark.parametrize("number", [errno.EROFS, errno.EACCES, errno.ENOSPC])
def test_a_system_refusal_while_writing_names_the_target_not_the_temporary_file(
        tmp_path, invoke, monkeypatch, number) -> None:
    real_open = os.open

    def refuse(path, flags, *args):
        if str(path).endswith(".tmp"):
            raise OSError(number, os.strerror(number), str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(atomic.os, "open", refuse)
    destination = tmp_path / "out.csv"
    destination.write_text("previous")
    run = invoke("demo", "-o", str(destination))
    refused(run, destination, "cannot write the output", "the previous file, if any, is unchanged")
    assert destination.read_text() == "previous" and os.listdir(tmp_path) == ["out.csv"]


@pytest.mark.parametrize("which", ["customers.csv", "ruleset"])
def test_an_output_onto_an_input_is_refused(tmp_path, invoke, demo_data, which) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    ruleset = tmp_path / "client.toml"
    ruleset.write_text('extends = "default"\n')
    target = data / "customers.csv" if which == "customers.csv" else ruleset
    before = target.read_bytes()
    run = invoke("evaluate", str(ruleset), str(data), *AS_OF, "--format", "csv", "-o", str(target))
    refused(run, target, "would replace one of this run's input files")
    assert target.read_bytes() == before


def test_sigterm_while_writing_removes_the_temporary_file(tmp_path) -> None:
    destination = tmp_path / "out.csv"
    destination.write_text("previous")
    with pytest.raises(SystemExit) as stopped, atomic_writes() as group:
        group.open(destination).write(b"half")
        os.kill(os.getpid(), signal.SIGTERM)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert os.listdir(tmp_path) == ["out.csv"] and destination.read_text() == "previous"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is the caller's again


def test_a_second_ctrl_c_during_cleanup_waits_until_it_is_done(tmp_path, monkeypatch) -> None:
    real_remove = atomic._remove
    removed = []

    def interrupted_remove(path):
        os.kill(os.getpid(), signal.SIGINT)  # the impatient second Ctrl-C
        real_remove(path)
        removed.append(path)

    monkeypatch.setattr(atomic, "_remove", interrupted_remove)
    with pytest.raises(KeyboardInterrupt), atomic_writes() as group:
        for name in ("a.csv", "b.csv", "c.csv"):
            group.open(tmp_path / name).write(b"x")
        raise KeyboardInterrupt  # the first Ctrl-C
    assert len(removed) == 3 and os.listdir(tmp_path) == []


# -- class 7: unsafe text -----------------------------------------------------------------

BIDI_NAME = "Acme \u202egnp.exe\u202c Ltd"


@pytest.fixture
def bidi_data(tmp_path, demo_data) -> Path:
    import shutil

    import polars as pl

    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    frame = pl.read_csv(data / "customers.csv", infer_schema=False)
    names = ["see https://evil.example and www.evil.example"] + [BIDI_NAME] * (frame.height - 1)
    frame.with_columns(pl.Series("name", names)).write_csv(data / "customers.csv")
    return data


def test_bidi_controls_are_isolated_in_html_and_shown_in_the_terminal(tmp_path, invoke, bidi_data) -> None:
    html = tmp_path / "r.html"
    assert invoke("evaluate", "default", str(bidi_data), *AS_OF, "-o", str(html)).code == 0
    page = html.read_text()
    assert "<bdi>Acme \u202egnp.exe\u202c Ltd</bdi>" in page
    assert page.count("\u202e") == page.count("<bdi>Acme \u202e")  # never outside an isolate
    table = invoke("evaluate", "default", str(bidi_data), *AS_OF, "--explain", "C00002")
    assert "\u202e" not in table.output and "<U+202E>" in table.output


def test_markdown_names_cannot_become_links_or_reverse_text(tmp_path, invoke, bidi_data) -> None:
    from clientwise.plugins.reports.md import md

    assert md("see https://evil.example, www.evil.example or a@evil.example") == \
        "see https\\://evil.example, www\\.evil.example or a\\@evil.example"
    assert md(BIDI_NAME) == "Acme \\<U+202E\\>gnp.exe\\<U+202C\\> Ltd"


def test_error_messages_quoting_data_show_control_codes(tmp_path, invoke) -> None:
    data = tmp_path / "customers.csv"
    data.write_text(f"customer_id,name,revenue\nC1,x,\u202e12\x1b[31m\n")
    run = invoke("evaluate", "default", str(data), *AS_OF)
    assert run.code == 2 and "\u202e" not in run.stderr and "\x1b" not in run.stderr and "<U+202E>" in run.stderr


# -- class 9: plugin writers escape by default ------------------------------------------------

@pytest.mark.installed_plugins
def test_a_plugin_writer_gets_formula_escaped_text(tmp_path, invoke, demo_data) -> None:
    import shutil

    import polars as pl

    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    frame = pl.read_csv(data / "customers.csv", infer_schema=False)
    frame.with_columns(pl.lit('=HYPERLINK("http://x","y")').alias("name")).write_csv(data / "customers.csv")
    out = tmp_path / "r.tsv"
    assert invoke("evaluate", "default", str(data), *AS_OF, "-o", str(out)).code == 0
    text = out.read_text()
    assert "'=HYPERLINK(" in text and not re.search(r'(^|\t)"?=HYPERLINK', text, re.MULTILINE)


def test_assert_plugin_valid_catches_a_writer_that_opts_out_without_escaping() -> None:
    import csv
    import io
    import types
    from typing import ClassVar

    from clientwise.sdk import Writer, hookimpl
    from clientwise.sdk.testing import assert_plugin_valid

    class RawTsv(Writer):
        format: ClassVar[str] = "rawtsv"
        suffix: ClassVar[str] = ".tsv"
        description: ClassVar[str] = "names as they are"
        escape_formulas: ClassVar[bool] = False

        def write(self, result, stream) -> None:
            text = io.StringIO()
            csv.writer(text, delimiter="\t").writerows(result.customers.select("customer_id", "name").rows())
            stream.write(text.getvalue().encode())

    def writers(raw: bool) -> types.ModuleType:
        plugin = types.ModuleType("plugin")
        kind = RawTsv if raw else type("EscapedTsv", (RawTsv,), {"escape_formulas": True})
        plugin.clientwise_writers = hookimpl(lambda: [kind()])
        return plugin

    assert_plugin_valid(writers(raw=False))
    with pytest.raises(AssertionError, match="writes the customer name .* raw, so a spreadsheet would run it"):
        assert_plugin_valid(writers(raw=True))
