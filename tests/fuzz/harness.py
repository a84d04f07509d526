"""Fuzz targets and mutators shared by ``tests/test_fuzz.py`` (bounded, in every test run)
and ``tests/fuzz/run.py`` (the long run, by hand).

The promise under test (docs/reliability.md): every input either succeeds or raises
the project's own :class:`~clientwise.errors.InputError` with a location (a file, and
for expressions a key path); nothing else escapes: no Python exception, no panic, no
hang. A target returns normally on success and on a located ``InputError``, and
raises :class:`Broken` (or lets the unexpected exception through) otherwise.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from clientwise.errors import InputError

#: Text that broke parsers or checks before issue 14, spliced into mutated inputs.
INTERESTING = (
    "[" * 300, "{" * 300, "]", "}", "(", ")", '"', "'", '"""', "\\", "\\ud800", "\ud800", "\x00", "\r", "\r\n",
    "\n", "\t", ",", ";", "=", "==", "1e999", "-1e999", "1e-5", "1e16", "1e308", "9223372036854775807",
    "-9223372036854775809", "18446744073709551616", "nan", "inf", "-0.0", "0x10", "1_000", "1and", "2026-03-31T25:00:00",
    "2026-02-30", "\u202e", "=HYPERLINK(\"x\")", "@SUM(A1)", "id", "remove = true", "extends", "null", "true",
    "[]", "{}", "[[rules]]", "\ufeff", "é", "\U0001F600", "\xff",
)
DATA_SEEDS = ("csv", "json", "jsonl", "parquet", "xlsx")


class Broken(AssertionError):
    """A promise was broken: an input got an error without a location."""


def _located(error: InputError, what: str) -> None:
    if not error.problems:
        raise Broken(f"{what}: an InputError without problems")
    for problem in error.problems:
        if not (problem.file or problem.location):
            raise Broken(f"{what}: a problem without a file or location: {problem.render()}")


# -- expressions --------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _expression_setup() -> tuple[Any, Any, Any]:
    from clientwise import expr
    from clientwise.compiler.compile import base_scope
    from clientwise.runtime.evaluator import load_ruleset
    from clientwise.sdk.testing import isolated_host

    host = isolated_host()
    ruleset = load_ruleset("default", host=host)
    return expr, base_scope(ruleset), host.functions()


def expression(text: str, *, template: bool = False) -> None:
    """Parse and type-check ``text`` as a derived field, a rule and a ``because`` template."""
    from clientwise.compiler.plan import Source
    from clientwise.expr.template import check_template, parse_template

    expr, scope, functions = _expression_setup()
    source = Source("fuzz.toml", "rules[0].when")
    try:
        if template:
            check_template(parse_template(text, source), scope, functions, source=source)
            return
        node = expr.parse(text, source)
        for population in (False, True):
            expr.check(node, scope, functions, allow_population=population, source=source)
    except InputError as error:
        _located(error, f"expression {text!r}")


# -- rulesets -----------------------------------------------------------------------------

@lru_cache(maxsize=1)
def shipped_text() -> str:
    from importlib import resources

    return resources.files("clientwise.rulesets").joinpath("default.toml").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _ruleset_host() -> Any:
    """One host for every mutated ruleset: loading a ruleset never changes its host
    (``Ruleset.disabled`` is applied as a view), so sharing it cannot leak one input
    into the next, and building a host per input would dominate the run."""
    from clientwise.sdk.testing import isolated_host

    return isolated_host()


def ruleset(text: str | bytes, folder: Path) -> None:
    """Read (through ``extends`` when the text has one), merge, validate, compile and lint."""
    from clientwise.authoring.lint import lint
    from clientwise.runtime.evaluator import Evaluator, load_ruleset

    path = folder / "fuzz.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    host = _ruleset_host()
    try:
        loaded = load_ruleset(path, host=host)
        lint(Evaluator(loaded, host=host).program)
    except InputError as error:
        _located(error, "ruleset")


# -- data files -----------------------------------------------------------------------------

_RULESET = """schema = 1
[metadata]
name = "fuzz"
[data.customers.fields]
customer_id = { type = "string", required = true, nullable = false }
name = { type = "string" }
revenue = { type = "money", min = 0 }
since = { type = "date" }
active = { type = "boolean" }
visits = { type = "integer" }
[[rules]]
id = "big"
when = "revenue > 1000 and active"
action = "call"
because = "{name}: {revenue}"
"""


@lru_cache(maxsize=1)
def _data_setup() -> Any:
    from clientwise.runtime.evaluator import Evaluator, parse_ruleset
    from clientwise.sdk.testing import isolated_host

    host = isolated_host()
    return Evaluator(parse_ruleset(_RULESET, origin="fuzz.toml", host=host), host=host)


