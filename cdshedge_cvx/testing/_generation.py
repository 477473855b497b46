"""Generators of valid universes, markets, period data and CS01 vectors, written once against a
*source* of choices.

Two sources back the same code: :class:`HypothesisSource` (each choice is a hypothesis draw, so
the public strategies of :mod:`cdshedge_cvx.testing` shrink) and :class:`RandomSource` (a seeded
numpy generator, used by :func:`~cdshedge_cvx.testing.check_term` inside a running hypothesis
test, where ``@given`` cannot be nested).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from cdshedge_cvx.credit._conventions import Conventions
from cdshedge_cvx.datasets._random_walk import make_market as random_walk_market
from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.market._instruments import Instrument, Universe
from cdshedge_cvx.market._market_data import MarketData
from cdshedge_cvx.market._plausibility import spread_kind
from cdshedge_cvx.periods._builder import PeriodBuilder
from cdshedge_cvx.periods._period_data import PeriodData

__all__ = [
    "HypothesisSource",
    "RandomSource",
    "Source",
    "apply_extra",
    "make_cs01_vector",
    "make_limits",
    "make_market",
    "make_period_data",
    "make_universe",
]

T = TypeVar("T")


class Source(Protocol):
    """Where the generators get their choices from."""

    def integer(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""

    def real(self, lo: float, hi: float) -> float:
        """A finite float in [lo, hi]."""

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options``."""

    def flag(self) -> bool:
        """True or False."""

    def strategy(self, strategy: SearchStrategy[T]) -> T:
        """A value of a hypothesis strategy."""


class HypothesisSource:
    """Choices drawn by hypothesis (they shrink towards the first option, zero, the lower end)."""

    def __init__(self, draw: Callable[[SearchStrategy[Any]], Any]) -> None:
        self._draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return int(self._draw(st.integers(min_value=lo, max_value=hi)))

    def real(self, lo: float, hi: float) -> float:
        return float(self._draw(st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)))

    def choice(self, options: Sequence[T]) -> T:
        return self._draw(st.sampled_from(list(options)))

    def flag(self) -> bool:
        return bool(self._draw(st.booleans()))

    def strategy(self, strategy: SearchStrategy[T]) -> T:
        return self._draw(strategy)


class RandomSource:
    """Choices from a seeded numpy generator; reals hit either end of their range 10 % of the time each."""

    def __init__(self, seed: int | np.random.Generator = 0) -> None:
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    def integer(self, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, hi, endpoint=True))

    def real(self, lo: float, hi: float) -> float:
        u = self.rng.random()
        if u < 0.1:
            return float(lo)
        if u < 0.2:
            return float(hi)
        return float(self.rng.uniform(lo, hi))

    def choice(self, options: Sequence[T]) -> T:
        options = list(options)
        return options[int(self.rng.integers(len(options)))]

    def flag(self) -> bool:
        return bool(self.rng.random() < 0.5)

    def strategy(self, strategy: SearchStrategy[T]) -> T:
        raise SpecificationError(
            "a hypothesis strategy in extra= can only be drawn when the check runs its own hypothesis search "
            "(a plain call); inside a hypothesis test give a constant or a callable f(data) instead")


def make_limits(source: Source, allow_short: bool = True) -> tuple[float, float]:
    """A CS01 box (lower, upper) in $mm/bp with lower ≤ upper."""
    upper = source.real(0.0, 2.0)
    if allow_short and source.flag():
        lower = -source.real(0.0, 2.0)
    else:
        lower = source.real(0.0, 1.0) * upper
    return float(lower), float(upper)


def make_universe(source: Source, min_size: int = 1, max_size: int = 6, allow_short: bool = True) -> Universe:
    """A universe of ``min_size`` … ``max_size`` instruments with valid fields and limits."""
    n = source.integer(min_size, max_size)
    instruments = []
    for i in range(n):
        lower, upper = make_limits(source, allow_short=allow_short)
        instruments.append(Instrument(
            name=f"IDX{i}",
            coupon_bp=source.choice([100.0, 500.0, 25.0, 0.0]),
            cs01_min=lower, cs01_max=upper,
            recovery=source.choice([0.4, 0.3, 0.25]),
            n_names=source.choice([125, 100, 75]),
            maturity_years=source.real(1.0, 10.0),
            roll_fraction=source.real(0.0, 0.5),
            bid_ask_bp=source.real(0.0, 5.0),
        ))
    return Universe(instruments)


def make_market(source: Source, universe: Universe, min_days: int = 25, max_days: int = 90,
                start: str = "2022-01-03") -> MarketData:
    """Business-day log-normal random-walk spreads (5–1500 bp) and a desk PnL loading on their
    changes: :func:`cdshedge_cvx.datasets.make_market` with the source's choices."""
    n = len(universe)
    days = source.integer(min_days, max_days)
    rng = np.random.default_rng(source.integer(0, 2**32 - 1))
    # plausible for each index's kind (MarketData refuses an IG column that looks like percent …)
    levels = [source.real(max(5.0, 4 * spread_kind(i.name)[1]), min(1500.0, spread_kind(i.name)[2] / 4))
              for i in universe]
    volatility = source.real(0.001, 0.05)
    noise = source.real(0.0, 2.0)
    return random_walk_market(universe, days, rng, levels=levels, volatility=volatility, log=True,
                              exposure=rng.normal(0, 0.5, n), noise=noise, start=start)


def make_cs01_vector(source: Source, lower: Sequence[float], upper: Sequence[float]) -> np.ndarray:
    """A CS01 vector inside [lower, upper]: each entry a corner or a point in between."""
    values = []
    for lo, hi in zip(np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)):
        kind = source.integer(0, 2)
        values.append(lo if kind == 0 else hi if kind == 1 else source.real(float(lo), float(hi)))
    return np.array(values, dtype=float)


def apply_extra(source: Source, data: PeriodData, extra: Mapping[str, Any] | None) -> PeriodData:
    """Add users' keys: a constant, a callable ``f(data) -> value`` (called as the backtest calls
    it, see :meth:`PeriodData.with_extra`) or a hypothesis strategy (drawn from ``source``)."""
    if not extra:
        return data
    drawn = {key: source.strategy(spec) if isinstance(spec, SearchStrategy) else spec for key, spec in extra.items()}
    return data.with_extra(drawn)


def make_period_data(source: Source, universe: Universe, conventions: Conventions, mode: str = "hindsight",
                     extra: Mapping[str, Any] | None = None) -> PeriodData:
    """One period's data from the package's own :class:`PeriodBuilder` on a generated market, with
    ``h_prev`` inside the box and the ``extra`` keys added."""
    market = make_market(source, universe, min_days=45 if mode == "walk-forward" else 25)
    builder = PeriodBuilder(market.for_universe(universe), market.desk_pnl, universe, conventions,
                            horizon="ME", mode=mode)  # type: ignore[arg-type]
    # a variance needs two observations: hindsight periods of a single day are not drawn
    candidates = [p for p in builder.periods if mode == "walk-forward" or p.rows >= 2]
    period = source.choice(candidates)
    data = builder.build(period, h_prev=make_cs01_vector(source, universe.lower, universe.upper))
    return apply_extra(source, data, extra)
