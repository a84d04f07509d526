"""Expression text -> untyped nodes, through Python's ``ast`` and a whitelist.

Rulesets are data: the text is only ever *parsed* (``ast.parse(mode="eval")``),
never evaluated. Every Python construct not listed in :func:`_convert` is rejected
with a message saying what to write instead.
"""

from __future__ import annotations

import ast
import io
import math
import re
import tokenize
import warnings
from collections.abc import Sequence
from dataclasses import replace

from clientwise.compiler.plan import Source
from clientwise.errors import Problem, RulesetError
from clientwise.expr import nodes as n
from clientwise.expr.numbers import INT64_MAX, INT64_MIN, LARGEST, fits

MAX_LENGTH = 2000
MAX_DEPTH = 32

_COMPARE_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_ARITH_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_NULL_NAMES = ("null", "None")
_BOOL_NAMES = {"true": True, "false": False, "True": True, "False": False}

#: What we tell the user for Python syntax the language does not have.
_REJECTED: dict[type, tuple[str, str]] = {
    ast.Attribute: ("attribute access (a.b) is not supported", "use the field name directly; field names cannot contain dots"),
    ast.Subscript: ("indexing (a[0]) is not supported", "use a field or a function such as coalesce(...)"),
    ast.ListComp: ("comprehensions are not supported", "count related rows with count_of(table, condition)"),
    ast.SetComp: ("comprehensions are not supported", "count related rows with count_of(table, condition)"),
    ast.DictComp: ("comprehensions are not supported", "count related rows with count_of(table, condition)"),
    ast.GeneratorExp: ("comprehensions are not supported", "count related rows with count_of(table, condition)"),
    ast.Lambda: ("lambda is not supported", "write the expression directly"),
    ast.JoinedStr: ("f-strings are not supported", "use a because template: 'Revenue is {revenue}'"),
    ast.Dict: ("dictionaries are not supported", "compare values with == or in [...]"),
    ast.Set: ("sets ({...}) are not supported", "use a list in square brackets: x in ['a', 'b']"),
    ast.Tuple: ("tuples are not supported", "use a list in square brackets: x in ['a', 'b']"),
    ast.NamedExpr: ("assignment (:=) is not supported", "name the value as a derived field in [derive]"),
    ast.IfExp: ("'a if c else b' is not supported", "use if_else(condition, a, b)"),
    ast.Starred: ("starred arguments (*x) are not supported", "pass each argument by position"),
    ast.Await: ("await is not supported", "write a plain expression"),
    ast.Yield: ("yield is not supported", "write a plain expression"),
    ast.Slice: ("slices are not supported", "write a plain expression"),
}
_REJECTED_BINOPS: dict[type, tuple[str, str]] = {
    ast.Pow: ("'**' is not supported", "multiply instead: x * x"),
    ast.Mod: ("'%' is not supported", "use floor(a / b) and subtraction"),
    ast.FloorDiv: ("'//' is not supported", "use floor(a / b)"),
    ast.BitAnd: ("'&' is not supported", "use 'and'"),
    ast.BitOr: ("'|' is not supported", "use 'or'"),
    ast.BitXor: ("'^' is not supported", "use 'and', 'or', 'not'"),
    ast.LShift: ("'<<' is not supported", "use arithmetic: + - * /"),
    ast.RShift: ("'>>' is not supported", "use arithmetic: + - * /"),
    ast.MatMult: ("'@' is not supported", "use arithmetic: + - * /"),
}


def excerpt(text: str, span: n.Span) -> str:
    """The line of ``text`` holding ``span`` and a caret line under the span."""
    start, end = max(0, min(span[0], len(text))), max(0, min(span[1], len(text)))
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line_end = len(text) if line_end == -1 else line_end
    line = text[line_start:line_end]
    col = start - line_start
    width = max(1, min(end, line_end) - start)
    pad = "".join("\t" if ch == "\t" else " " for ch in line[:col])
    return f"{line}\n{pad}{'^' * width}"


