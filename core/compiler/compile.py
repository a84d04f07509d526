"""Compile a validated ruleset into a :class:`Program`: checked, ordered, ready to run.

Every section (the core's ``[derive]`` and ``[[rules]]`` and each plugin's section)
becomes a :class:`~clientwise.compiler.plan.SectionPlan`. Here all their expressions are
parsed, ordered by dependency and type-checked, and every problem in every section
is reported at once, with the key path the section gave.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from clientwise import expr
from clientwise.compiler.columns import customer_columns
from clientwise.compiler.order import Node as OrderNode
from clientwise.compiler.order import strata, topological_order
from clientwise.compiler.plan import (
    ActionRule,
    ComputedField,
    DerivedField,
    OutputColumn,
    SectionPlan,
    Source,
)
from clientwise.compiler.program import DecideStratum, DeriveStratum, Origin, Program, SectionEntry, Stratum
from clientwise.compiler.steps import ClassificationStep, DerivedStep, Step
from clientwise.compiler.typecheck import ItemChecker, key_source
from clientwise.errors import InputError, Problem, ProblemList, RulesetError
from clientwise.expr.types import Type
from clientwise.host.contracts import CompileContext
from clientwise.host.manager import PluginHost
from clientwise.output.locale import LocaleStyle, locale_style
from clientwise.ruleset import Ruleset
from clientwise.ruleset.data import RELATED_TABLES


def core_plan(ruleset: Ruleset) -> tuple[SectionPlan, SectionPlan]:
    """The core's own sections as plans: ``[derive]`` first, ``[[rules]]`` last."""
    derive_file = ruleset.file_of("derive")
    derive = SectionPlan(
        "derive",
        derived=[
            DerivedField(name, spec.expr, Source(derive_file, f"derive.{name}"), spec.description)
            for name, spec in ruleset.core.derived().items()
        ],
    )
    rules_file = ruleset.file_of("rules")
    rules = SectionPlan(
        "rules",
        actions=[
            ActionRule(r.id, r.when, r.action, r.priority, r.because, Source(rules_file, f"rules[{i}]"))
            for i, r in enumerate(ruleset.core.rules)
        ],
    )
    return derive, rules


def section_plans(ruleset: Ruleset, host: PluginHost) -> list[SectionEntry]:
    derive, rules = core_plan(ruleset)
    plans: list[SectionEntry] = [SectionEntry("derive", None, derive)]
    handlers = host.sections()
    for name, config in ruleset.sections.items():
        handler = handlers[name]
        context = CompileContext(ruleset.file_of(name), ruleset.core.data)
        try:
            plan = handler.compile(config, context)
        except InputError:
            raise
        except Exception as error:  # a plugin bug, reported with its name
            raise InputError(
                Problem(f"plugin section [{name}] failed to compile: {type(error).__name__}: {error}",
                        file=context.file, location=name, hint="report this to the plugin's authors")
            ) from error
        plans.append(SectionEntry(name, handler, plan))
    plans.append(SectionEntry("rules", None, rules))
    return plans


def base_scope(ruleset: Ruleset) -> expr.Scope:
    data = ruleset.core.data
    fields = {name: Type.of_field(spec.type) for name, spec in data.customers.fields.items()}
    tables = {}
    for table in RELATED_TABLES:
        spec = data.table(table)
        if spec is None:
            continue
        tables[table] = {name: Type.of_field(f.type) for name, f in spec.fields.items()}
    return expr.Scope(fields=fields, tables=tables)


#: Names the result reserves; no field or output may take them.
RESERVED_NAMES = frozenset({"actions", "explanation"})


def compile_ruleset(ruleset: Ruleset, host: PluginHost) -> Program:
    """Check and order everything; raise one :class:`RulesetError` listing every problem.

    Types come from the ``[data]`` section, so this needs no data: ``clientwise check``
    runs it alone. ``Program.tables_needed`` says which related tables the data must have.
    """
    try:
        plans = section_plans(ruleset, host)
        settings = ruleset.core.report
        compiler = _Compiler(base_scope(ruleset), host.functions(), locale_style(settings.locale, settings.currency))
        for entry in plans:
            compiler.add_plan(entry.plan)
        left_out = compiler.leave_out({name: off.section for off in ruleset.switched_off.values() for name in off.produces})
        compiler.add_actions()
        left_out += compiler.left_out_actions
        steps, order = compiler.check()
    except InputError as error:  # point merged-list indices back into the user's own file
        raise type(error)([ruleset.origins.locate(p) for p in error.problems], total=error.total) from None
    program_strata: list[Stratum] = []
    for run in strata(compiler.order_nodes(), order):
        chosen = [steps[i] for i in run if i in steps]
        if chosen:
            program_strata.append(DeriveStratum(tuple(chosen)) if isinstance(chosen[0], DerivedStep)  # type: ignore[arg-type]
                                  else DecideStratum(tuple(chosen)))  # type: ignore[arg-type]
    tables_needed: set[str] = set()
    for step in steps.values():
        tables_needed |= _tables_of(step)
    outputs = customer_columns(_outputs(plans), ruleset, compiler.types)
    return Program(ruleset, tuple(program_strata), tuple(outputs), tuple(plans), frozenset(tables_needed),
                   compiler.scope, dict(compiler.types), _provenance(plans, host), _notes(ruleset, left_out))


