"""Schema expressions written as Excel formulas, so a derived figure in an output workbook is a
live formula an auditor can read (=IFERROR(G19/H19,"")) and not just a number.

    excel_formula(expr_text, ref) -> "=…" or None

``ref(name)`` says where a name lives in the workbook: a cell ("'科普活动'!C5"), a list of cells
for a table column, or None (then the figure is written as a plain value). Python's semantics
are kept: a blank input makes the result blank (never 0), and ÷0 is blank.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from .schema.expr import Expr, _dotted


@dataclass(frozen=True)
class Ref:
    """Where a name lives: one cell, or the cells of a column; ``yes_no`` cells hold 是/否."""

    cells: tuple[str, ...]
    column: bool = False
    yes_no: bool = False


class _NotInWorkbook(Exception):
    pass


_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMP = {ast.Eq: "=", ast.NotEq: "<>", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_FUNCS = {"sum": "SUM", "min": "MIN", "max": "MAX", "abs": "ABS", "round": "ROUND", "count": "COUNT"}


def excel_formula(text: str, ref: Callable[[str], Ref | None]) -> str | None:
    expr = Expr.parse(text)
    scalars: list[str] = []
    try:
        body = _x(expr.tree.body, ref, scalars)
    except _NotInWorkbook:
        return None
    formula = f'IFERROR({body},"")'
    if scalars:  # Python leaves the result blank when an input is blank; Excel would read 0
        blanks = ",".join(f'{c}=""' for c in dict.fromkeys(scalars))
        formula = f'IF(OR({blanks}),"",{formula})'
    return "=" + formula


def _x(node: ast.AST, ref: Callable[[str], Ref | None], scalars: list[str]) -> str:
    name = _dotted(node)
    if name is not None:
        r = ref(name)
        if r is None or r.column:
            raise _NotInWorkbook(name)
        scalars.append(r.cells[0])
        return f'({r.cells[0]}="是")' if r.yes_no else r.cells[0]
    sub = lambda n: _x(n, ref, scalars)  # noqa: E731
    match node:
        case ast.Constant(value=bool(v)):
            return "TRUE" if v else "FALSE"
        case ast.Constant(value=str(v)):
            return '"' + v.replace('"', '""') + '"'
        case ast.Constant(value=v):
            return repr(v)
        case ast.BinOp(op=op):
            return f"({sub(node.left)}{_OPS[type(op)]}{sub(node.right)})"
        case ast.UnaryOp(op=ast.Not()):
            return f"NOT({sub(node.operand)})"
        case ast.UnaryOp(op=ast.USub()):
            return f"(-{sub(node.operand)})"
        case ast.UnaryOp():
            return sub(node.operand)
        case ast.BoolOp(op=op):
            return f"{'AND' if isinstance(op, ast.And) else 'OR'}({','.join(sub(v) for v in node.values)})"
        case ast.Compare():
            items = [node.left, *node.comparators]
            parts = [f"{sub(a)}{_CMP[type(o)]}{sub(b)}" for a, o, b in zip(items, node.ops, items[1:])]
            return parts[0] if len(parts) == 1 else f"AND({','.join(parts)})"
        case ast.IfExp():
            return f"IF({sub(node.test)},{sub(node.body)},{sub(node.orelse)})"
        case ast.Call(func=ast.Name(id=fname)):
            return _call(fname, node.args, ref, sub)
    raise _NotInWorkbook(ast.dump(node))


def _call(fname: str, args: list[ast.expr], ref: Callable[[str], Ref | None], sub: Callable[[ast.AST], str]) -> str:
    parts: list[str] = []
    for a in args:
        col = _dotted(a)
        r = ref(col) if col is not None else None
        if r is not None and r.column:  # a table column: its cells, blanks skipped as in Python
            parts.append(",".join(r.cells))
        else:
            parts.append(sub(a))
    call = f"{_FUNCS[fname]}({','.join(parts)})"
    if fname in ("min", "max"):  # Python: no values → blank; Excel would say 0
        return f'IF(COUNT({",".join(parts)})=0,"",{call})'
    return call