def problem(
    message: str, source: Source, text: str | None, span: n.Span | None, hint: str | None = None
) -> Problem:
    """A :class:`Problem` pointing at ``span`` of the expression ``text``."""
    shown = excerpt(text, span) if text is not None and span is not None else None
    return Problem(message, file=source.file, location=source.path, excerpt=shown, hint=hint)


def parse(text: str, source: Source) -> n.Node:
    """Parse expression text into untyped nodes; raise :class:`RulesetError` on any problem."""
    return parse_fragment(text, source, offset=0, whole=text)


def parse_fragment(text: str, source: Source, *, offset: int, whole: str) -> n.Node:
    """Parse ``text`` found at ``offset`` inside ``whole`` (a template), spans relative to ``whole``."""
    if len(text) > MAX_LENGTH:
        raise RulesetError(problem(
            f"expression is too long ({len(text)} characters, at most {MAX_LENGTH})",
            source, whole, (offset, offset + len(text)),
            "move parts of it into named derived fields in [derive]",
        ))
    if not text.strip():
        raise RulesetError(problem("expression is empty", source, whole, (offset, offset + len(text)),
                                   "write a condition such as: revenue > 0"))
    unencodable = _lone_surrogate(text)
    if unencodable is not None:
        shown = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in whole)
        raise RulesetError(problem(
            "the expression holds a lone surrogate (U+D800 to U+DFFF), which is not a character", source, shown,
            (offset + unencodable, offset + unencodable + 1), "delete it, or write the character it stood for"))
    tree, parsed, shift = _ast(text, source, offset, whole)
    converter = _Converter(parsed, source, whole, offset - shift)
    node = converter.convert(tree.body, 1)
    if converter.problems:
        raise RulesetError(converter.problems)
    return replace(node, source_text=whole)


def _ast(text: str, source: Source, offset: int, whole: str) -> tuple[ast.Expression, str, int]:
    """Parse with Python; retry in parentheses so multi-line and indented text works.

    Returns the tree, the text Python parsed and how many characters were prepended.
    """
    try:
        return _python_parse(text), text, 0
    except SyntaxError as first:
        if _balanced(text):  # else the added "(" would pair with one of the text's own ")"
            wrapped = "(" + text + "\n)"
            try:
                return _python_parse(wrapped), wrapped, 1
            except SyntaxError:
                pass
        raise RulesetError(_syntax_problem(first, text, source, offset, whole)) from None


def _lone_surrogate(text: str) -> int | None:
    """Where ``text`` holds a code point Python cannot encode (None: nowhere)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return error.start
    return None


def _python_parse(text: str) -> ast.Expression:
    """``ast.parse``, with Python's syntax warnings (``1and``: invalid decimal literal) as
    errors: text Python only warns about is ambiguous, and the warning would reach stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", SyntaxWarning)
        warnings.simplefilter("error", DeprecationWarning)  # invalid escape sequences before 3.12
        try:
            return ast.parse(text, mode="eval")
        except (MemoryError, RecursionError):  # Python's parser gives up on deep nesting this way
            raise SyntaxError("brackets are nested too deeply", ("<expression>", 1, 1, text, 1, 2)) from None


def _balanced(text: str) -> bool:
    """Brackets outside strings never close more than was opened, and all close."""
    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}":
                depth -= 1
                if depth < 0:
                    return False
    except (tokenize.TokenError, SyntaxError):
        return False
    return depth == 0


def _syntax_problem(err: SyntaxError, text: str, source: Source, offset: int, whole: str) -> Problem:
    lines = text.split("\n")
    lineno = min(max(err.lineno or 1, 1), len(lines))
    col = max((err.offset or 1) - 1, 0)
    start = sum(len(line) + 1 for line in lines[: lineno - 1]) + min(col, len(lines[lineno - 1]))
    end = start + 1
    if err.end_offset and (err.end_lineno or lineno) == lineno and err.end_offset - 1 > col:
        end = start + err.end_offset - 1 - col
    message = (err.msg or "invalid syntax").split(". Maybe you meant")[0]
    hint = "check for a missing operator, quote or parenthesis"
    if re.search(r"(?<![=!<>])=(?!=)", text):
        hint = "compare with == (a single = is not allowed)"
    if "&&" in text or "||" in text:
        hint = "use 'and' / 'or' instead of && / ||"
    return problem(f"syntax error: {message}", source, whole, (offset + start, offset + end), hint)


