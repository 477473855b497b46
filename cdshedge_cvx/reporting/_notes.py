"""Notes on a hedge that never moves: zero, or pinned to a limit, in every period, with the reason.

The reason is read from the objective's own marginal values: for each term, the mean over periods
and instruments of ``weight · ∂term/∂h`` at the chosen hedge (mm of the reporting currency per
unit of CS01), so the note names which terms drive the hedge to zero or to the limits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["marginal_values", "stuck_hedge_note"]


def _labels(objective: Any) -> list[str]:
    labels = objective.labels
    return list(labels() if callable(labels) else labels)


def marginal_values(result: Any) -> dict[str, float]:
    """Per objective term (its label): mean of ``weight · gradient`` over periods and instruments at the
    chosen hedge, mm per unit of CS01; terms without a ``gradient`` are left out."""
    labels = _labels(result.objective)
    totals: dict[str, list[float]] = {}
    for label, (weight, term) in zip(labels, result.objective):
        gradient = getattr(term, "gradient", None)
        if gradient is None:
            continue
        values = []
        for record in result.records:
            try:
                values.append(float(np.mean(weight * np.asarray(gradient(record.solution.h, record.data)))))
            except Exception:  # a term that cannot say is left out of the note, not fatal
                values = []
                break
        if values:
            totals[label] = float(np.mean(values))
    return totals


def stuck_hedge_note(result: Any) -> str | None:
    """A one-paragraph note when the hedge is zero in every period, or (walk-forward) every instrument
    sits on a CS01 limit in every period; ``None`` otherwise.

    Parameters
    ----------
    result : HedgeResult
    """
    if not result.records:
        return None
    values = result.allocations.to_numpy(dtype=float)
    lower, upper = result.universe.lower, result.universe.upper
    scale = np.maximum(1.0, np.maximum(np.abs(lower), np.abs(upper)))
    zero = bool((np.abs(values) <= 1e-9 * scale).all())
    pinned = bool(((np.abs(values - upper) <= 1e-7 * scale) | (np.abs(values - lower) <= 1e-7 * scale)).all())
    if not zero and not (pinned and result.mode == "walk-forward"):
        return None
    drivers = marginal_values(result)
    terms = ", ".join(f"{label} {value:+.3g}" for label, value in drivers.items())
    what = "zero" if zero else "on a CS01 limit for every instrument"
    text = (f"Note: the hedge is {what} in every one of the {len(result.records)} periods. Mean marginal value of "
            f"one unit of CS01 by objective term (mm per mm/bp, + favours buying protection): {terms or 'n/a'}.")
    pnl = [label for label, (_, term) in zip(_labels(result.objective), result.objective)
           if type(term).__name__ == "HedgePnL"]
    if result.mode == "walk-forward" and pnl and all(abs(drivers.get(label, 0.0)) < 1e-12 for label in pnl):
        forecast = any(np.any(np.asarray(r.data["expected_change"], dtype=float) != 0) for r in result.records)
        if not forecast:
            from cdshedge_cvx.model._component import Term

            risk = any(type(term).quadratic_form is not Term.quadratic_form for _, term in result.objective)
            text += (" Walk-forward, the expected spread change is 0 (no forecast given), so hedge PnL adds nothing "
                     "to the objective and only the costs (carry, roll …)" + (" and risk terms" if risk else "")
                     + " drive the hedge")
            if zero:
                text += (": holding none is optimal. " + ("Raise the risk term's weight" if risk else
                                                          "Add a risk term (variance)") + " or give a forecast.")
            else:
                text += "."
    elif zero:
        text += " The costs outweigh what the objective expects to gain from any hedge."
    return text