def _notes(ruleset: Ruleset, left_out: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """Per switched-off section: why, and what was left out because it reads the section's outputs."""
    notes = []
    for off in ruleset.switched_off.values():
        dropped = [what for what, section in left_out if section == off.section]
        notes.append(off.why + (f": left out {', '.join(dropped)}" if dropped else ""))
    return tuple(notes)


def _provenance(plans: Sequence[SectionEntry], host: PluginHost) -> dict[str, Origin]:
    """Section -> the plugin (name, distribution, version) whose code produces its outputs."""
    from clientwise._version import __version__

    core: Origin = {"plugin": None, "distribution": "clientwise", "version": __version__}
    found: dict[str, Origin] = {"derive": core, "rules": core}
    for entry in plans:
        if entry.handler is None:
            continue
        plugin = host.owner("ruleset section", entry.name)
        dist, version = host.origin(plugin) if plugin else (None, None)
        found[entry.name] = {"plugin": plugin, "distribution": dist, "version": version}
    return found


class _Compiler:
    """Parses every plan item, then type-checks them in dependency order.

    Problems are collected, never raised early: a parse error in one rule does not hide
    a type error in another. A step that fails (or reads a field that failed) is
    skipped, so one mistake gives one message, not a cascade of "unknown field".
    """

    def __init__(self, scope: expr.Scope, functions: expr.FunctionRegistry, style: LocaleStyle = LocaleStyle()):
        self.scope = scope
        self.functions = functions
        self.style = style  # the locale because texts are written in
        self.problems = ProblemList()
        self.items: list[tuple[OrderNode, object]] = []
        self.parsed: list[dict[str, object]] = []
        self.unparsable: set[int] = set()
        self.actions: list[ActionRule] = []
        self.producers: dict[str, Source] = {}
        self.types: dict[str, Type] = dict(scope.fields)
        #: items that read the outputs of a switched-off section (never checked or run)
        self.dropped: set[int] = set()
        #: names a switched-off section would produce, or items reading them produce -> that section
        self.switched: dict[str, str] = {}
        self.left_out_actions: list[tuple[str, str]] = []

    def _template(self, text: str, source: Source) -> expr.Template:
        return replace(expr.parse_template(text, source), style=self.style)

    def order_nodes(self) -> list[OrderNode]:
        return [node for node, _ in self.items]

    def _claim(self, name: str, source: Source) -> None:
        if name in self.scope.fields:
            self._problem(f"'{name}' is already a data field; a derived field or output cannot reuse the name", source)
        elif name in RESERVED_NAMES:
            self._problem(f"'{name}' is reserved for the result's own column", source)
        elif name in self.producers:
            other = self.producers[name]
            self._problem(f"'{name}' is defined twice (also at {other.file}: {other.path})", source, "rename one of them")
        self.producers[name] = source

    def _problem(self, message: str, source: Source, hint: str = "choose another name") -> None:
        self.problems.add(Problem(message, file=source.file, location=source.path, hint=hint))

    def _add(self, node: OrderNode, item: object, texts: dict[str, tuple[str, Source]],
             templates: dict[str, tuple[str, Source]]) -> None:
        before = len(self.problems.problems)
        nodes = _parse_all(self.problems, texts)
        nodes.update(_parse_all(self.problems, templates, self._template))
        if len(self.problems.problems) > before:
            self.unparsable.add(len(self.items))
        reads = node.reads | _reads(nodes, self.functions)
        self.items.append((OrderNode(node.label, node.produces, reads, node.is_decision, node.file, node.path), item))
        self.parsed.append(nodes)

    def add_plan(self, plan: SectionPlan) -> None:
        for item in plan.derived:
            self._claim(item.name, item.source)
            node = OrderNode(item.source.path, (item.name,), frozenset(), False, item.source.file, item.source.path)
            if isinstance(item, ComputedField):
                self._add(replace(node, reads=frozenset(item.inputs)), item, {}, {})
            else:
                self._add(node, item, {"expr": (item.expression, item.source)}, {})
        for cls in plan.classifications:
            self._claim(cls.output, cls.source)
            texts: dict[str, tuple[str, Source]] = {}
            for i, rule in enumerate(cls.rules):
                texts[f"when{i}"] = (rule.when, key_source(rule.source, "when"))
                texts[f"then{i}"] = (rule.then, key_source(rule.source, "then"))
            if cls.default is not None:
                texts["default"] = (cls.default, key_source(cls.source, "default"))
            templates = {f"because{i}": (r.because_template, key_source(r.source, "because"))
                         for i, r in enumerate(cls.rules) if r.because_template}
            node = OrderNode(cls.source.path, (cls.output,), frozenset(), True, cls.source.file, cls.source.path)
            self._add(node, cls, texts, templates)
        self.actions.extend(plan.actions)

    def leave_out(self, switched: Mapping[str, str]) -> list[tuple[str, str]]:
        """Drop the items that read what a switched-off section would produce (``switched``:
        name -> section), and the items reading theirs, and so on; (item, section) for each,
        for the load-time note."""
        self.switched = dict(switched)
        left_out: list[tuple[str, str]] = []
        changed = True
        while changed:
            changed = False
            for index, (node, _) in enumerate(self.items):
                hit = sorted(node.reads & set(self.switched))
                if index in self.dropped or not hit:
                    continue
                self.dropped.add(index)
                section = self.switched[hit[0]]
                self.switched.update({name: section for name in node.produces})
                left_out.append((f"{node.label} (reads {hit[0]})", section))
                changed = True
        return left_out

    def add_actions(self) -> None:
        """All sections' actions form one collect-all decision, checked after everything else."""
        if self.switched:
            kept = []
            for rule in self.actions:
                hit = sorted(_text_reads(rule, self.functions) & set(self.switched))
                if hit:
                    self.left_out_actions.append((f"{rule.source.path} '{rule.id}' (reads {hit[0]})",
                                                  self.switched[hit[0]]))
                else:
                    kept.append(rule)
            self.actions = kept
        if not self.actions:
            return
        _check_action_ids(self.problems, self.actions)
        texts = {f"when{i}": (r.when, key_source(r.source, "when")) for i, r in enumerate(self.actions)}
        templates = {f"because{i}": (r.because, key_source(r.source, "because")) for i, r in enumerate(self.actions)}
        first = self.actions[0].source
        self._add(OrderNode("rules", (), frozenset(), True, first.file, "rules"), self.actions, texts, templates)

    def check(self) -> tuple[dict[int, Step], list[int]]:
        order = topological_order(self.order_nodes())
        steps: dict[int, Step] = {}
        failed: set[str] = set()
        for index in order:
            if index in self.dropped:
                continue
            order_node, item = self.items[index]
            step = None
            if not order_node.reads & failed:
                current = expr.Scope(fields=dict(self.types), tables=self.scope.tables)
                step = ItemChecker(self.problems, current, self.functions).check(item, self.parsed[index])
                if index in self.unparsable:
                    step = None  # its parsed parts were checked for problems; the rest did not parse
            if step is None:
                failed.update(order_node.produces)
                continue
            steps[index] = step
            if isinstance(step, DerivedStep):
                self.types[step.name] = step.node.type if step.node is not None else _computed_type(step)
            elif isinstance(step, ClassificationStep):
                self.types[step.output] = step.type
        self.problems.raise_if_any(RulesetError)
        return steps, order


def _parse_all(problems: ProblemList, texts: dict[str, tuple[str, Source]],
               parse: Callable[[str, Source], object] = expr.parse) -> dict[str, object]:
    """Parse every text, collecting problems; a text that fails is left out."""
    nodes: dict[str, object] = {}
    for label, (text, source) in texts.items():
        try:
            nodes[label] = parse(text, source)
        except InputError as error:
            problems.extend(error.problems)
    return nodes


def _reads(nodes: dict[str, object], functions: expr.FunctionRegistry) -> frozenset[str]:
    names: set[str] = set()
    for node in nodes.values():
        if isinstance(node, expr.Template):
            names |= node.fields_used(functions)
        else:
            names |= expr.fields_used(node, functions)  # type: ignore[arg-type]
    return frozenset(names)


def _text_reads(rule: ActionRule, functions: expr.FunctionRegistry) -> frozenset[str]:
    """The names an action's condition and reason read (empty where they do not parse:
    the compiler reports that)."""
    try:
        return (expr.fields_used(expr.parse(rule.when, rule.source), functions)
                | expr.parse_template(rule.because, rule.source).fields_used(functions))
    except InputError:
        return frozenset()


def _check_action_ids(problems: ProblemList, actions: Sequence[ActionRule]) -> None:
    seen: dict[str, Source] = {}
    for rule in actions:
        if rule.id in seen:
            problems.add(Problem(f"two action rules have id '{rule.id}' (also at {seen[rule.id].path})",
                                 file=rule.source.file, location=rule.source.path, hint="give each rule its own id"))
        seen[rule.id] = rule.source


def _computed_type(step: DerivedStep) -> Type:
    assert step.computed is not None
    kind = step.computed.type
    return Type.list_of(Type("string")) if kind == "list" else Type(kind)


def _tables_of(step: Step) -> set[str]:
    if isinstance(step, DerivedStep):
        return set(expr.tables_used(step.node)) if step.node is not None else set()
    return set()


def _outputs(plans: Sequence[SectionEntry]) -> list[OutputColumn]:
    columns: list[OutputColumn] = []
    seen: set[str] = set()
    for entry in plans:
        for column in entry.plan.outputs:
            if column.name not in seen:
                columns.append(column)
                seen.add(column.name)
    return columns
