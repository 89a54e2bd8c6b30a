"""Numbers an answer derives from others by arithmetic it shows ("78 + 61 + 55 = 194").

Such a result is grounded when its operands are and the arithmetic is right: lexical support must not
count it as an invented number, and must still catch a wrong sum.
"""

from __future__ import annotations

import ast
import operator
import re

_NUMBER = r"[€$£]?\s?\d[\d,]*(?:\.\d+)?%?"
_OPERATOR = r"\s*[-+×x*/÷]\s*"
_EXPRESSION = re.compile(rf"((?:{_NUMBER}{_OPERATOR})+{_NUMBER})\s*(?:=|≈|≃|~|is about|is)\s*({_NUMBER})")
_OPERATIONS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _plain(number: str) -> str:
    return re.sub(r"[€$£%,\s]", "", number)


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATIONS:
        return _OPERATIONS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    raise ValueError("not arithmetic")


def derived_results(text: str) -> list[tuple[list[str], str]]:
    """(operands, result) for every correct arithmetic step the text shows; wrong steps are left out."""
    found = []
    for match in _EXPRESSION.finditer(text):
        left, result = match.group(1), _plain(match.group(2))
        operands = [_plain(n) for n in re.findall(_NUMBER, left)]
        source = re.sub(r"[€$£%,]", "", left).replace("×", "*").replace("÷", "/")
        source = re.sub(r"(?<=\d)\s*x\s*(?=\d)", "*", source)
        try:
            value = _evaluate(ast.parse(source.strip(), mode="eval"))
            wanted = float(result)
        except (SyntaxError, ValueError, ZeroDivisionError):
            continue
        decimals = len(result.split(".")[1]) if "." in result else 0
        if abs(value - wanted) <= 0.5 * 10 ** -decimals + 1e-9:  # right up to the rounding shown
            found.append((operands, result))
    return found
