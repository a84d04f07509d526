"""The report stage: choosing a writer, writing whole-or-nothing to files and stdout."""

from __future__ import annotations

import datetime as dt
import errno
import io
import json
import os
import sys
from pathlib import Path
from typing import BinaryIO, ClassVar

import polars as pl
import pytest

from clientwise.errors import InputError
from clientwise.output.atomic import AtomicGroup, atomic_write, atomic_writes
from clientwise.output.write import choose_writer, write_result
from clientwise.plugins.io.writers import clientwise_writers
from clientwise.runtime.result import Result, RulesetIdentity
from clientwise.sdk import Writer

WRITERS = {writer.format: writer for writer in clientwise_writers()}


def small_result() -> Result:
    customers = pl.DataFrame({"customer_id": ["C1", "C2"], "name": ["Acme", "=1+1"], "actions": [[], []]})
    return Result(
        ruleset=RulesetIdentity("default", "1.0.0", "feedface" * 8, ("default.toml",)),
        as_of=dt.date(2026, 6, 30),
        engine="polars",
        key="customer_id",
        name="name",
        customers=customers,
        actions=pl.DataFrame(schema={"customer_id": pl.String, "name": pl.String, "rule": pl.String,
                                     "action": pl.String, "priority": pl.Int64, "because": pl.String}),
        columns=[],
    )


class Fixed(Writer):
    format: ClassVar[str] = "fixed"
    suffix: ClassVar[str] = ".fx"
    description: ClassVar[str] = "writes a fixed text"

    def write(self, result: Result, stream: BinaryIO) -> None:
        stream.write(b"new content\n")


class FailsHalfway(Fixed):
    def write(self, result: Result, stream: BinaryIO) -> None:
        stream.write(b"half of the new con")
        stream.flush()
        raise RuntimeError("the writer broke")


class DiskFull(Fixed):
    def write(self, result: Result, stream: BinaryIO) -> None:
        stream.write(b"some")
        raise OSError(errno.ENOSPC, "No space left on device")


class TerminalProbe(Fixed):
    def write(self, result: Result, stream: BinaryIO) -> None:
        stream.write(b"terminal\n" if stream.isatty() else b"not a terminal\n")


class _Terminal(io.BytesIO):
    def isatty(self) -> bool:
        return True


# --------------------------------------------------------------------------- choose_writer


@pytest.mark.parametrize(
    ("fmt", "destination", "chosen"),
    [
        (None, None, "table"),
        ("csv", None, "csv"),
        ("JSON", None, "json"),
        (None, "out.csv", "csv"),
        (None, "out.JSON", "json"),
        (None, "out.jsonl", "jsonl"),
        (None, "out.ndjson", "jsonl"),
        (None, "report.txt", "table"),
        (None, "report", "table"),
        ("csv", "report.json", "csv"),  # an explicit format wins over the suffix
    ],
)
def test_choose_writer(fmt, destination, chosen):
    path = Path(destination) if destination else None
    assert choose_writer(WRITERS, fmt, path).format == chosen
    assert choose_writer(list(WRITERS.values()), fmt, path).format == chosen


def test_unknown_format_lists_the_formats_and_suggests_the_closest():
    with pytest.raises(InputError) as raised:
        choose_writer(WRITERS, "jsn", None)
    message = raised.value.render()
    assert "unknown output format 'jsn'" in message
    assert "did you mean 'json'?" in message
    assert "csv, json, jsonl, parquet, table" in message
    assert raised.value.exit_code == 2


def test_unknown_suffix_is_an_error_not_a_guess():
    with pytest.raises(InputError) as raised:
        choose_writer(WRITERS, None, Path("out/report.xlsx"))
    message = raised.value.render()
    assert "suffix '.xlsx'" in message and "out/report.xlsx" in message
    assert ".csv, .json, .jsonl, .ndjson, .parquet, .txt" in message


def test_a_plugin_writer_is_chosen_by_its_suffix():
    assert isinstance(choose_writer({**WRITERS, "fixed": Fixed()}, None, Path("x.fx")), Fixed)


# --------------------------------------------------------------------------- stdout


def test_stdout_gets_exactly_what_the_writer_wrote():
    target = io.BytesIO()
    write_result(small_result(), WRITERS["csv"], None, stdout=target)
    assert target.getvalue() == b"customer_id,name,actions\nC1,Acme,\"\"\nC2,'=1+1,\"\"\n"


