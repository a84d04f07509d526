"""Parsing: the whitelist, the IR shape, spans, carets and limits."""

from __future__ import annotations

import pytest

from clientwise.compiler.plan import Source
from clientwise.errors import RulesetError
from clientwise.expr import (
    MAX_DEPTH,
    MAX_LENGTH,
    And,
    Arithmetic,
    Call,
    Compare,
    Field,
    In,
    IsNull,
    ListLiteral,
    Literal,
    Not,
    Or,
    Unary,
    parse,
    to_text,
)

SRC = Source("rules.toml", "segmentation.tiers[0].when")


def fails(text: str) -> RulesetError:
    with pytest.raises(RulesetError) as info:
        parse(text, SRC)
    return info.value


def test_comparison_and_logic_shape() -> None:
    node = parse("revenue >= 1_000_000 and days_since(last_visit) <= 90", SRC)
    assert isinstance(node, And)
    first, second = node.operands
    assert first == Compare(">=", Field("revenue", span=(0, 7)), Literal(1_000_000, span=(11, 20)), span=(0, 20))
    assert isinstance(second, Compare) and second.op == "<="
    assert isinstance(second.left, Call) and second.left.name == "days_since"
    assert second.left.args[0] == Field("last_visit", span=(36, 46))
    assert node.span == (0, len("revenue >= 1_000_000 and days_since(last_visit) <= 90"))
    assert node.type is None  # not checked yet


def test_or_is_n_ary_and_not() -> None:
    node = parse("a or b or not c", SRC)
    assert isinstance(node, Or) and len(node.operands) == 3
    assert isinstance(node.operands[2], Not)
    assert node.operands[2].operand == Field("c", span=(14, 15))


def test_chained_comparison_becomes_and() -> None:
    node = parse("1 < x <= 5", SRC)
    assert isinstance(node, And)
    assert [type(o) for o in node.operands] == [Compare, Compare]
    assert node.operands[0].op == "<" and node.operands[1].op == "<="
    assert node.operands[1].left == Field("x", span=(4, 5))
    assert to_text(node) == "1 < x and x <= 5"


def test_in_not_in_and_lists() -> None:
    node = parse("tier in ['strategic', 'core']", SRC)
    assert isinstance(node, In) and not node.negated
    assert isinstance(node.items, ListLiteral)
    assert [i.value for i in node.items.items] == ["strategic", "core"]  # type: ignore[attr-defined]
    negated = parse("code not in [-1, 2.5]", SRC)
    assert isinstance(negated, In) and negated.negated
    assert [i.value for i in negated.items.items] == [-1, 2.5]  # type: ignore[attr-defined]


def test_is_null_forms() -> None:
    for text, negated in [("sponsor is null", False), ("sponsor is not null", True),
                          ("sponsor is None", False), ("sponsor is not None", True)]:
        node = parse(text, SRC)
        assert isinstance(node, IsNull) and node.negated is negated
        assert node.operand == Field("sponsor", span=(0, 7))


def test_literals() -> None:
    assert parse("null", SRC) == Literal(None, span=(0, 4))
    assert parse("None", SRC) == Literal(None, span=(0, 4))
    assert parse("true", SRC) == Literal(True, span=(0, 4))
    assert parse("False", SRC) == Literal(False, span=(0, 5))
    assert parse("'x'", SRC) == Literal("x", span=(0, 3))
    assert parse("-3", SRC) == Literal(-3, span=(0, 2))
    assert parse("+2.5", SRC) == Literal(2.5, span=(0, 4))


def test_arithmetic_and_unary() -> None:
    node = parse("-(a + b) * 2 / c", SRC)
    assert isinstance(node, Arithmetic) and node.op == "/"
    assert isinstance(node.left, Arithmetic) and node.left.op == "*"
    assert isinstance(node.left.left, Unary) and node.left.left.op == "-"
    assert to_text(node) == "-(a + b) * 2 / c"
    assert to_text(parse("a - (b - c)", SRC)) == "a - (b - c)"
    assert to_text(parse("(a or b) and c", SRC)) == "(a or b) and c"


def test_calls_keep_positional_args() -> None:
    node = parse("count_of(contacts, role == 'budget' and strength >= 3)", SRC)
    assert isinstance(node, Call) and node.name == "count_of"
    assert node.args[0] == Field("contacts", span=(9, 17))
    assert isinstance(node.args[1], And)


