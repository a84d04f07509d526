"""The seam every expression back end plugs into: one handler per node type, found in a table.

A back end turns a typed tree into something of its own: a polars expression, plain
Python values, canonical text, a checked tree, an engine's conditions. Each declares
its handlers with :func:`handles`; the class gathers them into a table keyed by node
class when it is defined, so :meth:`Backend.generate` is one dict lookup, and a node
type a back end has no handler for is a clear :class:`UnhandledNode` rather than a
silent fall-through at the end of an ``isinstance`` chain.

``tests/test_expr_backends.py`` asks every back end in :func:`registered_backends` for
every node class, so adding a node type fails there until each back end handles it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from clientwise.expr.nodes import Node

R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

#: The attribute :func:`handles` leaves on a method: the node classes it handles.
_MARK = "__clientwise_handles__"


class UnhandledNode(TypeError):
    """A back end met a node type it has no handler for: a gap in the code, not bad input."""

    def __init__(self, backend: type[Backend[Any]], node_type: type[Node]):
        self.backend, self.node_type = backend, node_type
        where = f"{backend.__module__}.{backend.__qualname__}"
        super().__init__(
            f"the {backend.name} back end ({where}) has no handler for {node_type.__qualname__} nodes: "
            f"add a method decorated @handles({node_type.__qualname__}) to it")


def handles(*node_types: type[Node]) -> Callable[[F], F]:
    """Make the decorated method the handler of ``node_types`` in its back end's table.

    Exact classes: a subclass of a node type is a new node type and needs its own handler.
    """
    def mark(method: F) -> F:
        setattr(method, _MARK, (*getattr(method, _MARK, ()), *node_types))
        return method
    return mark


class Backend(Generic[R]):
    """Base of every back end: ``generate(node, *args)`` calls the handler of ``type(node)``.

    Handlers are methods ``(self, node, *args) -> R`` marked with :func:`handles`; a
    subclass inherits its parents' handlers and may replace one by defining a method of
    the same name or by handling the node type in another method. ``args`` are passed
    through unchanged (the rows being evaluated, the table an aggregate reads).
    """

    #: Shown in errors and test ids ("polars", "text", ...).
    name: ClassVar[str] = "unnamed"
    _table: ClassVar[dict[type[Node], Callable[..., Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        methods: dict[type[Node], str] = {}
        for klass in reversed(cls.__mro__):
            for attribute, value in vars(klass).items():
                for node_type in getattr(value, _MARK, ()):
                    methods[node_type] = attribute
        # looked up by name on the finished class, so an override by name wins
        cls._table = {node_type: getattr(cls, attribute) for node_type, attribute in methods.items()}

    @classmethod
    def handled(cls) -> frozenset[type[Node]]:
        """The node classes this back end has a handler for."""
        return frozenset(cls._table)

    def generate(self, node: Node, *args: Any) -> R:
        """This back end's result for ``node`` (handlers call it for sub-nodes)."""
        try:
            handler = self._table[type(node)]
        except KeyError:
            raise UnhandledNode(type(self), type(node)) from None
        result: R = handler(self, node, *args)
        return result


def registered_backends() -> list[type[Backend[Any]]]:
    """Every back-end class defined so far (subclasses of :class:`Backend` at any depth).

    A back end is registered by being a subclass; one in a plugin is listed once its
    module has been imported.
    """
    found: list[type[Backend[Any]]] = []
    pending = list(Backend.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls not in found:
            found.append(cls)
            pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))