def test_stdout_gets_nothing_when_the_writer_fails_halfway():
    target = io.BytesIO()
    with pytest.raises(RuntimeError, match="the writer broke"):
        write_result(small_result(), FailsHalfway(), None, stdout=target)
    assert target.getvalue() == b""


def test_the_writer_still_knows_whether_stdout_is_a_terminal():
    terminal, pipe = _Terminal(), io.BytesIO()
    write_result(small_result(), TerminalProbe(), None, stdout=terminal)
    write_result(small_result(), TerminalProbe(), None, stdout=pipe)
    assert (terminal.getvalue(), pipe.getvalue()) == (b"terminal\n", b"not a terminal\n")


def test_default_stdout_is_sys_stdout_in_bytes_or_text(monkeypatch):
    binary = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", binary)
    write_result(small_result(), Fixed(), None)
    assert binary.buffer.getvalue() == b"new content\n"
    text_only = io.StringIO()
    monkeypatch.setattr(sys, "stdout", text_only)
    write_result(small_result(), Fixed(), None)
    assert text_only.getvalue() == "new content\n"


# --------------------------------------------------------------------------- files


def test_a_file_is_written_and_replaced(tmp_path):
    out = tmp_path / "result.csv"
    write_result(small_result(), WRITERS["csv"], out)
    assert out.read_bytes().startswith(b"customer_id,name,actions\n")
    write_result(small_result(), Fixed(), out)
    assert out.read_bytes() == b"new content\n"
    assert os.listdir(tmp_path) == ["result.csv"]


def test_a_writer_failing_halfway_leaves_the_old_file_and_no_temporary_file(tmp_path):
    out = tmp_path / "result.csv"
    out.write_bytes(b"last quarter\n")
    with pytest.raises(RuntimeError, match="the writer broke"):
        write_result(small_result(), FailsHalfway(), out)
    assert out.read_bytes() == b"last quarter\n"
    assert os.listdir(tmp_path) == ["result.csv"]


def test_a_failing_writer_creates_no_file_at_all_when_there_was_none(tmp_path):
    with pytest.raises(RuntimeError):
        write_result(small_result(), FailsHalfway(), tmp_path / "new.csv")
    assert os.listdir(tmp_path) == []


def test_a_full_disk_is_reported_as_an_input_error(tmp_path):
    out = tmp_path / "result.csv"
    out.write_bytes(b"last quarter\n")
    with pytest.raises(InputError, match="free some disk space"):
        write_result(small_result(), DiskFull(), out)
    assert out.read_bytes() == b"last quarter\n" and os.listdir(tmp_path) == ["result.csv"]


def test_a_locked_destination_is_reported_and_left_alone(tmp_path, monkeypatch):
    out = tmp_path / "result.csv"
    out.write_bytes(b"last quarter\n")

    def locked(source, destination):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(InputError) as raised:
        write_result(small_result(), Fixed(), out)
    assert "Excel" in raised.value.render() and "previous file, if any, is unchanged" in raised.value.render()
    assert out.read_bytes() == b"last quarter\n" and os.listdir(tmp_path) == ["result.csv"]


def test_a_missing_directory_or_a_directory_destination_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="directory does not exist"):
        write_result(small_result(), Fixed(), tmp_path / "missing" / "result.csv")
    with pytest.raises(InputError, match="is a directory"):
        write_result(small_result(), Fixed(), tmp_path)


def test_permissions_are_kept_on_replace_and_follow_the_umask_for_new_files(tmp_path):
    existing = tmp_path / "shared.csv"
    existing.write_bytes(b"old")
    existing.chmod(0o640)
    write_result(small_result(), Fixed(), existing)
    assert existing.stat().st_mode & 0o777 == 0o640
    umask = os.umask(0o022)
    try:
        write_result(small_result(), Fixed(), tmp_path / "fresh.csv")
    finally:
        os.umask(umask)
    assert (tmp_path / "fresh.csv").stat().st_mode & 0o777 == 0o644


# --------------------------------------------------------------------------- atomic