def test_root_remembers_text_for_later_messages() -> None:
    text = "a > 1"
    assert parse(text, SRC).source_text == text


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("a.b > 1", "attribute access (a.b) is not supported", "field names cannot contain dots"),
        ("a[0] > 1", "indexing (a[0]) is not supported", "coalesce"),
        ("[x for x in y]", "comprehensions are not supported", "count_of(table, condition)"),
        ("(lambda: 1)()", "only plain function names can be called", "days_since"),
        ("lambda: 1", "lambda is not supported", "write the expression directly"),
        ("round(x, ndigits=2)", "keyword arguments are not supported", "pass arguments by position"),
        ("max(*xs)", "starred arguments (*x) are not supported", "by position"),
        ("f'{a}'", "f-strings are not supported", "because template"),
        ("{'a': 1}", "dictionaries are not supported", None),
        ("x in {1, 2}", "the right side of 'in' must be a list in square brackets", "x in ['a', 'b']"),
        ("{1, 2}", "sets ({...}) are not supported", "square brackets"),
        ("(y := 3)", "assignment (:=) is not supported", "[derive]"),
        ("x ** 2", "'**' is not supported", "x * x"),
        ("x % 2", "'%' is not supported", "floor(a / b)"),
        ("x // 2", "'//' is not supported", "floor(a / b)"),
        ("a & b", "'&' is not supported", "'and'"),
        ("1 if a else 2", "'a if c else b' is not supported", "if_else(condition, a, b)"),
        ("x in (1, 2)", "the right side of 'in' must be a list", None),
        ("x is 3", "'is' only works with null", "== or !="),
        ("b'abc'", "byte strings (b'...') are not supported", "plain string"),
        ("~a", "'~' is not supported", "'not'"),
        ("2 ** 70 > 1", "'**' is not supported", None),
        ("x > 99999999999999999999", "integer is too large", None),
    ],
)
def test_rejected_constructs(text: str, message: str, hint: str | None) -> None:
    error = fails(text)
    problem = error.problems[0]
    assert message in problem.message
    if hint:
        assert problem.hint is not None and hint in problem.hint
    assert problem.file == "rules.toml"
    assert problem.location == "segmentation.tiers[0].when"


def test_caret_points_at_the_offending_span() -> None:
    problem = fails("revenue > 3 and a.b == 1").problems[0]
    assert problem.excerpt == "revenue > 3 and a.b == 1\n                ^^^"


def test_every_rejected_construct_is_reported() -> None:
    error = fails("a.b > 1 or x ** 2 > 3")
    assert [p.message for p in error.problems] == [
        "attribute access (a.b) is not supported",
        "'**' is not supported",
    ]
    assert error.problems[1].excerpt == "a.b > 1 or x ** 2 > 3\n           ^^^^^^"


def test_syntax_errors_have_caret_and_hint() -> None:
    problem = fails("revenue = 3").problems[0]
    assert problem.message.startswith("syntax error")
    assert problem.hint == "compare with == (a single = is not allowed)"
    assert problem.excerpt is not None and problem.excerpt.splitlines()[0] == "revenue = 3"
    assert "&&" not in fails("a && b").problems[0].message
    assert fails("a && b").problems[0].hint == "use 'and' / 'or' instead of && / ||"
    assert fails("(a > 1").problems[0].message.startswith("syntax error")


def test_empty_expression() -> None:
    assert fails("   ").problems[0].message == "expression is empty"


def test_length_limit() -> None:
    text = " + ".join(["revenue"] * 300)
    assert len(text) > MAX_LENGTH
    problem = fails(text).problems[0]
    assert problem.message == f"expression is too long ({len(text)} characters, at most {MAX_LENGTH})"
    assert "derived fields" in (problem.hint or "")


def test_depth_limit() -> None:
    deep = "x"
    for _ in range(MAX_DEPTH + 1):
        deep = f"abs({deep})"
    problem = fails(deep).problems[0]
    assert problem.message == f"expression is nested too deeply (more than {MAX_DEPTH} levels)"
    shallow = "x"
    for _ in range(MAX_DEPTH - 1):
        shallow = f"abs({shallow})"
    assert isinstance(parse(shallow, SRC), Call)


def test_multi_line_and_indented_text() -> None:
    text = "  revenue > 1\n  and tier == 'core'"
    node = parse(text, SRC)
    assert isinstance(node, And)
    tier = node.operands[1].left  # type: ignore[attr-defined]
    assert tier == Field("tier", span=(text.index("tier"), text.index("tier") + 4))
    problem = fails("revenue > 1\nand a.b").problems[0]
    assert problem.excerpt == "and a.b\n    ^^^"


def test_spans_count_characters_not_bytes() -> None:
    text = "name == 'Zürich' and a.b"
    problem = fails(text).problems[0]
    assert problem.excerpt == text + "\n" + " " * text.index("a.b") + "^^^"


def test_python_tricks_are_rejected_not_run() -> None:
    problem = fails("__import__('os').system('x')").problems[0]
    assert problem.message == "only plain function names can be called"
    assert problem.excerpt == "__import__('os').system('x')\n" + "^" * len("__import__('os').system")
