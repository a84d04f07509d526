"""Every expression back end handles every node type, and a missing handler is a clear error.

Back ends are found, not listed: every module of ``clientwise.expr`` and
``clientwise.plugins`` is imported and every subclass of :class:`Backend` is checked,
so a back end added later (Spark, DuckDB, a new engine's lowering) is held to the
same rule without touching this file. Adding a node class to ``nodes.py`` makes
``test_every_backend_handles_every_node_type`` fail once per back end that lacks it.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any

import pytest

import clientwise.expr
import clientwise.plugins
from clientwise.compiler.plan import Source
from clientwise.expr import (
    BOOLEAN,
    INTEGER,
    Backend,
    EvalContext,
    Scope,
    UnhandledNode,
    check,
    evaluate_rows,
    handles,
    parse,
    parse_checked,
    registered_backends,
    to_polars,
    to_text,
)
from clientwise.expr import nodes as n
from clientwise.plugins.engines.durable.lower import Lowered

SOURCE = Source("test.toml", "rules.x")
SCOPE = Scope({"a": INTEGER, "b": INTEGER, "flag": BOOLEAN})


def _raise(name: str) -> None:
    raise ImportError(f"cannot import {name}")


def _import_every_module() -> None:
    """Import every module where a back end may live, so each registers by subclassing."""
    for package in (clientwise.expr, clientwise.plugins):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".", onerror=_raise):
            importlib.import_module(info.name)


def _ours(cls: type) -> bool:
    """Defined by clientwise, not by a test (tests define throw-away nodes and back ends)."""
    return cls.__module__.startswith("clientwise.")


def node_types() -> set[type[n.Node]]:
    """Every concrete node class: subclasses of Node at any depth."""
    found: set[type[n.Node]] = set()
    pending = list(n.Node.__subclasses__())
    while pending:
        cls = pending.pop()
        if _ours(cls) and cls not in found:
            found.add(cls)
            pending.extend(cls.__subclasses__())
    return found


_import_every_module()
BACKENDS = [cls for cls in registered_backends() if _ours(cls)]


def test_discovery_finds_every_node_type_and_every_backend() -> None:
    assert {n.Literal, n.Field, n.ListLiteral, n.Unary, n.Arithmetic, n.Compare, n.In, n.IsNull,
            n.And, n.Or, n.Not, n.Call} <= node_types()
    names = {cls.name for cls in BACKENDS}
    assert {"polars", "python", "text", "checker", "durable conditions", "durable operands",
            "durable reasons"} <= names
    assert len(names) == len(BACKENDS), "two back ends share a name; errors would not say which one failed"


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda cls: cls.name)
def test_every_backend_handles_every_node_type(backend: type[Backend[Any]]) -> None:
    missing = sorted(cls.__name__ for cls in node_types() - backend.handled())
    assert not missing, f"{backend.__module__}.{backend.__qualname__} has no handler for {missing}"


# -- a node type nobody handles ----------------------------------------------------------
@dataclass(frozen=True)
class Power(n.Node):
    """What adding ``a ** b`` to the language would add to nodes.py."""

    left: n.Node
    right: n.Node


def _power(typed: bool) -> tuple[n.Node, n.Node]:
    """(``a > 1 and a ** 2 > b``, the ``a ** 2`` in it): the new node deep in known ones."""
    def t(type_: Any) -> Any:
        return type_ if typed else None
    a = n.Field("a", span=(0, 1), type=t(INTEGER))
    power = Power(a, n.Literal(2, span=(14, 15), type=t(INTEGER)), span=(9, 15), type=t(INTEGER))
    bigger = n.Compare(">", power, n.Field("b", span=(18, 19), type=t(INTEGER)), span=(9, 19), type=t(BOOLEAN))
    first = n.Compare(">", a, n.Literal(1, span=(4, 5), type=t(INTEGER)), span=(0, 5), type=t(BOOLEAN))
    return n.And((first, bigger), span=(0, 19), type=t(BOOLEAN)), power


def _lower(node: n.Node, ctx: EvalContext) -> Any:
    return Lowered(ctx).rule("r", node)


@pytest.mark.parametrize(("backend", "run"), [
    ("text", lambda ctx: to_text(_power(typed=False)[0])),
    ("polars", lambda ctx: to_polars(_power(typed=True)[0], ctx)),
    ("python", lambda ctx: evaluate_rows(_power(typed=True)[0], [{"a": 3, "b": 5}], ctx)),
    ("checker", lambda ctx: check(_power(typed=False)[0], SCOPE, ctx.functions, allow_population=False, source=SOURCE)),
    # what a comparison compares (`a ** 2 > b` is posted as `b < a ** 2`), and a condition itself
    ("durable operands", lambda ctx: _lower(_power(typed=True)[0], ctx)),
    ("durable conditions", lambda ctx: _lower(n.Not(_power(typed=True)[1], span=(0, 15), type=BOOLEAN), ctx)),
])
def test_a_node_type_without_a_handler_names_the_backend_and_the_node(expr_context: EvalContext, backend: str,
                                                                      run: Any) -> None:
    with pytest.raises(UnhandledNode, match=rf"the {backend} back end \(.+\) has no handler for Power nodes: "
                                            r"add a method decorated @handles\(Power\)") as caught:
        run(expr_context)
    assert caught.value.node_type is Power
    assert caught.value.backend.name == backend


def test_a_subclass_of_a_node_type_is_a_new_node_type() -> None:
    @dataclass(frozen=True)
    class StrictCompare(n.Compare):
        pass
    node = StrictCompare("<", n.Field("a", span=(0, 1)), n.Field("b", span=(4, 5)), span=(0, 5))
    with pytest.raises(UnhandledNode, match="no handler for .*StrictCompare nodes"):
        to_text(node)


# -- the base ------------------------------------------------------------------------------
def test_handlers_are_inherited_and_replaced_by_name_or_by_node_type() -> None:
    class Names(Backend[str]):
        name = "names"

        @handles(n.Field)
        def _field(self, node: n.Field) -> str:
            return node.name

        @handles(n.Literal, n.Arithmetic)
        def _other(self, node: n.Node) -> str:
            return "?"

    class Upper(Names):
        name = "upper names"

        def _field(self, node: n.Field) -> str:  # replaces the parent's handler by name
            return node.name.upper()

        @handles(n.Arithmetic)  # takes Arithmetic over from _other, Literal stays there
        def _arithmetic(self, node: n.Arithmetic) -> str:
            return f"{self.generate(node.left)}{node.op}{self.generate(node.right)}"

    node = parse("a + 1", SOURCE)
    assert Names().generate(node) == "?"
    assert Upper().generate(node) == "A+?"
    assert Upper.handled() == {n.Field, n.Literal, n.Arithmetic}
    with pytest.raises(UnhandledNode, match=r"the upper names back end \(.*Upper\) has no handler for Compare"):
        Upper().generate(parse("a > 1", SOURCE))
    assert Names in registered_backends() and Upper in registered_backends()


def test_arguments_are_passed_through_to_handlers() -> None:
    class Depth(Backend[int]):
        name = "depth"

        @handles(n.Field, n.Literal)
        def _leaf(self, node: n.Node, depth: int) -> int:
            return depth

        @handles(n.Arithmetic)
        def _arithmetic(self, node: n.Arithmetic, depth: int) -> int:
            return max(self.generate(node.left, depth + 1), self.generate(node.right, depth + 1))

    assert Depth().generate(parse("a + (b * 2)", SOURCE), 0) == 2


def test_a_list_is_compiled_only_after_in(expr_context: EvalContext) -> None:
    # the checker rejects a list anywhere else, so polars meets one only by mistake
    typed = parse_checked("a in [1, 2]", SOURCE, SCOPE, expr_context.functions, allow_population=False)
    assert isinstance(typed, n.In)
    with pytest.raises(TypeError, match=r"\[1, 2\]: a list is a value only after 'in'"):
        to_polars(typed.items, expr_context)
    assert evaluate_rows(typed.items, [{"a": 1}, {"a": 5}], expr_context) == [[1, 2], [1, 2]]
    assert evaluate_rows(typed, [{"a": 1}, {"a": 5}, {"a": None}], expr_context) == [True, False, None]
