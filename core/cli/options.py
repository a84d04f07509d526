"""What every command shares: click settings, common options, the plugin host and exit codes.

``--disable-plugin NAME`` (repeatable) and ``--strict-plugins`` are stored on the click
context, so commands get their host from :func:`plugin_host` (the one factory) and
their fault policy from :func:`strict_plugins` without growing their own signatures.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from clientwise.errors import FAULT_EXIT_CODE
from clientwise.host.contracts import BackendOptions
from clientwise.host.factory import build_host
from clientwise.host.manager import PluginHost
from clientwise.host.selection import refuse_essential
from clientwise.ruleset.data import RELATED_TABLES

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

as_of_option = click.option("--as-of", "as_of", metavar="DATE",
                            help="Reference date YYYY-MM-DD for 'days since' (default: today).")
format_option = click.option("--format", "-f", "fmt", metavar="FORMAT",
                             help="Output format: table, csv, json, jsonl, html, xlsx, md, pdf, or a plugin's "
                                  "(default: from -o's suffix, else table).")
output_option = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                             help="Write to this file (atomically) instead of standard output.")
engine_option = click.option("--engine", default="polars", show_default=True,
                             help="Decision engine (clientwise plugins lists them).")
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress indicator.")
strict_data_option = click.option(
    "--strict-data", is_flag=True,
    help="Treat the data warnings (values no map covers, rows of unknown customers kept or left out, "
    "tables or columns the export lacks) as errors: exit 2, nothing written.")



F = TypeVar("F", bound=Callable[..., Any])


def remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """An option callback keeping the option's value on the root context under ``key``,
    so shared options (plugins, saving) need no parameter in every command."""
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        root = ctx.find_root()
        root.obj = root.obj or {}
        if value:
            root.obj[key] = value
        return value
    return callback


def backend_options(command: F) -> F:
    """Add ``--backend``, ``--memory-limit``, ``--spill-dir`` and ``--threads``; the command
    reads them with :func:`chosen_backend` (kept on the root context, like the plugin options)."""
    for option in reversed([
        click.option("--backend", default="polars", show_default=True, expose_value=False,
                     callback=remember("backend"),
                     help="Where the whole run happens: polars (in memory) or duckdb (out of core); "
                          "clientwise plugins lists the installed ones."),
        click.option("--memory-limit", metavar="SIZE", expose_value=False, callback=remember("memory_limit"),
                     help="Memory the backend may use before it spills to disk, e.g. 4GB (duckdb)."),
        click.option("--spill-dir", type=click.Path(file_okay=False, path_type=Path), expose_value=False,
                     callback=remember("spill_dir"),
                     help="Where the backend spills what does not fit (duckdb; default: the system's temp folder)."),
        click.option("--threads", type=click.IntRange(1), expose_value=False, callback=remember("threads"),
                     help="Threads the backend may use (duckdb; default: one per core)."),
        click.option("--table", "tables", multiple=True, metavar="TABLE=NAME", expose_value=False,
                     callback=remember("tables"),
                     help="With a DuckDB database as DATA: the table or view holding an input table, e.g. "
                          "customers=crm.accounts_view (repeatable; default: the table's own name; duckdb)."),
    ]):
        command = option(command)
    return command


def chosen_backend() -> tuple[str, BackendOptions]:
    """The backend name and options given to this command (polars without options by default)."""
    options = _options()
    tables = []
    for entry in options.get("tables") or ():
        table, sign, name = entry.partition("=")
        if not sign or table.strip() not in ("customers", *RELATED_TABLES) or not name.strip():
            raise click.BadParameter(f"'{entry}': write TABLE=NAME, TABLE one of customers, {', '.join(RELATED_TABLES)}, NAME a table "
                                     "or view of the database (schema.view where needed)", param_hint="--table")
        tables.append((table.strip(), name.strip()))
    return options.get("backend", "polars"), BackendOptions(
        memory_limit=options.get("memory_limit"), spill_dir=options.get("spill_dir"), threads=options.get("threads"),
        tables=tuple(tables))


def plugin_options(command: F) -> F:
    """Add ``--disable-plugin`` and ``--strict-plugins`` to an evaluating command."""
    command = click.option(
        "--strict-plugins", is_flag=True, expose_value=False, callback=remember("strict_plugins"),
        help=f"Stop at the first exception inside a plugin (otherwise the run goes on, marks the output "
             f"as an error and exits with {FAULT_EXIT_CODE}).",
    )(command)
    return disable_option(command)


def disable_option(command: F) -> F:
    """Add ``--disable-plugin NAME`` (repeatable)."""
    return click.option(
        "--disable-plugin", "disable_plugins", multiple=True, metavar="NAME", expose_value=False,
        callback=remember("disable_plugins"),
        help="Run without this plugin (repeatable; also CLIENTWISE_DISABLE_PLUGINS=a,b).",
    )(command)


def writer_options(command: F) -> F:
    """Add the options that set up the writer: ``--paper``, ``--csv-dialect`` and ``--explain-all``."""
    command = click.option(
        "--explain-all", is_flag=True, default=None, flag_value="true", expose_value=False,
        callback=remember("traces"),
        help="Embed every customer's explanation in JSON or JSON Lines output (large: tens of kB per customer).",
    )(command)
    command = click.option(
        "--csv-dialect", metavar="DIALECT", expose_value=False, callback=remember("csv_dialect"),
        help="CSV for a spreadsheet program: excel-de (';' between cells, decimal comma, UTF-8 with BOM), "
             "excel-en, or excel-LOCALE such as excel-fr (default: plain machine-readable CSV).",
    )(command)
    return click.option(
        "--paper", metavar="SIZE", expose_value=False, callback=remember("paper"),
        help="Paper for pdf, html and xlsx (landscape): a4, a3, letter or legal "
             "(default: a4 for pdf, the printer's paper otherwise).",
    )(command)


def chosen_writer_options() -> dict[str, str | None]:
    """The writer options given on the command line (None: not given)."""
    return {name: _options().get(name) for name in ("paper", "csv_dialect", "traces")}


def _options() -> dict[str, Any]:
    ctx = click.get_current_context(silent=True)
    return (ctx.find_root().obj or {}) if ctx else {}


def plugin_host() -> PluginHost:
    """The host for this command, from the one factory: the installed plugins minus those
    switched off by ``CLIENTWISE_DISABLE_PLUGINS`` / ``CLIENTWISE_LOAD_PLUGINS`` and
    ``--disable-plugin``. A ruleset's own ``[plugins] disable`` is applied by the evaluator.

    ``clientwise.sdk.testing.run_cli`` passes its own isolated host as ``obj={"host": ...}``;
    ``--disable-plugin`` then gives a view of it without those plugins.
    """
    disabled = list(_options().get("disable_plugins", ()))
    given = _options().get("host")
    if given is None:
        return build_host(disable=disabled)
    refuse_essential(disabled, location="--disable-plugin")
    return given.without({name: "disabled by --disable-plugin" for name in disabled})  # type: ignore[no-any-return]


def strict_plugins() -> bool:
    return bool(_options().get("strict_plugins"))


def report_faults(result: Any, *, warned: bool = False) -> None:
    """Print every plugin fault of a finished run and exit non-zero: never a silent partial success.

    ``warned``: the run's warnings (which name each fault) were already printed on stderr.
    """
    if not result.faults:
        return
    for fault in [] if warned else result.faults:
        click.echo(f"error: plugin failed: {fault.render()}", err=True)
    click.echo(f"error: {len(result.faults)} plugin error(s); the affected sections are marked as errors in the "
               f"output. Fix or disable the plugin (--disable-plugin NAME).", err=True)
    click.get_current_context().exit(FAULT_EXIT_CODE)