class _Converter:
    """Walks the Python AST, keeping only whitelisted nodes; collects every problem."""

    def __init__(self, parsed: str, source: Source, whole: str, base: int):
        # ``base`` + a position in ``parsed`` = the position in ``whole``.
        self.source, self.whole, self.base = source, whole, base
        self.lines = parsed.split("\n")
        self.problems: list[Problem] = []

    def span(self, node: ast.AST) -> n.Span:
        return (self._offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
                self._offset(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]

    def _offset(self, lineno: int | None, col: int | None) -> int:
        # ast columns are UTF-8 byte offsets into the text Python parsed.
        line_no = max(lineno or 1, 1)
        before = sum(len(line) + 1 for line in self.lines[: line_no - 1])
        line = self.lines[line_no - 1] if line_no - 1 < len(self.lines) else ""
        chars = len(line.encode("utf-8")[: col or 0].decode("utf-8", errors="ignore"))
        return self.base + before + chars

    def fail(self, message: str, node: ast.AST, hint: str | None = None) -> n.Node:
        span = self.span(node)
        self.problems.append(problem(message, self.source, self.whole, span, hint))
        return n.Literal(None, span=span)

    def convert(self, node: ast.AST, depth: int) -> n.Node:
        if depth > MAX_DEPTH:
            return self.fail(f"expression is nested too deeply (more than {MAX_DEPTH} levels)", node,
                             "split it into named derived fields in [derive]")
        span = self.span(node)
        if isinstance(node, ast.Constant):
            return self.constant(node, span)
        if isinstance(node, ast.Name):
            if node.id in _NULL_NAMES:
                return n.Literal(None, span=span)
            if node.id in _BOOL_NAMES:
                return n.Literal(_BOOL_NAMES[node.id], span=span)
            return n.Field(node.id, span=span)
        if isinstance(node, ast.List):
            return n.ListLiteral(self.many(node.elts, depth), span=span)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, span, depth)
        if isinstance(node, ast.BinOp):
            op = _ARITH_OPS.get(type(node.op))
            if op is None:
                message, hint = _REJECTED_BINOPS.get(type(node.op), ("operator is not supported", None))
                return self.fail(message, node, hint)
            left, right = self.convert(node.left, depth + 1), self.convert(node.right, depth + 1)
            return n.Arithmetic(op, left, right, span=span)  # type: ignore[arg-type]
        if isinstance(node, ast.BoolOp):
            operands = self.many(node.values, depth)
            return (n.And if isinstance(node.op, ast.And) else n.Or)(operands, span=span)
        if isinstance(node, ast.Compare):
            return self.compare(node, span, depth)
        if isinstance(node, ast.Call):
            return self.call(node, span, depth)
        message, hint = _REJECTED.get(type(node), (f"'{ast.unparse(node)}' is not supported here", None))
        return self.fail(message, node, hint)

    def many(self, items: Sequence[ast.AST], depth: int) -> tuple[n.Node, ...]:
        return tuple(self.convert(item, depth + 1) for item in items)

    def constant(self, node: ast.Constant, span: n.Span) -> n.Node:
        value = node.value
        if isinstance(value, float) and not math.isfinite(value):  # 1e999 reads as infinity
            return self.fail(f"number is too large (beyond the largest number, {LARGEST:.3g})", node,
                             "use a smaller number")
        if isinstance(value, bool) or value is None or isinstance(value, (float, str)):
            return n.Literal(value, span=span)
        if isinstance(value, int):
            if not INT64_MIN <= value <= INT64_MAX:
                return self.fail("integer is too large (beyond 64 bits)", node, "use a smaller number")
            return n.Literal(value, span=span)
        if isinstance(value, bytes):
            return self.fail("byte strings (b'...') are not supported", node, "use a plain string: 'text'")
        return self.fail(f"'{ast.unparse(node)}' is not a supported value", node,
                         "use a number, a 'string', true, false or null")

    def unary(self, node: ast.UnaryOp, span: n.Span, depth: int) -> n.Node:
        if isinstance(node.op, ast.Not):
            return n.Not(self.convert(node.operand, depth + 1), span=span)
        if isinstance(node.op, ast.Invert):
            return self.fail("'~' is not supported", node, "use 'not'")
        sign = "-" if isinstance(node.op, ast.USub) else "+"
        literal = node.operand.value if isinstance(node.operand, ast.Constant) else None
        if sign == "-" and type(literal) is int and literal == -INT64_MIN:  # the smallest integer is a literal too
            return n.Literal(INT64_MIN, span=span)
        operand = self.convert(node.operand, depth + 1)
        # -5 is a literal, so lists such as [-1, 2] stay literal lists (-(-2**63) stays an
        # operation, which the checker reports as the overflow it is).
        if isinstance(operand, n.Literal) and type(operand.value) in (int, float):
            value = -operand.value if sign == "-" else operand.value  # type: ignore[operator]
            if fits(value):
                return n.Literal(value, span=span)
        return n.Unary(sign, operand, span=span)  # type: ignore[arg-type]

    def compare(self, node: ast.Compare, span: n.Span, depth: int) -> n.Node:
        parts: list[n.Node] = []
        left_ast, left = node.left, self.convert(node.left, depth + 1)
        for op, right_ast in zip(node.ops, node.comparators):
            pair_span = (self.span(left_ast)[0], self.span(right_ast)[1])
            if isinstance(op, (ast.Is, ast.IsNot)):
                if not self.is_null(right_ast):
                    right = self.fail("'is' only works with null: 'x is null' or 'x is not null'",
                                      right_ast, "compare values with == or !=")
                    parts.append(right)
                else:
                    parts.append(n.IsNull(left, isinstance(op, ast.IsNot), span=pair_span))
                left_ast, left = right_ast, n.Literal(None, span=self.span(right_ast))
                continue
            if isinstance(op, (ast.In, ast.NotIn)) and not isinstance(right_ast, ast.List):
                right = self.fail("the right side of 'in' must be a list in square brackets",
                                  right_ast, "write: x in ['a', 'b']")
                parts.append(right)
                left_ast, left = right_ast, right
                continue
            right = self.convert(right_ast, depth + 1)
            if isinstance(op, (ast.In, ast.NotIn)):
                parts.append(n.In(left, right, isinstance(op, ast.NotIn), span=pair_span))  # type: ignore[arg-type]
            else:
                parts.append(n.Compare(_COMPARE_OPS[type(op)], left, right, span=pair_span))  # type: ignore[arg-type]
            left_ast, left = right_ast, right
        return parts[0] if len(parts) == 1 else n.And(tuple(parts), span=span)

    @staticmethod
    def is_null(node: ast.AST) -> bool:
        return (isinstance(node, ast.Constant) and node.value is None) or (
            isinstance(node, ast.Name) and node.id in _NULL_NAMES
        )

    def call(self, node: ast.Call, span: n.Span, depth: int) -> n.Node:
        if not isinstance(node.func, ast.Name):
            return self.fail("only plain function names can be called", node.func,
                             "call a built-in function by name, e.g. days_since(last_visit)")
        if node.keywords:
            kw = node.keywords[0]
            return self.fail("keyword arguments are not supported", kw,
                             f"pass arguments by position: {node.func.id}(x, ...)")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                message, hint = _REJECTED[ast.Starred]
                return self.fail(message, arg, hint)
        return n.Call(node.func.id, self.many(node.args, depth), span=span)
