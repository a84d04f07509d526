"""The types of the expression language.

Types are known before any data is seen (the ``[data]`` section declares them), so
``clientwise check`` can reject ``tier > 3`` without reading a file. Integers and
floats are both ``number``; the ``integer`` flag only decides how values render and
which polars dtype a derived field gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["number", "string", "boolean", "date", "null", "list", "table"]


@dataclass(frozen=True)
class Type:
    """One type. ``elem`` is set for lists, ``table`` for related-table references."""

    kind: Kind
    integer: bool = False
    elem: Type | None = None
    table: str | None = None

    @staticmethod
    def list_of(elem: Type) -> Type:
        return Type("list", elem=elem)

    @staticmethod
    def table_of(name: str) -> Type:
        return Type("table", table=name)

    @staticmethod
    def of_field(declared: str) -> Type:
        """The type of a field declared in ``[data]`` (``money`` is a number)."""
        try:
            return _DECLARED[declared]
        except KeyError:
            raise ValueError(f"unknown field type {declared!r}") from None

    @property
    def is_number(self) -> bool:
        return self.kind == "number"

    @property
    def is_null(self) -> bool:
        return self.kind == "null"

    def describe(self) -> str:
        """How a user reads the type in a message: 'a number', 'text', 'a date'."""
        if self.kind == "list":
            inner = self.elem.describe() if self.elem else "values"
            return f"a list of {inner}"
        if self.kind == "table":
            return f"the table '{self.table}'"
        return _DESCRIBE[self.kind] if not self.integer else "a whole number"

    def __str__(self) -> str:
        if self.kind == "list":
            return f"list[{self.elem}]"
        if self.kind == "table":
            return f"table[{self.table}]"
        return "integer" if self.integer else self.kind


NUMBER = Type("number")
INTEGER = Type("number", integer=True)
STRING = Type("string")
BOOLEAN = Type("boolean")
DATE = Type("date")
NULL = Type("null")

_DECLARED = {
    "string": STRING,
    "number": NUMBER,
    "money": NUMBER,
    "integer": INTEGER,
    "boolean": BOOLEAN,
    "date": DATE,
}
_DESCRIBE = {
    "number": "a number",
    "string": "text",
    "boolean": "true/false",
    "date": "a date",
    "null": "null",
}


def unify(a: Type, b: Type) -> Type | None:
    """The common type of two values that may meet (if_else branches, in-lists), or None.

    ``null`` fits anywhere; integer and float make a float number.
    """
    if a.is_null:
        return b
    if b.is_null:
        return a
    if a.kind != b.kind:
        return None
    if a.kind == "number":
        return INTEGER if a.integer and b.integer else NUMBER
    if a.kind == "list":
        elem = unify(a.elem or NULL, b.elem or NULL)
        return Type.list_of(elem) if elem is not None else None
    return a if a == b else None


def comparable(a: Type, b: Type) -> bool:
    """Whether ``a < b`` makes sense: same kind (numbers mix), never null or tables."""
    if a.is_null or b.is_null or a.kind in ("list", "table") or b.kind in ("list", "table"):
        return False
    return a.kind == b.kind
