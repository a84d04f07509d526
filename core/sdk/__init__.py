"""The one import path for plugin authors.

Everything a plugin needs (and nothing it should not depend on) is here, so the
core can reorganise its modules without breaking plugins::

    from clientwise.sdk import SectionHandler, SectionPlan, DerivedField, hookimpl, quote

* hooks: :data:`hookimpl` (and :mod:`hookspecs`, the documented specs);
* contracts to subclass: :class:`SectionHandler`, :class:`Engine`, :class:`Backend`,
  :class:`Loader`, :class:`Writer`, with what the core hands them (``CompileContext``,
  ``SummaryContext``, ``DecideContext``, ``BackendJob``, ``BackendOptions``, ``RawTable``,
  ``ReadOptions``, ``CompiledDecision``, ``EvaluationContext``, ``Result``) and what they give
  back (``Decided``, ``Refusal``, ``BackendInput`` for input a backend reads itself);
  ``PolarsBackend``, the default backend, to extend;
* what a section compiles into: ``SectionPlan``, ``DerivedField``, ``ComputedField``,
  ``Classification``, ``Rule`` (its ``because`` a template or a ``Reason``: a sentence the reports
  translate), ``ActionRule``, ``OutputColumn``, ``SectionSummary``, ``Source``;
* what a section shows in the reports (``SectionHandler.report``, :mod:`clientwise.output.blocks`):
  ``ReportContext``, the blocks ``Figures`` (of ``Figure``), ``Note``, ``Table`` (of ``Column``,
  ``Cell``, ``Range``), the charts ``CurveChart`` (``Point``, ``Line``, ``Marker``, ``Legend``),
  ``BarChart`` (``Bar``), ``StackedBarChart`` (``Stack``), and from :mod:`clientwise.output.charts`
  ``GroupedBarChart``, ``MixChart``, ``ScatterChart`` (``Series``, ``Dot``, ``scatter_dots``);
  their ``Kind`` and ``Tone``, and the helpers ``summary_blocks``, ``table_of``, ``curve_points``, ``graded``; the report's language
  and locale (``ReportContext.messages``, a ``Messages``; ``ReportContext.style``, a ``LocaleStyle``);
* settings models: ``Strict`` (unknown keys are errors);
* functions of the expression language: ``FunctionSpec``, ``CallInfo``, ``SqlCall``, ``SignatureError``,
  ``Type`` and the type constants;
* expression text builders: ``quote``, ``field``, ``all_of``, ``any_of``, ``negate``,
  ``compare``, ``one_of``, ``call``, ``raw``, ``number_text``;
* ``ordered_sum``: a column's sum added in row order, the same on every run (for summaries);
* the scorecard toolkit (:mod:`clientwise.sdk.scorecard`): weighted criteria and bands;
* errors a plugin raises for the user: ``InputError``, ``RulesetError``, ``DataError``, ``Problem``;
* hosts: ``build_host`` (the factory every command uses) and ``PluginHost``;
* testing: the pytest plugin :mod:`clientwise.sdk.testing` (fixtures and ``assert_plugin_valid``).

A test of the project fails if an example plugin imports anything else from clientwise.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clientwise.compiler.plan import (
        ActionRule,
        Classification,
        ComputedField,
        DerivedField,
        OutputColumn,
        Rule,
        SectionPlan,
        SectionSummary,
        Source,
        Tone,
    )
    from clientwise.compiler.reason import Reason
    from clientwise.errors import DataError, InputError, PluginError, Problem, RulesetError
    from clientwise.expr.build import (
        all_of,
        any_of,
        call,
        compare,
        field,
        group,
        negate,
        number_text,
        one_of,
        quote,
        raw,
    )
    from clientwise.expr.functions import CallInfo, EvalContext, FunctionSpec, SignatureError, SqlCall
    from clientwise.expr.summation import ordered_sum
    from clientwise.expr.types import BOOLEAN, DATE, INTEGER, NULL, NUMBER, STRING, Type
    from clientwise.host import spec as hookspecs
    from clientwise.host.backend_input import BackendInput
    from clientwise.host.contracts import (
        RULE_STATUS,
        Backend,
        BackendJob,
        BackendOptions,
        CompileContext,
        CompiledDecision,
        CompiledRule,
        DecideContext,
        Decided,
        Engine,
        Loader,
        RawTable,
        Refusal,
        ReportContext,
        SectionHandler,
        SummaryContext,
        Writer,
    )
    from clientwise.host.factory import build_host
    from clientwise.host.manager import PluginHost
    from clientwise.host.read_options import ReadOptions
    from clientwise.host.spec import hookimpl
    from clientwise.output.blocks import (
        Bar,
        BarChart,
        Block,
        Cell,
        Chart,
        Column,
        CurveChart,
        Figure,
        Figures,
        Kind,
        Legend,
        Line,
        Marker,
        Note,
        Point,
        Range,
        SectionReport,
        Stack,
        StackedBarChart,
        Table,
        curve_points,
        graded,
        summary_blocks,
        table_of,
    )
    from clientwise.output.charts import Dot, GroupedBarChart, MixChart, ScatterChart, Series, scatter_dots
    from clientwise.output.escape import clean, escape_formula, escape_formulas
    from clientwise.output.locale import LocaleStyle
    from clientwise.output.messages import Messages
    from clientwise.output.notice import Notice
    from clientwise.plugins.backends.polars import PolarsBackend
    from clientwise.ruleset.data import Strict
    from clientwise.runtime.context import EvaluationContext
    from clientwise.runtime.result import Result
    from clientwise.sdk.scorecard import Band, Criterion, Scorecard, ScorecardNames, compile_scorecard

#: Public name -> (module, name there). Imported on first use, so ``clientwise.sdk.testing``
#: (which pytest loads in every test run once clientwise is installed) stays cheap.
_PUBLIC: dict[str, tuple[str, str]] = {
    "ActionRule": ("clientwise.compiler.plan", "ActionRule"),
    "Classification": ("clientwise.compiler.plan", "Classification"),
    "ComputedField": ("clientwise.compiler.plan", "ComputedField"),
    "DerivedField": ("clientwise.compiler.plan", "DerivedField"),
    "OutputColumn": ("clientwise.compiler.plan", "OutputColumn"),
    "Rule": ("clientwise.compiler.plan", "Rule"),
    "SectionPlan": ("clientwise.compiler.plan", "SectionPlan"),
    "SectionSummary": ("clientwise.compiler.plan", "SectionSummary"),
    "Source": ("clientwise.compiler.plan", "Source"),
    "Tone": ("clientwise.compiler.plan", "Tone"),
    "Reason": ("clientwise.compiler.reason", "Reason"),
    "DataError": ("clientwise.errors", "DataError"),
    "InputError": ("clientwise.errors", "InputError"),
    "PluginError": ("clientwise.errors", "PluginError"),
    "Problem": ("clientwise.errors", "Problem"),
    "RulesetError": ("clientwise.errors", "RulesetError"),
    "all_of": ("clientwise.expr.build", "all_of"),
    "any_of": ("clientwise.expr.build", "any_of"),
    "call": ("clientwise.expr.build", "call"),
    "compare": ("clientwise.expr.build", "compare"),
    "field": ("clientwise.expr.build", "field"),
    "group": ("clientwise.expr.build", "group"),
    "negate": ("clientwise.expr.build", "negate"),
    "number_text": ("clientwise.expr.build", "number_text"),
    "one_of": ("clientwise.expr.build", "one_of"),
    "quote": ("clientwise.expr.build", "quote"),
    "ordered_sum": ("clientwise.expr.summation", "ordered_sum"),
    "raw": ("clientwise.expr.build", "raw"),
    "CallInfo": ("clientwise.expr.functions", "CallInfo"),
    "EvalContext": ("clientwise.expr.functions", "EvalContext"),
    "FunctionSpec": ("clientwise.expr.functions", "FunctionSpec"),
    "SignatureError": ("clientwise.expr.functions", "SignatureError"),
    "BOOLEAN": ("clientwise.expr.types", "BOOLEAN"),
    "DATE": ("clientwise.expr.types", "DATE"),
    "INTEGER": ("clientwise.expr.types", "INTEGER"),
    "NULL": ("clientwise.expr.types", "NULL"),
    "NUMBER": ("clientwise.expr.types", "NUMBER"),
    "STRING": ("clientwise.expr.types", "STRING"),
    "Type": ("clientwise.expr.types", "Type"),
    "hookspecs": ("clientwise.host.spec", "clientwise.host.spec"),
    "build_host": ("clientwise.host.factory", "build_host"),
    "PluginHost": ("clientwise.host.manager", "PluginHost"),
    "RULE_STATUS": ("clientwise.host.contracts", "RULE_STATUS"),
    "CompileContext": ("clientwise.host.contracts", "CompileContext"),
    "CompiledDecision": ("clientwise.host.contracts", "CompiledDecision"),
    "CompiledRule": ("clientwise.host.contracts", "CompiledRule"),
    "DecideContext": ("clientwise.host.contracts", "DecideContext"),
    "Engine": ("clientwise.host.contracts", "Engine"),
    "Backend": ("clientwise.host.contracts", "Backend"),
    "BackendInput": ("clientwise.host.backend_input", "BackendInput"),
    "BackendJob": ("clientwise.host.contracts", "BackendJob"),
    "BackendOptions": ("clientwise.host.contracts", "BackendOptions"),
    "Decided": ("clientwise.host.contracts", "Decided"),
    "Refusal": ("clientwise.host.contracts", "Refusal"),
    "PolarsBackend": ("clientwise.plugins.backends.polars", "PolarsBackend"),
    "SqlCall": ("clientwise.expr.functions", "SqlCall"),
    "Loader": ("clientwise.host.contracts", "Loader"),
    "RawTable": ("clientwise.host.contracts", "RawTable"),
    "ReadOptions": ("clientwise.host.read_options", "ReadOptions"),
    "ReportContext": ("clientwise.host.contracts", "ReportContext"),
    "SectionHandler": ("clientwise.host.contracts", "SectionHandler"),
    "SummaryContext": ("clientwise.host.contracts", "SummaryContext"),
    "Writer": ("clientwise.host.contracts", "Writer"),
    "hookimpl": ("clientwise.host.spec", "hookimpl"),
    "Bar": ("clientwise.output.blocks", "Bar"),
    "LocaleStyle": ("clientwise.output.locale", "LocaleStyle"),
    "Messages": ("clientwise.output.messages", "Messages"),
    "BarChart": ("clientwise.output.blocks", "BarChart"),
    "Block": ("clientwise.output.blocks", "Block"),
    "Cell": ("clientwise.output.blocks", "Cell"),
    "Chart": ("clientwise.output.blocks", "Chart"),
    "Column": ("clientwise.output.blocks", "Column"),
    "CurveChart": ("clientwise.output.blocks", "CurveChart"),
    "Figure": ("clientwise.output.blocks", "Figure"),
    "Figures": ("clientwise.output.blocks", "Figures"),
    "Kind": ("clientwise.output.blocks", "Kind"),
    "Legend": ("clientwise.output.blocks", "Legend"),
    "Line": ("clientwise.output.blocks", "Line"),
    "Marker": ("clientwise.output.blocks", "Marker"),
    "Note": ("clientwise.output.blocks", "Note"),
    "Point": ("clientwise.output.blocks", "Point"),
    "Range": ("clientwise.output.blocks", "Range"),
    "SectionReport": ("clientwise.output.blocks", "SectionReport"),
    "Stack": ("clientwise.output.blocks", "Stack"),
    "StackedBarChart": ("clientwise.output.blocks", "StackedBarChart"),
    "Table": ("clientwise.output.blocks", "Table"),
    "curve_points": ("clientwise.output.blocks", "curve_points"),
    "graded": ("clientwise.output.blocks", "graded"),
    "summary_blocks": ("clientwise.output.blocks", "summary_blocks"),
    "table_of": ("clientwise.output.blocks", "table_of"),
    "Dot": ("clientwise.output.charts", "Dot"),
    "GroupedBarChart": ("clientwise.output.charts", "GroupedBarChart"),
    "MixChart": ("clientwise.output.charts", "MixChart"),
    "ScatterChart": ("clientwise.output.charts", "ScatterChart"),
    "Series": ("clientwise.output.charts", "Series"),
    "scatter_dots": ("clientwise.output.charts", "scatter_dots"),
    "Notice": ("clientwise.output.notice", "Notice"),
    "clean": ("clientwise.output.escape", "clean"),
    "escape_formula": ("clientwise.output.escape", "escape_formula"),
    "escape_formulas": ("clientwise.output.escape", "escape_formulas"),
    "Review": ("clientwise.output.review", "Review"),
    "ReviewRun": ("clientwise.output.review", "ReviewRun"),
    "EvaluationContext": ("clientwise.runtime.context", "EvaluationContext"),
    "Result": ("clientwise.runtime.result", "Result"),
    "Strict": ("clientwise.ruleset.data", "Strict"),
    "IsoDate": ("clientwise.ruleset.sources", "IsoDate"),
    "Band": ("clientwise.sdk.scorecard", "Band"),
    "Criterion": ("clientwise.sdk.scorecard", "Criterion"),
    "Scorecard": ("clientwise.sdk.scorecard", "Scorecard"),
    "ScorecardNames": ("clientwise.sdk.scorecard", "ScorecardNames"),
    "compile_scorecard": ("clientwise.sdk.scorecard", "compile_scorecard"),
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'clientwise.sdk' has no attribute '{name}'")
    module, attribute = _PUBLIC[name]
    value = import_module(module) if module == attribute else getattr(import_module(module), attribute)
    globals()[name] = value
    return value