def test_atomic_writes_commit_all_files_or_none(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.json"
    first.write_text("old a")
    with pytest.raises(ValueError, match="stop"):
        with atomic_writes() as group:
            group.open(first).write(b"new a")
            group.open(second).write(b"new b")
            raise ValueError("stop")
    assert first.read_text() == "old a" and not second.exists()
    assert sorted(os.listdir(tmp_path)) == ["a.csv"]
    with atomic_writes() as group:
        group.open(first).write(b"new a")
        group.open(second).write(b"new b")
    assert (first.read_text(), second.read_text()) == ("new a", "new b")
    assert sorted(os.listdir(tmp_path)) == ["a.csv", "b.json"]


def test_atomic_write_goes_through_a_symbolic_link(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("old")
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    with atomic_write(link) as stream:
        stream.write(b"new")
    assert link.is_symlink() and target.read_text() == "new"


def test_a_group_refuses_the_same_file_twice_and_reuse_after_commit(tmp_path):
    group = AtomicGroup()
    group.open(tmp_path / "a")
    with pytest.raises(ValueError, match="already being written"):
        group.open(tmp_path / "a")
    group.commit()
    with pytest.raises(RuntimeError):
        group.open(tmp_path / "b")
    assert os.listdir(tmp_path) == ["a"]


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def sample_result() -> Result:
    import clientwise
    from clientwise.sample import demo_path

    return clientwise.evaluate("default", demo_path(), as_of="2026-06-30")


def test_every_format_of_the_sample_is_written_and_reads_back(sample_result, host, tmp_path):
    writers = host.writers()
    assert {"table", "csv", "json", "jsonl"} <= set(writers)
    result = sample_result
    keys = result.customers.get_column(result.key).cast(pl.String).to_list()
    paths = {}
    for fmt in ("table", "csv", "json", "jsonl"):
        paths[fmt] = tmp_path / f"sample{writers[fmt].suffix}"
        write_result(result, choose_writer(writers, None, paths[fmt]), paths[fmt])
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in paths.values())

    csv = pl.read_csv(paths["csv"], infer_schema=False)
    assert csv.columns == result.customers.columns
    assert csv.get_column(result.key).to_list() == keys

    document = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert document["schema"] == "clientwise.runtime.result/1" and document["customer_count"] == len(keys)
    assert [c["key"] for c in document["customers"]] == keys
    assert all(c["explanation"] is None for c in document["customers"])  # only when asked (--explain-all)
    traced = tmp_path / "traced" / "sample.json"
    traced.parent.mkdir()
    write_result(result, writers["json"].configure(traces="true"), traced)
    explained = json.loads(traced.read_text(encoding="utf-8"))["customers"]
    assert all(c["explanation"] is not None and c["explanation"]["rules"] for c in explained)
    assert [{**c, "explanation": None} for c in explained] == document["customers"]
    assert list(document["portfolio"]) == [s.section for s in result.summaries]
    fired = sum(len(c["actions"]) for c in document["customers"])
    assert fired == result.actions.height

    lines = [json.loads(line) for line in paths["jsonl"].read_text(encoding="utf-8").splitlines()]
    assert [line["record"] for line in lines] == (
        ["header"] + ["customer"] * len(keys) + ["portfolio"] * len(result.summaries)
    )
    assert [line["key"] for line in lines[1 : len(keys) + 1]] == keys

    table = paths["table"].read_text(encoding="utf-8")
    assert f"{result.ruleset.name} {result.ruleset.version} (hash {result.ruleset.hash[:12]})" in table
    assert "\x1b" not in table


_RUN = """
import sys
import clientwise
from clientwise.output.write import choose_writer, write_result
from clientwise.sample import demo_path
result = clientwise.evaluate("default", demo_path(), as_of="2026-06-30")
writers = clientwise.build_host().writers()
for fmt in ("json", "csv", "table", "html", "md", "xlsx"):
    write_result(result, choose_writer(writers, fmt, None), None)
"""


def test_the_sample_gives_byte_identical_output_in_separate_processes():
    """String hashing differs between processes; no output may depend on it."""
    import subprocess

    outputs = [
        subprocess.run([sys.executable, "-c", _RUN], capture_output=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed, "NO_COLOR": "1"}).stdout
        for seed in ("1", "2")
    ]
    assert outputs[0] == outputs[1]
    assert outputs[0].startswith(b'{\n  "schema":"clientwise.runtime.result/1",\n')
