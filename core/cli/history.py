"""``--save`` for evaluate and demo; ``clientwise history`` (list, show, forget) and ``clientwise compare``.

``--save``, ``--label`` and ``--store`` are kept on the click context (like the
plugin options), so the evaluating commands only call :func:`planned_save` before
evaluating (a store that cannot be written fails before minutes of work) and write
their output inside :func:`save_beside`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from clientwise.cli.options import CONTEXT, plugin_host, remember
from clientwise.errors import InputError, Problem
from clientwise.output.escape import clean

F = TypeVar("F", bound=Callable[..., Any])
_STORE_HELP = "The run store (default: CLIENTWISE_STORE, else clientwise-runs.duckdb in the current directory)."


@dataclass(frozen=True)
class SaveRequest:
    store: Path
    label: str | None


def save_options(command: F) -> F:
    """Add ``--save``, ``--label`` and ``--store`` to an evaluating command."""
    for option in reversed([
        click.option("--save", is_flag=True, expose_value=False, callback=remember("save"),
                     help="Record this run in the run store (see clientwise history, compare)."),
        click.option("--label", metavar="TEXT", expose_value=False, callback=remember("save_label"),
                     help="With --save: a name for the run, e.g. 2026-Q2."),
        click.option("--store", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path), expose_value=False,
                     callback=remember("save_store"),
                     help="The run store --save writes and trend functions (previous, change, runs_since, "
                          "days_since_review) read (default: CLIENTWISE_STORE, else clientwise-runs.duckdb "
                          "next to the ruleset, or in the current directory for a shipped ruleset)."),
        click.option("--compare-with", metavar="RUN", expose_value=False, callback=remember("compare_with"),
                     help="The earlier run trend functions read and a report (html, md, xlsx, pdf) compares with "
                          "(an id or label; 'none': no history). Default: the latest run of the same ruleset name "
                          "with an earlier as-of date."),
    ]):
        command = option(command)
    return command


def planned_save(ruleset: str) -> SaveRequest | None:
    """The save this command was asked for, with its store checked; None without --save."""
    from clientwise.history.store import open_store, store_path

    ctx = click.get_current_context(silent=True)
    options = (ctx.find_root().obj or {}) if ctx else {}
    label, store = options.get("save_label"), options.get("save_store")
    if not options.get("save"):
        if label:
            raise InputError(Problem("--label only applies to a saved run", location="--save",
                                     hint="add --save to record the run"))
        return None
    request = SaveRequest(store_path(store, ruleset), label)
    if request.store.is_file():  # refuse a store this clientwise cannot write before evaluating
        with open_store(request.store, write=False):
            pass
    elif not request.store.parent.is_dir():
        raise InputError(Problem("the run store's folder does not exist", file=str(request.store),
                                 hint=f"create {request.store.parent} first, or pass another --store"))
    return request


def planned_history(ruleset: str, evaluator: Any, as_of: Any, quiet: bool, report: bool = False) -> Any:
    """The earlier runs the ruleset's trend functions read and a report compares with (a
    ``StoredHistory``), or None: neither reads one, there is no store, or ``--compare-with
    none``. ``report``: the output shows "since the last review" (``Writer.review``)."""
    from clientwise.history.store import store_path
    from clientwise.history.trend import StoredHistory

    ctx = click.get_current_context(silent=True)
    options = (ctx.find_root().obj or {}) if ctx else {}
    reference = options.get("compare_with")
    if not evaluator.trend and not report:
        if reference is not None:
            raise InputError(Problem("the ruleset reads no earlier run (it uses no trend function: "
                                     "previous, change, runs_since, days_since_review) and the output is not a "
                                     "report (html, md, xlsx, pdf)", location="--compare-with",
                                     hint="leave --compare-with out, write a report, or add trend rules "
                                          "(docs/history.md)"))
        return None
    path = store_path(options.get("save_store"), ruleset)
    found = StoredHistory.find(path, evaluator.ruleset.core.data.key, evaluator.identity.name, as_of, reference)
    if not quiet and found is not None and evaluator.trend:
        described = found.describe()
        click.echo(f"trend functions read {clean(described)} from {path}" if described else
                   f"trend functions: no earlier run of '{clean(evaluator.identity.name)}' in {path}, so they are "
                   "unknown", err=True)
    return found


def planned_review(history: Any, result: Any, saving: SaveRequest | None, quiet: bool) -> Any:
    """What changed since the previous run of ``history`` (a ``Review`` for ``Result.review``), or None."""
    if history is None:
        return None
    from clientwise.history.since import since_last_review

    review = since_last_review(result, history, saving.label if saving is not None else None)
    if not quiet:
        click.echo(f"the report compares with {clean(history.earlier[0].source)} from {history.path}" if review else
                   f"the report has no earlier run of '{clean(result.ruleset.name)}' in {history.path} to compare "
                   "with (name one with --compare-with RUN)", err=True)
    return review


@contextmanager
def save_beside(request: SaveRequest | None, evaluator: Any, result: Any, data: Path) -> Iterator[Callable[[], None]]:
    """Save the run (one transaction) while the block writes the output; yields the commit,
    which the block calls once its output is complete (``write_result``'s ``before_commit``)
    or leaves to the end of the block. An error in the block stores nothing; a failed save
    raises from the commit, before the output is published. A run with plugin errors is
    not recorded."""
    if request is None or result.faults:
        if request is not None:
            click.echo("not saved: the run had plugin errors (fix or disable the plugin and run again)", err=True)
        yield lambda: None
        return
    from clientwise.history.background import saved_beside

    run_ids: list[int] = []
    with saved_beside(request.store, evaluator, result, data, request.label) as save:
        def commit() -> None:
            if not run_ids:
                run_ids.append(save.commit())

        yield commit
        commit()
    label = f" ({clean(request.label)})" if request.label else ""
    click.echo(f"saved run {run_ids[0]}{label} to {request.store}", err=True)


def _store(path: Path | None) -> Path:
    from clientwise.history.store import store_path

    return store_path(path)


_store_option = click.option("--store", type=click.Path(dir_okay=False, path_type=Path), help=_STORE_HELP)
_json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@click.group(invoke_without_command=True, context_settings=CONTEXT)
@_store_option
@_json_option
@click.pass_context
def history(ctx: click.Context, store: Path | None, as_json: bool) -> None:
    """List the runs saved with --save: id, label, as-of date, ruleset, customers, actions."""
    ctx.obj = {**(ctx.obj or {}), "history_store": store}
    if ctx.invoked_subcommand is not None:
        return
    from clientwise.history.runs import list_runs
    from clientwise.history.store import open_store

    with open_store(_store(store), write=False) as opened:
        runs = list_runs(opened)
    if as_json:
        click.echo(json.dumps([info.to_dict() for info in runs], indent=2, ensure_ascii=False))
        return
    if not runs:
        click.echo(f"no runs in {_store(store)}")
        return
    click.echo(f"{'run':>5}  {'label':<12} {'ran (UTC)':<17} {'as of':<11} {'ruleset':<28} {'customers':>10} {'actions':>9}")
    for info in runs:
        ruleset = clean(f"{info.ruleset.name} {info.ruleset.version} #{info.ruleset.hash[:8]}")
        ran = info.ran_at.strftime("%Y-%m-%d %H:%M") if info.ran_at else ""
        click.echo(f"{info.run_id:>5}  {clean(info.label or ''):<12} {ran:<17} {info.as_of.isoformat():<11} "
                   f"{ruleset:<28} {info.customer_count:>10,} {info.action_count:>9,}")


def _store_of(ctx: click.Context, store: Path | None) -> Path:
    """A subcommand's --store, else the group's (``clientwise history --store X show 3``)."""
    return _store(store or (ctx.obj or {}).get("history_store"))


@history.command(context_settings=CONTEXT)
@click.argument("run")
@_store_option
@_json_option
@click.pass_context
def show(ctx: click.Context, run: str, store: Path | None, as_json: bool) -> None:
    """Show one RUN (an id, a label, latest or previous): what it ran, on what, and its figures."""
    from clientwise.history.runs import load_result, resolve, run_info
    from clientwise.history.store import open_store

    with open_store(_store_of(ctx, store), write=False) as opened:
        info = run_info(opened, resolve(opened, run))
        result = load_result(opened, info, columns=[c["name"] for c in info.columns if c["name"] == "tier"],
                             summary_tables=set(), actions=False)
    if as_json:
        click.echo(json.dumps({**info.to_dict(), "warnings": result.warnings,
                               "portfolio": {s.section: {"title": s.title, "figures": s.figures, "error": s.error}
                                             for s in result.summaries}},
                              indent=2, ensure_ascii=False, default=str))
        return
    from clientwise.history.render import show as fmt

    lines = [f"{clean(info.source)}", f"  ran at     {info.ran_at:%Y-%m-%d %H:%M:%S} UTC" if info.ran_at else "",
             f"  as of      {info.as_of}",
             f"  ruleset    {clean(info.ruleset.name)} {clean(info.ruleset.version)} (hash {info.ruleset.hash[:12]}); "
             f"files: {clean(', '.join(info.ruleset.files))}",
             f"  engine     {clean(info.engine)}; clientwise {clean(info.clientwise_version or '?')}",
             f"  customers  {info.customer_count:,}; recommended actions {info.action_count:,}"]
    if "tier" in result.customers.columns:
        counts = result.customers["tier"].value_counts(sort=True)
        lines.append("  tiers      " + ", ".join(f"{clean(str(t))} {n:,}" for t, n in counts.iter_rows()))
    if info.input_path:
        lines.append(f"  input      {clean(info.input_path)}")
        lines.extend(f"             {clean(f.path)} ({f.size:,} bytes, sha256 {f.sha256[:12]})" for f in info.inputs)
    plugins = {(o.get("distribution"), o.get("version")) for o in info.provenance.values() if o.get("distribution")}
    lines.append("  code       " + ", ".join(f"{clean(str(d))} {clean(str(v))}" for d, v in sorted(plugins)))
    for summary in result.summaries:
        lines.append(f"  {clean(summary.title)}:" + (f" error: {clean(summary.error)}" if summary.error else ""))
        lines.extend(f"    {clean(name)}: {fmt(value)}" for name, value in summary.figures.items())
    lines.extend(f"  warning: {clean(w)}" for w in result.warnings)
    click.echo("\n".join(line for line in lines if line))


@history.command(context_settings=CONTEXT)
@click.argument("run")
@_store_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def forget(ctx: click.Context, run: str, store: Path | None, yes: bool) -> None:
    """Remove RUN (an id or a label) and everything saved with it from the store."""
    from clientwise.history.runs import forget as forget_run
    from clientwise.history.runs import resolve, run_info
    from clientwise.history.store import open_store

    with open_store(_store_of(ctx, store), write=True) as opened:
        info = run_info(opened, resolve(opened, run))
        what = f"{info.source}, as of {info.as_of}, {info.customer_count:,} customers"
        if not yes and sys.stdin.isatty() and not click.confirm(f"forget {clean(what)}?"):
            raise click.exceptions.Exit(1)
        assert info.run_id is not None
        forget_run(opened, info.run_id)
    click.echo(f"forgot {clean(what)}")


@click.command(context_settings=CONTEXT)
@click.argument("runs", nargs=-1, metavar="[RUN_A] [RUN_B]")
@_store_option
@_json_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a report instead: .html, .xlsx or .md (atomically).")
@click.option("--no-split", is_flag=True, help="When the rulesets differ, do not re-evaluate the older input.")
def compare(runs: tuple[str, ...], store: Path | None, as_json: bool, output: Path | None, no_split: bool) -> None:
    """What changed from RUN_A (then) to RUN_B (now): tier, value class and health band
    migrations, customers gained and lost, health drops, score changes, checklist answers,
    actions new, resolved and persisting, portfolio figures side by side. A run is an id,
    a label, latest, previous, or a results file written with -o x.json; the default is
    the two latest runs of the store."""
    from clientwise.history.render import render_json, render_text
    from clientwise.history.review import review

    comparison = review(list(runs), _store(store), split=not no_split, host=plugin_host,
                        detail=as_json or output is not None)
    if output is not None:
        from clientwise.history.report import write_report

        write_report(comparison, output)
        click.echo(f"wrote {output}", err=True)
    elif as_json:
        click.echo(render_json(comparison))
    else:
        click.echo(render_text(comparison), nl=False)
