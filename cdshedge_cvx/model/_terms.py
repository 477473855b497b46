"""Objective terms: the :class:`Term` contract, the term algebra and the built-in terms.

A term is a concave-or-convex scalar function of the hedge ``h`` (CS01 per instrument, $mm/bp)
written twice: once as a DPP CVXPY expression over Parameters (:meth:`Term.expr`) and once as
plain numpy (:meth:`Term.value`), which the independent scipy cross-check uses. Terms combine
with ``+``, ``-`` and scalar ``*`` into an :class:`Objective` that is *maximised*::

    objective = HedgePnL() - Carry() - Roll() - 5.0 * VariancePenalty()

Every value is an amount over the period in mm of the reporting currency (the desk PnL's,
$mm by default). ``h_i`` is CS01 in mm of instrument ``i``'s own currency per bp, so each
built-in term multiplies instrument ``i``'s amount by ``fx_rate_i`` (reporting-currency units
per unit of its currency at the period's base date; 1 without an FX series).
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import cvxpy as cp
import numpy as np

from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.model._lifting import ScipyForm
from cdshedge_cvx.model._values import set_value
from cdshedge_cvx.periods._periods import PeriodData
from cdshedge_cvx.risk._estimators import CovarianceEstimator, get_estimator

__all__ = [
    "Carry",
    "HedgePnL",
    "LinearTerm",
    "Objective",
    "Roll",
    "RollDateCost",
    "Term",
    "TransactionCost",
    "VariancePenalty",
    "as_objective",
    "covariance_root",
]


class Term:
    """Base class of objective terms.

    Subclasses store hyperparameters in ``__init__`` (no logic) and implement:

    * ``setup(n)`` -- create the CVXPY Parameters once (``n`` instruments);
    * ``update(data)`` -- fill them from a :class:`~cdshedge_cvx.periods.PeriodData`;
    * ``expr(h)`` -- the CVXPY expression (must be DPP);
    * ``value(h, data)`` -- the same formula in numpy (the scipy cross-check uses it);
    * optionally ``gradient(h, data)`` and ``requires`` (the data keys read), ``reset()``
      (forget state carried between periods) and ``quadratic_form()`` (enables the direct
      OSQP path for a subtracted convex quadratic term).
    """

    #: Data keys the term reads; checked before ``update`` so a missing key names the term.
    requires: ClassVar[tuple[str, ...]] = ()
    #: Name of a non-negative hyperparameter that absorbs scalar weights (``5 * term``).
    weight_param: ClassVar[str | None] = None

    def setup(self, n: int) -> None:
        """Create the term's CVXPY Parameters for ``n`` instruments."""

    def update(self, data: Mapping[str, Any]) -> None:
        """Write the period's values into the Parameters."""

    def reset(self) -> None:
        """Forget state carried from one period to the next (called when a backtest starts)."""

    def expr(self, h: cp.Variable) -> cp.Expression:
        """The CVXPY expression of the term (scalar, DPP)."""
        raise NotImplementedError(f"{type(self).__name__}.expr is not implemented")

    def value(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        """The numpy value of the same formula at ``h``."""
        raise NotImplementedError(f"{type(self).__name__}.value is not implemented")

    def gradient(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray | None:
        """Gradient of :meth:`value` at ``h``, or ``None`` to let scipy use finite differences."""
        return None

    def quadratic_form(self) -> tuple[np.ndarray, np.ndarray, float] | None:
        """Optional: (G, g, β) such that, at the current Parameter values, the term equals
        hᵀ G h + 2 gᵀ h + β (G symmetric positive semidefinite).

        With only such terms (subtracted), linear terms and box limits, the problem is solved by
        OSQP directly on the condensed QP (see :mod:`cdshedge_cvx.direct_qp`); each period the
        form is checked against the CVXPY expression at the answer. ``None`` (default): no such
        form.
        """
        return None

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm | None:
        """Optional smooth (lifted) numpy form for the scipy cross-check of a nonsmooth term.

        Return a :class:`~cdshedge_cvx.model.ScipyForm` with ``weights`` when the term is
        Σ_k weights_k · |A_k h − b_k|; ``None`` (default) lets scipy use :meth:`value`.
        """
        return None

    @property
    def name(self) -> str:
        """Label used in breakdowns and error messages."""
        return type(self).__name__

    def clone(self) -> Term:
        """An independent copy of the hyperparameters (attributes ending in ``_``, such as the
        CVXPY Parameters, are left out: ``setup`` recreates them)."""
        bare = copy.copy(self)
        for key in [k for k in vars(bare) if k.endswith("_")]:
            delattr(bare, key)
        return copy.deepcopy(bare)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                           if not k.endswith("_") and not k.startswith("_"))
        return f"{type(self).__name__}({params})"

    # algebra ----------------------------------------------------------------------------
    def __add__(self, other: object) -> Objective:
        return as_objective(self) + other

    def __radd__(self, other: object) -> Objective:
        if isinstance(other, numbers.Number) and other == 0:  # sum([...])
            return as_objective(self)
        return NotImplemented

    def __sub__(self, other: object) -> Objective:
        return as_objective(self) - other

    def __neg__(self) -> Objective:
        return -as_objective(self)

    def __mul__(self, other: object) -> Objective:
        return as_objective(self) * other

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Objective:
        return as_objective(self) / other


def _check_scalar(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(float(value)):
        raise SpecificationError(f"terms can only be scaled by a finite real number, got {value!r}")
    return float(value)


class Objective:
    """A weighted sum of terms, maximised: Σ_k w_k · term_k(h).

    Parameters
    ----------
    entries : sequence of (float, Term)
        Weights and terms. Built with ``+``, ``-`` and scalar ``*`` on terms.
    """

    def __init__(self, entries: Sequence[tuple[float, Term]]) -> None:
        self.entries: tuple[tuple[float, Term], ...] = tuple(entries)
        for weight, term in self.entries:
            if not isinstance(term, Term):
                raise SpecificationError(f"objective entries must be Terms, got {term!r}")
            _check_scalar(weight)

    def __iter__(self) -> Iterator[tuple[float, Term]]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def terms(self) -> list[Term]:
        """The terms, in order."""
        return [term for _, term in self.entries]

    def labels(self) -> list[str]:
        """Unique labels of the entries (``Carry``, ``Carry#2`` …)."""
        labels: list[str] = []
        for _, term in self.entries:
            label, k = term.name, 2
            while label in labels:
                label, k = f"{term.name}#{k}", k + 1
            labels.append(label)
        return labels

    def __add__(self, other: object) -> Objective:
        if isinstance(other, (Term, Objective)):
            return Objective(self.entries + as_objective(other).entries)
        if isinstance(other, numbers.Number) and other == 0:
            return self
        return NotImplemented

    def __radd__(self, other: object) -> Objective:
        if isinstance(other, numbers.Number) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: object) -> Objective:
        if isinstance(other, (Term, Objective)):
            return self + (-as_objective(other))
        return NotImplemented

    def __neg__(self) -> Objective:
        return self * -1.0

    def __mul__(self, other: object) -> Objective:
        k = _check_scalar(other)
        entries = []
        for weight, term in self.entries:
            if term.weight_param is not None and k != 0:
                # absorb |k| into the term's own non-negative weight, keep the sign outside
                scaled = term.clone()
                setattr(scaled, term.weight_param, getattr(term, term.weight_param) * abs(k))
                entries.append((weight * float(np.sign(k)), scaled))
            else:
                entries.append((weight * k, term))
        return Objective(entries)

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Objective:
        return self * (1.0 / _check_scalar(other))

    def __repr__(self) -> str:
        parts = []
        for i, (weight, term) in enumerate(self.entries):
            sign = "-" if weight < 0 else "+"
            mag = abs(weight)
            body = repr(term) if mag == 1 else f"{mag:g} * {term!r}"
            parts.append((f"-{body}" if sign == "-" else body) if i == 0 else f" {sign} {body}")
        return "".join(parts) or "Objective()"


def as_objective(value: Term | Objective) -> Objective:
    """Wrap a single term as an :class:`Objective`; pass an objective through."""
    if isinstance(value, Objective):
        return value
    if isinstance(value, Term):
        return Objective([(1.0, value)])
    raise SpecificationError(f"expected a Term or an Objective, got {value!r}")


class LinearTerm(Term):
    """A term linear in h: c · h, with c computed by :meth:`coefficients` from the data.

    Subclasses implement ``coefficients(data) -> ndarray`` only.
    """

    def coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        """The vector c of the term c · h ($mm per unit of CS01)."""
        raise NotImplementedError

    def setup(self, n: int) -> None:
        self.c_ = cp.Parameter(n, name=f"{self.name}.c")

    def update(self, data: Mapping[str, Any]) -> None:
        set_value(self.c_, self.coefficients(data))

    def expr(self, h: cp.Variable) -> cp.Expression:
        return self.c_ @ h

    def value(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(np.dot(self.coefficients(data), h))

    def gradient(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        return np.asarray(self.coefficients(data), dtype=float)


class HedgePnL(LinearTerm):
    """Hedge PnL over the period: pnl_scale · Σ_i fx_i · E[Δs_i] · h_i.

    ``E[Δs]`` is ``expected_change``: the realised total change in hindsight, the forecast
    (zero by default) in walk-forward. Market: Δs(bp) · h($mm/bp) = $mm; seed: × 0.01.
    Protection bought (h > 0) gains when spreads widen. Example (market): 0.25 $mm/bp of
    CDX IG over a period in which the spread widens 6 bp gains 6 × 0.25 = $1.5mm.
    """

    requires = ("expected_change", "pnl_scale", "fx_rate")

    def coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        return (data["pnl_scale"] * np.asarray(data["fx_rate"], dtype=float)
                * np.asarray(data["expected_change"], dtype=float))


class Carry(LinearTerm):
    """Running premium paid on protection bought (a cost, subtract it).

    carry_i = carry_scale · fx_i · rate_i / annuity_i · accrual · h_i

    Market: rate = spread (economic carry; coupon with ``market-cash``), annuity = RPV01 at
    the period's base date and remaining maturity, accrual = calendar days/360, so
    h · s / RPV01 · days/360 = notional · s · 1e-4 · days/360 (h / RPV01 = notional · 1e-4).
    Seed: h · coupon/1e4 · rows/252.
    """

    requires = ("carry_rate_bp", "carry_annuity", "carry_accrual", "carry_scale", "fx_rate")

    def coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        rate = np.asarray(data["carry_rate_bp"], dtype=float)
        return (data["carry_scale"] * np.asarray(data["fx_rate"], dtype=float) * rate
                / np.asarray(data["carry_annuity"], dtype=float) * data["carry_accrual"])


class Roll(LinearTerm):
    """Roll-down cost of protection bought (subtract it).

    roll_i = roll_scale · fx_i · fraction_i · s_i · accrual · h_i

    The spread of a contract held rolls down the curve by about ``fraction × s`` per year as
    it ages; protection bought loses that. Market: fraction (per year, default 0.2) × spread
    (bp) × calendar days/365 × h ($mm/bp) = $mm. Seed: h · s · 0.2 · rows/252 · 1e-4 (the
    prototype's stray 1e-4).
    """

    requires = ("roll_fraction", "spread_start", "roll_accrual", "roll_scale", "fx_rate")

    def coefficients(self, data: Mapping[str, Any]) -> np.ndarray:
        return (data["roll_scale"] * np.asarray(data["fx_rate"], dtype=float)
                * np.asarray(data["roll_fraction"], dtype=float)
                * np.asarray(data["spread_start"], dtype=float) * data["roll_accrual"])


def covariance_root(covariance: np.ndarray) -> np.ndarray:
    """A square factor R with RᵀR = Σ.

    A PSD Σ is zero in the row and column of a zero diagonal entry (a series that does not
    move), so only the block of the series that move is factored (thousands of flat instruments
    stay cheap): by Cholesky (Σ = LLᵀ, R = Lᵀ) when that block is positive definite, otherwise
    (a window shorter than the number of variables, collinear series) by the eigen-root
    R = diag(√max(λ, 0)) Vᵀ of Σ = V diag(λ) Vᵀ, which clips the tiny negative eigenvalues
    rounding leaves in a singular covariance.
    """
    root = np.zeros_like(covariance)
    active = np.flatnonzero(np.diag(covariance) > 0)
    if not active.size:
        return root
    block = covariance[np.ix_(active, active)]
    try:
        factor = np.linalg.cholesky(block).T
    except np.linalg.LinAlgError:
        eigenvalues, eigenvectors = np.linalg.eigh(block)
        factor = np.sqrt(np.clip(eigenvalues, 0.0, None))[:, None] * eigenvectors.T
    if active.size == covariance.shape[0]:
        return factor
    root[np.ix_(active, active)] = factor
    return root


class VariancePenalty(Term):
    """Variance of the hedged book over the period (convex: subtract it).

    Var(h) = γ · T · [1, hᵀ] Σ [1, hᵀ]ᵀ, with Σ the daily covariance of
    (desk PnL, pnl_scale · fx · Δs) from ``estimator`` on ``risk_desk_pnl``/``risk_changes``
    and T = ``horizon_rows``. DPP-safe: the Parameters are the factor R (Σ = RᵀR, from
    :func:`covariance_root`: Cholesky, or the eigen-root when Σ is singular) and the expression
    is ``sum_squares(A h + b)`` with A = √(γT)·R[:, 1:], b = √(γT)·R[:, 0]; γ enters through
    the Parameter values, so changing it never recompiles. In a walk-forward backtest the
    trailing-window covariance of the sample and EWMA estimators is updated from the previous
    period's (:class:`~cdshedge_cvx.risk.RollingCovariance`); :meth:`value` (the numpy
    twin the scipy cross-check uses) always estimates from scratch.

    Parameters
    ----------
    gamma : float
        Weight γ ≥ 0 ($mm of objective per $mm² of variance). ``5 * VariancePenalty()`` is
        ``VariancePenalty(gamma=5)``.
    estimator : str or CovarianceEstimator
        ``"sample"`` (default), ``"ewma"``, ``"ledoit-wolf"`` or an estimator object such as
        ``EWMACovariance(half_life=20)`` (see :mod:`cdshedge_cvx.estimators`).

    Notes
    -----
    With no other term and limits that do not bind, maximising ``-VariancePenalty()`` gives
    pnl_scale · h = −β, β the OLS slopes (with intercept) of desk PnL on the spread changes
    under the estimator's weights: the minimum-variance hedge.
    """

    requires = ("risk_changes", "risk_desk_pnl", "horizon_rows", "pnl_scale", "fx_rate")
    weight_param = "gamma"

    def __init__(self, gamma: float = 1.0, estimator: str | CovarianceEstimator = "sample") -> None:
        self.gamma = gamma
        self.estimator = estimator

    def _covariance(self, data: Mapping[str, Any]) -> np.ndarray:
        """Σ of (desk, pnl_scale·fx·Δs) from the estimator, computed from scratch (numpy twin).

        Remembered for the last :class:`~cdshedge_cvx.periods.PeriodData` seen (immutable), so the
        scipy cross-check's many evaluations of :meth:`value`/:meth:`gradient` estimate it once
        per period; any other mapping is estimated afresh on every call.
        """
        cached = getattr(self, "twin_cache_", None)
        if cached is not None and cached[0] is data:
            return cached[1]
        scale = data["pnl_scale"] * np.asarray(data["fx_rate"], dtype=float)
        observations = np.column_stack([np.asarray(data["risk_desk_pnl"], dtype=float),
                                        scale * np.asarray(data["risk_changes"], dtype=float)])
        covariance = get_estimator(self.estimator).covariance(observations)
        if isinstance(data, PeriodData):
            self.twin_cache_ = (data, covariance)
        return covariance

    def _tracked_covariance(self, data: Mapping[str, Any]) -> np.ndarray:
        """The same Σ, updated from the previous period's window when the estimator allows it.

        The running sums are kept on the unscaled (desk PnL, Δs) rows, which do not change
        from one period to the next, and scaled afterwards: Σ = D Σ_raw D with
        D = diag(1, pnl_scale·fx) (the sample and EWMA covariances are equivariant under it).
        """
        if self.rolling_ is None:
            return self._covariance(data)
        raw = np.column_stack([np.asarray(data["risk_desk_pnl"], dtype=float),
                               np.asarray(data["risk_changes"], dtype=float)])
        scale = np.concatenate([[1.0], data["pnl_scale"] * np.asarray(data["fx_rate"], dtype=float)])
        return self.rolling_.covariance(raw) * np.outer(scale, scale)

    def setup(self, n: int) -> None:
        if self.gamma < 0 or not np.isfinite(self.gamma):
            raise SpecificationError(f"VariancePenalty: gamma must be finite and >= 0, got {self.gamma}")
        self.A_ = cp.Parameter((n + 1, n), name="VariancePenalty.A")
        self.b_ = cp.Parameter(n + 1, name="VariancePenalty.b")
        self.rolling_ = get_estimator(self.estimator).rolling()

    def reset(self) -> None:
        if self.rolling_ is not None:
            self.rolling_.reset()

    def update(self, data: Mapping[str, Any]) -> None:
        covariance = self._tracked_covariance(data)
        root = covariance_root(covariance)
        weight = self.gamma * data["horizon_rows"]
        scale = np.sqrt(weight)
        set_value(self.A_, scale * root[:, 1:])
        set_value(self.b_, scale * root[:, 0])
        self.gram_ = weight * covariance

    def quadratic_form(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(G, g, β) = γT·(Σ_hh, Σ_h0, Σ_00) from the covariance whose factor fills ``A_``, ``b_``
        (so hᵀGh + 2gᵀh + β = ‖A h + b‖² up to rounding; no matrix product needed)."""
        gram = self.gram_
        return gram[1:, 1:], gram[1:, 0], float(gram[0, 0])

    def expr(self, h: cp.Variable) -> cp.Expression:
        return cp.sum_squares(self.A_ @ h + self.b_)

    def value(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        v = np.concatenate([[1.0], np.asarray(h, dtype=float)])
        return float(self.gamma * data["horizon_rows"] * v @ self._covariance(data) @ v)

    def gradient(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        v = np.concatenate([[1.0], np.asarray(h, dtype=float)])
        return 2.0 * self.gamma * data["horizon_rows"] * (self._covariance(data) @ v)[1:]


class TransactionCost(Term):
    """Cost of trading from the previous holdings (subtract it).

    tcost = Σ_i ½ · fx_i · bid_ask_i(bp) · |h_i − h_prev,i|   ($mm, CS01 traded × half the spread)

    DPP form: Σ |c ⊙ h − c ⊙ h_prev| with c = ½·fx·bid_ask ≥ 0 and c ⊙ h_prev as Parameters.

    Parameters
    ----------
    multiplier : float
        Scales the bid/ask (1 = the instruments' typical bid/ask).
    """

    requires = ("bid_ask_bp", "h_prev", "fx_rate")
    weight_param = "multiplier"

    def __init__(self, multiplier: float = 1.0) -> None:
        self.multiplier = multiplier

    def _half_spread(self, data: Mapping[str, Any]) -> np.ndarray:
        return (0.5 * self.multiplier * np.asarray(data["fx_rate"], dtype=float)
                * np.asarray(data["bid_ask_bp"], dtype=float))

    def setup(self, n: int) -> None:
        self.c_ = cp.Parameter(n, nonneg=True, name="TransactionCost.c")
        self.c_prev_ = cp.Parameter(n, name="TransactionCost.c_prev")

    def update(self, data: Mapping[str, Any]) -> None:
        c = self._half_spread(data)
        self.c_.value = c
        self.c_prev_.value = c * np.asarray(data["h_prev"], dtype=float)

    def expr(self, h: cp.Variable) -> cp.Expression:
        return cp.sum(cp.abs(cp.multiply(self.c_, h) - self.c_prev_))

    def value(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(np.sum(self._half_spread(data) * np.abs(np.asarray(h) - np.asarray(data["h_prev"]))))

    def gradient(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        return self._half_spread(data) * np.sign(np.asarray(h) - np.asarray(data["h_prev"]))

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """Σ_i c_i · t_i with t_i ≥ |h_i − h_prev,i| (smooth for scipy)."""
        return ScipyForm.abs_sum(np.asarray(data["h_prev"], dtype=float), self._half_spread(data))

class RollDateCost(Term):
    """Cost of rolling a position into the new series on the index roll dates (subtract it).

    rollcost = Σ_i multiplier · fx_i · bid_ask_i(bp) · roll_count_i · |h_i|   ($mm)

    ``roll_count_i`` is the number of roll dates of instrument ``i`` inside the period
    (20 March / 20 September, moved to a business day and lagged by ``roll_lag_days``; CDX HY
    about a week later), so a position held across a roll pays it. Rolling is two trades (sell
    the old series, buy the new one), each paying half the bid/ask: one full bid/ask per unit
    of CS01 rolled. Example: 0.25 $mm/bp of CDX IG (bid/ask 0.5 bp) held across the March roll
    pays 0.25 × 0.5 = $0.125mm. The roll is charged on the period's holding ``h``, whatever
    was held before.

    DPP form: c · |h| with c = multiplier · fx · bid_ask · roll_count ≥ 0 a Parameter.

    Parameters
    ----------
    multiplier : float
        Scales the bid/ask paid on the roll (e.g. 0.5 if the roll trades at half the outright
        bid/ask).
    """

    requires = ("bid_ask_bp", "roll_count", "fx_rate")
    weight_param = "multiplier"

    def __init__(self, multiplier: float = 1.0) -> None:
        self.multiplier = multiplier

    def cost_per_cs01(self, data: Mapping[str, Any]) -> np.ndarray:
        """c_i = multiplier · fx_i · bid_ask_i · roll_count_i ($mm per $mm/bp held)."""
        return (self.multiplier * np.asarray(data["fx_rate"], dtype=float)
                * np.asarray(data["bid_ask_bp"], dtype=float) * np.asarray(data["roll_count"], dtype=float))

    def setup(self, n: int) -> None:
        if self.multiplier < 0 or not np.isfinite(self.multiplier):
            raise SpecificationError(f"RollDateCost: multiplier must be finite and >= 0, got {self.multiplier}")
        self.c_ = cp.Parameter(n, nonneg=True, name="RollDateCost.c")

    def update(self, data: Mapping[str, Any]) -> None:
        self.c_.value = self.cost_per_cs01(data)

    def expr(self, h: cp.Variable) -> cp.Expression:
        return self.c_ @ cp.abs(h)

    def value(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        return float(np.sum(self.cost_per_cs01(data) * np.abs(np.asarray(h, dtype=float))))

    def gradient(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray:
        """c · sign(h), with the right derivative +c at h = 0 (a subgradient; on the usual
        box h ≥ 0 it is the exact derivative inside the box, which keeps the scipy
        cross-check from stalling at the kink)."""
        return self.cost_per_cs01(data) * np.where(np.asarray(h, dtype=float) >= 0.0, 1.0, -1.0)

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm:
        """Σ_i c_i · t_i with t_i ≥ |h_i| (smooth for scipy)."""
        c = self.cost_per_cs01(data)
        return ScipyForm.abs_sum(np.zeros_like(c), c)
