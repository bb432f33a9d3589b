"""A small, safe expression language for schema rules and derived fields.

Schema text is never given to ``eval``. We parse it with :func:`ast.parse` (Python's own
parser, so the grammar is familiar) and then walk the tree ourselves, accepting only:

* numbers, strings, ``True``/``False``; arithmetic ``+ - * /``; unary ``- not``;
* comparisons (chains allowed), ``and``/``or``, ``a if cond else b``;
* names, dotted for table cells (``activities.science_day.sessions``) and columns
  (``activities.sessions``, a list: use it inside ``sum``/``min``/``max``/``count``);
* calls to the functions in :data:`FUNCTIONS`.

Everything else (attributes of objects, subscripts, lambdas, comprehensions, ``**``) is refused
when the schema loads, with the offending text in the message. Arithmetic runs on
:class:`~decimal.Decimal` so money stays exact to the cent.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from decimal import ROUND_HALF_UP, Decimal, DivisionByZero, InvalidOperation
from typing import Any


class ExprError(ValueError):
    """The expression text is not in the language (raised at schema load)."""


class MissingValue(Exception):
    """A referenced value is blank: the rule or derived field does not apply (yet)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _num(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, (str, Decimal)):
        return Decimal(int(v)) if isinstance(v, bool) else v
    if isinstance(v, (int, float)):
        return Decimal(str(v))
    return v


def _values(arg: Any) -> list[Any]:
    seq = arg if isinstance(arg, list) else [arg]
    return [_num(v) for v in seq if v is not None and v != ""]


def _sum(arg: Any) -> Decimal:
    return sum(_values(arg), Decimal(0))


def _min(*args: Any) -> Any:
    vals = _values(args[0]) if len(args) == 1 else _values(list(args))
    if not vals:
        raise MissingValue("min()")
    return min(vals)


def _max(*args: Any) -> Any:
    vals = _values(args[0]) if len(args) == 1 else _values(list(args))
    if not vals:
        raise MissingValue("max()")
    return max(vals)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sum": _sum,
    "min": _min,
    "max": _max,
    "abs": lambda x: abs(_num(x)),
    "round": lambda x, n=0: _num(x).quantize(Decimal(1).scaleb(-int(n)), rounding=ROUND_HALF_UP),  # 四舍五入, as Excel
    "count": lambda arg: Decimal(len(_values(arg))),
}

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_CMPOPS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` as a string, or None when the node is not a plain dotted name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


@dataclass(frozen=True)
class Expr:
    """A parsed, checked expression. ``names`` are the dotted names it reads."""

    text: str
    tree: ast.Expression = field(repr=False, compare=False)
    names: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> Expr:
        return _parse(text)

    @classmethod
    def _parse_uncached(cls, text: str) -> Expr:
        if not isinstance(text, str) or not text.strip():
            raise ExprError("表达式为空")
        if len(text) > 2000:
            raise ExprError("表达式过长（最多 2000 个字符）")
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise ExprError(f"表达式语法错误：{text!r}（第 {exc.offset} 个字符附近）") from None
        names: set[str] = set()
        _check(tree.body, names, text)
        return cls(text=text.strip(), tree=tree, names=frozenset(names))

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """Evaluate with ``env`` mapping dotted names to values (lists for columns).

        Raises :class:`MissingValue` when a referenced value is blank or absent.
        """
        try:
            return _eval(self.tree.body, env)
        except (ZeroDivisionError, DivisionByZero, InvalidOperation):
            raise MissingValue("÷0") from None


@lru_cache(maxsize=1024)
def _parse(text: str) -> Expr:
    """Parsed expressions are immutable, so each schema text is parsed once per process."""
    return Expr._parse_uncached(text)


def _check(node: ast.AST, names: set[str], text: str) -> None:
    """Refuse every node outside the language; collect referenced names."""
    dotted = _dotted(node)
    if dotted is not None:
        names.add(dotted)
        return
    match node:
        case ast.Constant(value=v) if isinstance(v, (int, float, str, bool)):
            return
        case ast.BinOp(op=op) if type(op) in _BINOPS:
            _check(node.left, names, text)
            _check(node.right, names, text)
        case ast.UnaryOp(op=ast.USub() | ast.UAdd() | ast.Not()):
            _check(node.operand, names, text)
        case ast.BoolOp():
            for v in node.values:
                _check(v, names, text)
        case ast.Compare() if all(type(o) in _CMPOPS for o in node.ops):
            for v in (node.left, *node.comparators):
                _check(v, names, text)
        case ast.IfExp():
            for v in (node.test, node.body, node.orelse):
                _check(v, names, text)
        case ast.Call(keywords=[_, *_]):
            raise ExprError(f"函数参数不能写成“名称=值”（表达式 {text!r}）")
        case ast.Call(func=ast.Name(id=fname)) if fname in FUNCTIONS:
            for a in node.args:
                _check(a, names, text)
        case ast.Call(func=ast.Name(id=fname)):
            raise ExprError(f"不支持的函数 {fname}()：可用的有 {', '.join(FUNCTIONS)}（表达式 {text!r}）")
        case _:
            snippet = ast.get_source_segment(text.strip(), node) or type(node).__name__
            raise ExprError(f"表达式中不允许 {snippet!r}（表达式 {text!r}）")


def _lookup(name: str, env: Mapping[str, Any]) -> Any:
    if name not in env:
        raise MissingValue(name)
    value = env[name]
    if value is None or value == "":
        raise MissingValue(name)
    return value if isinstance(value, list) else _num(value)


def _eval(node: ast.AST, env: Mapping[str, Any]) -> Any:
    dotted = _dotted(node)
    if dotted is not None:
        return _lookup(dotted, env)
    match node:
        case ast.Constant(value=v):
            return _num(v)
        case ast.BinOp(op=op):
            return _BINOPS[type(op)](_eval(node.left, env), _eval(node.right, env))
        case ast.UnaryOp(op=ast.Not()):
            return not _eval(node.operand, env)
        case ast.UnaryOp(op=ast.USub()):
            return -_eval(node.operand, env)
        case ast.UnaryOp():
            return +_eval(node.operand, env)
        case ast.BoolOp(op=ast.And()):
            return all(_eval(v, env) for v in node.values)
        case ast.BoolOp():
            return any(_eval(v, env) for v in node.values)
        case ast.Compare():
            left = _eval(node.left, env)
            for op, comp in zip(node.ops, node.comparators):
                right = _eval(comp, env)
                if not _CMPOPS[type(op)](left, right):
                    return False
                left = right
            return True
        case ast.IfExp():
            return _eval(node.body if _eval(node.test, env) else node.orelse, env)
        case ast.Call(func=ast.Name(id=fname)):
            return FUNCTIONS[fname](*(_eval(a, env) for a in node.args))
    raise ExprError(f"无法计算 {ast.dump(node)}")  # unreachable after _check
