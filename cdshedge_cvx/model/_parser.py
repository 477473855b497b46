"""Safe parsing of objective expressions such as ``"pnl - carry - roll - 5*variance"``.

No ``eval``: a small tokenizer and a grammar of signed, weighted term names::

    objective := ["+" | "-"] product (("+" | "-") product)*
    product   := factor ("*" factor)*        (exactly one factor is a term name)
    factor    := NUMBER | NAME
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from cdshedge_cvx.errors import SpecificationError

__all__ = ["TOKEN", "builtin_term_factories", "parse_objective"]

TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
                   r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[-+*]))")


def builtin_term_factories() -> dict[str, Callable[[], object]]:
    """Names usable in ``--objective`` and the term each builds: every built-in term class of
    :mod:`cdshedge_cvx.model.terms` under its ``keyword``."""
    from cdshedge_cvx.model.terms import term_classes

    return {cls.keyword: cls for cls in term_classes() if cls.keyword}


def _tokens(text: str) -> list[tuple[str, str]]:
    out, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise SpecificationError(f"objective {text!r}: cannot read {text[position:].strip()[:20]!r} at "
                                     f"character {position + 1}; write e.g. 'pnl - carry - roll - 5*variance'")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


def parse_objective(text: str, factories: Mapping[str, Callable[[], object]] | None = None):
    """Build an :class:`~cdshedge_cvx.model.Objective` from ``text``.

    Parameters
    ----------
    text : str
        e.g. ``"pnl - carry - roll"``, ``"-variance"``, ``"pnl - 2*tcost - 0.5 * variance"``.
    factories : mapping, optional
        Term names to zero-argument constructors; default :func:`builtin_term_factories`.
    """
    from cdshedge_cvx.model._objective import Objective

    factories = dict(builtin_term_factories() if factories is None else factories)
    if not isinstance(text, str) or not text.strip():
        raise SpecificationError("the objective is empty; write e.g. 'pnl - carry - roll'")
    tokens = _tokens(text)
    objective: Objective | None = None
    sign, position = 1.0, 0
    if tokens and tokens[0] in (("op", "+"), ("op", "-")):
        sign = -1.0 if tokens[0][1] == "-" else 1.0
        position = 1
    while True:
        weight, name, expect_factor = 1.0, None, True
        while position < len(tokens):
            kind, value = tokens[position]
            if expect_factor:
                if kind == "number":
                    weight *= float(value)
                elif kind == "name":
                    if name is not None:
                        raise SpecificationError(f"objective {text!r}: '{name}*{value}' multiplies two terms; "
                                                 "the objective must stay a weighted sum")
                    if value not in factories:
                        raise SpecificationError(f"objective {text!r}: unknown term {value!r}; known terms: "
                                                 f"{', '.join(sorted(factories))}")
                    name = value
                else:
                    raise SpecificationError(f"objective {text!r}: expected a number or a term name before "
                                             f"{value!r}")
                expect_factor = False
                position += 1
            elif kind == "op" and value == "*":
                expect_factor = True
                position += 1
            else:
                break
        if expect_factor:
            raise SpecificationError(f"objective {text!r}: ends with an operator")
        if name is None:
            raise SpecificationError(f"objective {text!r}: the constant {weight:g} is not a term")
        term = factories[name]()
        piece = (sign * weight) * term
        objective = piece if objective is None else objective + piece
        if position >= len(tokens):
            break
        kind, value = tokens[position]
        if kind != "op" or value not in "+-":
            raise SpecificationError(f"objective {text!r}: expected + or - before {value!r}")
        sign = -1.0 if value == "-" else 1.0
        position += 1
        if position >= len(tokens):
            raise SpecificationError(f"objective {text!r}: ends with an operator")
    if objective is None:
        raise SpecificationError(f"objective {text!r} has no terms")
    return Objective(objective.entries)