@cache
def data_seed(kind: str) -> bytes:
    """A small valid file of each format, the starting point of mutations."""
    import io

    import polars as pl

    frame = pl.DataFrame({
        "customer_id": ["C1", "C2", "C3"], "name": ["Acme", "=cmd()", "Zeta \u00e9"],
        "revenue": ["1200.50", "80", ""], "since": ["2024-01-31", "2023-12-01", ""],
        "active": ["yes", "no", ""], "visits": ["3", "", "12"],
    })
    buffer = io.BytesIO()
    if kind == "csv":
        frame.write_csv(buffer)
    elif kind == "json":
        frame.write_json(buffer)
    elif kind == "jsonl":
        frame.write_ndjson(buffer)
    elif kind == "parquet":
        frame.write_parquet(buffer)
    elif kind == "xlsx":
        import datetime as dt

        import openpyxl

        from clientwise.plugins.reports.xlsx import save

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "customers"
        sheet.append(frame.columns)
        for row in frame.rows():
            sheet.append(list(row))
        # Fixed timestamps: a seed must give the same bytes in every process, or a crasher
        # regenerated from its seed would not be the input that crashed.
        stamp = dt.datetime(2026, 1, 1)
        book.properties.created = stamp
        buffer.write(save(book, stamp))
    else:
        raise ValueError(kind)
    return buffer.getvalue()


def data(kind: str, content: bytes, folder: Path) -> None:
    """Load, validate and evaluate ``content`` as ``customers.<kind>``."""
    path = folder / f"customers.{kind}"
    path.write_bytes(content)
    try:
        _data_setup().evaluate(path, as_of="2026-06-30")
    except InputError as error:
        _located(error, f"{kind} file")


# -- mutations ------------------------------------------------------------------------------

def mutate_text(text: str, rng: random.Random, steps: int | None = None) -> str:
    """A few random edits: splice interesting text, delete, duplicate or swap spans."""
    for _ in range(steps or rng.randint(1, 4)):
        if not text:
            text = rng.choice(INTERESTING)
            continue
        at = rng.randrange(len(text) + 1)
        span = rng.randint(1, 40)
        choice = rng.random()
        if choice < 0.45:
            text = text[:at] + rng.choice(INTERESTING) + text[at:]
        elif choice < 0.65:
            text = text[:at] + text[at + span:]
        elif choice < 0.8:
            text = text[:at] + text[at:at + span] * rng.randint(2, 4) + text[at:]
        elif choice < 0.9:
            lines = text.split("\n")
            rng.shuffle(lines) if len(lines) < 8 else lines.insert(rng.randrange(len(lines)), rng.choice(lines))
            text = "\n".join(lines)
        else:
            text = text[:at] + str(rng.choice([0, -1, 1.5, 10**20, 1e308, "x"])) + text[at + span:]
    return text


def mutate_bytes(content: bytes, rng: random.Random, steps: int | None = None) -> bytes:
    """Byte-level edits, for binary formats (Parquet, xlsx) and encodings."""
    data = bytearray(content)
    for _ in range(steps or rng.randint(1, 6)):
        if not data:
            data.extend(rng.choice(INTERESTING).encode("utf-8", "surrogatepass"))
            continue
        at = rng.randrange(len(data))
        choice = rng.random()
        if choice < 0.5:
            data[at] = rng.randrange(256)
        elif choice < 0.7:
            del data[at:at + rng.randint(1, 64)]
        elif choice < 0.85:
            data[at:at] = rng.choice(INTERESTING).encode("utf-8", "surrogatepass")
        else:
            data[at:at] = data[at:at + rng.randint(1, 64)]
    return bytes(data)


def mutate_data(kind: str, rng: random.Random) -> bytes:
    seed = data_seed(kind)
    if kind in ("csv", "json", "jsonl") and rng.random() < 0.7:
        return mutate_text(seed.decode("utf-8"), rng).encode("utf-8", "surrogatepass")
    return mutate_bytes(seed, rng)


def ruleset_variant(rng: random.Random) -> str:
    """The shipped ruleset mutated, or a small extending ruleset with mutated overrides."""
    if rng.random() < 0.5:
        return mutate_text(shipped_text(), rng)
    override = rng.choice([
        '[[rules]]\nid = "mine"\nwhen = "revenue > 10"\naction = "a"\nbecause = "b"\npriority = 3\n',
        '[[segmentation.tiers]]\nid = "core"\nshare = 0.2\n',
        '[data.customers.fields]\nextra = { type = "number", min = 0 }\n',
        '[derive]\nx = "revenue * 2"\n',
        '[[checklist.questions]]\nid = "q_new"\ntext = "?"\nwhen = "revenue > 0"\n',
    ])
    return 'extends = "default"\n' + mutate_text(override, rng)


def in_temporary_folder(target: Callable[[Path], None]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target(Path(folder))
