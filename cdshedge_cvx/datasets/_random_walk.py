"""A small, fast synthetic market for tests, property-based strategies and benchmarks.

:func:`make_market` draws correlated random-walk spreads for any number of instruments on
business days, and the PnL of a desk with known CS01 exposures to them. It is the one simple
generator of the package: :mod:`cdshedge_cvx.testing`'s strategies, the test suite and the
benchmarks call it with their own parameters. The realistic four-index market of the examples
(calendars, rolls, regimes, FX) is :func:`~cdshedge_cvx.datasets.generate_market`.

Model
-----
* Daily steps ``e_t ~ N(0, Σ)`` (``Σ = covariance``, or ``C ∘ σσᵀ`` from ``correlation`` C and
  ``volatility`` σ), ``e_0 = 0`` (the first date is the base date).
* Spreads: ``s_t = s_0 + Σ_{u≤t} e_u`` (bp), or ``s_t = s_0 · exp(Σ_{u≤t} e_u)`` with ``log=True``
  (``e`` are then log-changes); floored at ``floor`` bp when given.
* Desk PnL ($mm): ``−(s_t − s_{t−1}) · exposure + noise · z_t`` with ``z_t ~ N(0, 1)``; 0 on the
  base date (``exposure`` in $mm/bp: positive means long credit risk).

Draws: the steps (``rng.multivariate_normal``, one row per date), then the desk noise
(``rng.normal``, one per date), from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cdshedge_cvx.market._instruments import Universe
from cdshedge_cvx.market._market_data import MarketData

__all__ = ["make_market"]


def _names(universe: int | Sequence[str] | Universe) -> list[str]:
    if isinstance(universe, Universe):
        return list(universe.names)
    if isinstance(universe, (int, np.integer)):
        if universe < 1:
            raise ValueError(f"a market needs at least one instrument, got {universe}")
        return [f"IDX{i}" for i in range(int(universe))]
    return [str(name) for name in universe]


def _covariance(n: int, volatility: Any, correlation: Any) -> np.ndarray:
    vols = np.broadcast_to(np.asarray(volatility, dtype=float), (n,))
    if np.ndim(correlation) == 0:
        correlation = np.full((n, n), float(correlation))
        np.fill_diagonal(correlation, 1.0)
    return np.asarray(correlation, dtype=float) * np.outer(vols, vols)


def make_market(universe: int | Sequence[str] | Universe, days: int, seed: int | np.random.Generator = 0, *,
                levels: float | Sequence[float] = 100.0, volatility: float | Sequence[float] = 1.0,
                correlation: float | np.ndarray = 0.0, covariance: np.ndarray | None = None, log: bool = False,
                exposure: float | Sequence[float] = 0.0, noise: float = 0.0, floor: float | None = None,
                start: str = "2022-01-03", source: str = "generated market") -> MarketData:
    """Correlated random-walk spreads on business days and a desk PnL with known exposures.

    Parameters
    ----------
    universe : int, sequence of str or Universe
        The instruments: their names, a :class:`~cdshedge_cvx.market.Universe`, or a count
        (names ``IDX0``, ``IDX1`` …).
    days : int
        Number of business days from ``start`` (the first is the base date).
    seed : int or numpy.random.Generator, default 0
        RNG seed (or a generator, whose state the call advances); the output is fully determined
        by the seed and the other arguments.
    levels : float or sequence of float, default 100
        Spreads on the base date, bp.
    volatility : float or sequence of float, default 1
        Standard deviation of the daily steps (bp, or log-change with ``log``), per instrument.
    correlation : float or (n, n) array, default 0
        Correlation of the daily steps: one value for every pair, or the matrix.
    covariance : (n, n) array, optional
        Covariance of the daily steps; replaces ``volatility`` and ``correlation``.
    log : bool, default False
        Log-normal spreads (``e`` are log-changes) instead of arithmetic ones.
    exposure : float or sequence of float, default 0
        The desk's CS01 per instrument, $mm/bp (positive: long credit risk).
    noise : float, default 0
        Standard deviation of the desk's idiosyncratic daily PnL, $mm.
    floor : float, optional
        Lowest spread, bp (an arithmetic walk can otherwise go below zero).
    start : str, default "2022-01-03"
        First date.
    source : str, default "generated market"
        Label of the spreads in messages (:class:`~cdshedge_cvx.market.MarketData` ``source``).

    Returns
    -------
    MarketData
        Spreads (dates × instruments) and the desk PnL.

    Examples
    --------
    >>> from cdshedge_cvx.datasets import make_market
    >>> market = make_market(3, days=60, seed=1, levels=80.0, volatility=1.5, correlation=0.8,
    ...                      exposure=[0.5, 0.2, 0.1], noise=0.3)
    >>> market.spreads.shape
    (60, 3)
    """
    names = _names(universe)
    n = len(names)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if covariance is None:
        covariance = _covariance(n, volatility, correlation)
    steps = rng.multivariate_normal(np.zeros(n), covariance, size=days)
    steps[0] = 0.0
    paths = np.cumsum(steps, axis=0)
    spreads = np.asarray(levels, dtype=float) * np.exp(paths) if log else np.asarray(levels, dtype=float) + paths
    if floor is not None:
        spreads = np.maximum(spreads, floor)
    changes = np.vstack([np.zeros(n), np.diff(spreads, axis=0)])
    desk = -changes @ np.broadcast_to(np.asarray(exposure, dtype=float), (n,)) + noise * rng.normal(size=days)
    desk[0] = 0.0
    dates = pd.bdate_range(start, periods=days)
    return MarketData(pd.DataFrame(spreads, index=dates, columns=names), pd.Series(desk, index=dates),
                      source=source)
