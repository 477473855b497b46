"""The one place that decides whether a term's CVXPY expression can enter the maximised objective,
or a limit's CVXPY constraints the problem, and the advice given when they cannot.

A term's ``expr(h)`` must be a scalar CVXPY expression that is DCP (convex, concave or affine) and
DPP (Parameters enter so that CVXPY can compile the problem once and only refresh the Parameter
values each period); a concave term may be added, a convex one subtracted.
:class:`~cdshedge_cvx.solve.HedgeProblem` refuses a term through
:func:`validate_term_expression`; the contract checks (:func:`~cdshedge_cvx.testing.check_term`)
can word each refusal as their own named check through :func:`term_expression_issue`. The same
holds for a limit's constraints (:func:`validate_limit_constraints`, :func:`limit_constraint_issue`):
each must be DCP (a convex feasible set) and DPP.
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np

from cdshedge_cvx.errors import SpecificationError

__all__ = ["as_expression", "limit_constraint_issue", "term_expression_issue", "validate_limit_constraints",
           "validate_term_expression"]

#: How :func:`validate_term_expression` words each check's reason after the term's label.
_MESSAGES = {
    "build": "term {label}: {reason}",
    "DCP": "term {label}: expression is not DCP: {reason}",
    "DPP": "term {label}: expression is not DPP: {reason}",
    "sign": "term {label} {reason}",
}


def as_expression(expression: Any) -> Any:
    """A plain number as a CVXPY constant; anything else unchanged."""
    if isinstance(expression, (int, float, np.number)):
        return cp.Constant(float(expression))
    return expression


def term_expression_issue(label: str, expression: Any, weight: float | None = None) -> tuple[str, str] | None:
    """Why ``expression`` cannot be a term of the maximised objective, or ``None``.

    Parameters
    ----------
    label : str
        The term's label, used in the advice (``'- Quadratic'``).
    expression : cvxpy.Expression
        What the term's ``expr(h)`` returned (a plain number is taken as a constant).
    weight : float, optional
        The term's weight in the objective; ``None`` skips the sign check. A term with a
        positive weight must be concave, one with a negative weight convex.

    Returns
    -------
    (check, reason) or None
        ``check`` is ``"build"`` (not a scalar CVXPY expression), ``"DCP"``, ``"DPP"`` or
        ``"sign"``; ``reason`` says what is wrong and how to fix it, without the term's label in
        front.
    """
    expression = as_expression(expression)
    if not isinstance(expression, cp.Expression):
        return "build", f"expr(h) must return a CVXPY expression, got {type(expression).__name__}"
    if not expression.is_scalar():
        return "build", f"expr(h) must be a scalar, got shape {expression.shape}"
    if not expression.is_dcp():
        return "DCP", f"expr(h) is neither convex nor concave by CVXPY's DCP rules: {expression}"
    if not expression.is_dcp(dpp=True):
        return "DPP", ("a Parameter multiplies another Parameter-dependent expression (e.g. quad_form(h, P) or "
                       "p * (q @ h)); keep a factor F as the Parameter and write sum_squares(F @ h), or fold "
                       f"constants into one Parameter: {expression}")
    if weight is not None and weight > 0 and not expression.is_concave():
        return "sign", (f"is convex, not concave, and enters the maximised objective with a + sign (weight "
                        f"{weight:g}); subtract it instead (e.g. '- {label}')")
    if weight is not None and weight < 0 and not expression.is_convex():
        return "sign", (f"is concave, not convex, and enters the maximised objective with a - sign (weight "
                        f"{weight:g}); add it instead")
    return None


def validate_term_expression(label: str, expression: Any, weight: float | None = None) -> cp.Expression:
    """``expression`` as a CVXPY expression, or :class:`SpecificationError` naming the term and the fix.

    See :func:`term_expression_issue` for the rules; the message is ``term {label}: expression is
    not DPP: …`` (``DCP``), ``term {label}: expr(h) must …`` (build) or ``term {label} is convex,
    not concave, …`` (sign).
    """
    issue = term_expression_issue(label, expression, weight)
    if issue is not None:
        check, reason = issue
        raise SpecificationError(_MESSAGES[check].format(label=label, reason=reason))
    return as_expression(expression)


def limit_constraint_issue(item: Any) -> tuple[str, str] | None:
    """Why ``item``, one of the constraints a limit's ``constraints(h)`` returned, cannot enter the problem.

    Returns
    -------
    (check, reason) or None
        ``check`` is ``"build"`` (not a CVXPY constraint), ``"DCP"`` or ``"DPP"``; ``reason``
        names the constraint and the fix.
    """
    if not isinstance(item, cp.constraints.constraint.Constraint):
        return "build", f"constraints(h) must return CVXPY constraints, got {item!r}"
    if not item.is_dcp():
        return "DCP", f"{item} is not DCP: the feasible set must be convex (affine == affine, convex <= concave)"
    if not item.is_dcp(dpp=True):
        return "DPP", (f"{item} is not DPP: a Parameter multiplies another Parameter-dependent expression; fold "
                       "constants into one Parameter")
    return None


def validate_limit_constraints(name: str, built: Any) -> list[cp.Constraint]:
    """The limit's constraints as a list, or :class:`SpecificationError` ``constraint {name}: {reason}``."""
    built = list(built)
    for item in built:
        issue = limit_constraint_issue(item)
        if issue is not None:
            raise SpecificationError(f"constraint {name}: {issue[1]}")
    return built
