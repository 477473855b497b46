"""A realistic synthetic CDS-index market for examples and tests.

:func:`generate_market` simulates generic on-the-run 5Y spreads of CDX IG,
CDX HY, iTraxx Main and iTraxx Xover on the US-or-EU business-day calendar,
together with the daily PnL of a desk that is long credit risk in the four
indices plus idiosyncratic noise.

Model
-----
* Constant-maturity 5Y spreads: ``s_i(t) = theta_i * exp(x_i(t) + L(t))``.
  The log-deviation ``x`` is a discrete Ornstein-Uhlenbeck process (mean
  reversion of log spreads keeps levels in range) driven by correlated,
  unit-variance multivariate Student-t innovations (fat tails, joint large
  moves) scaled by a volatility multiplier: the maximum of a two-state
  (calm / stressed) Markov regime and the multiplier of a stress episode
  modelled on March 2020.  ``L`` is the deterministic log level of that
  episode (zero outside it): it rises to ``log 2`` between 21 February and
  23 March 2020 (spreads roughly double) and then decays with the
  mean-reversion half-life.
* Generic on-the-run series: the on-the-run contract matures on the standard
  20 Jun / 20 Dec date, so its remaining life ``tau`` slides from about 5.25
  to 4.75 years between rolls.  With a locally linear credit curve of slope
  ``b_i`` (bp per year) its spread is ``s_i(t) + b_i * (tau(t) - 5)``.  On a
  roll date the generic series switches to a contract six months longer and
  jumps by ``b_i * (new maturity - old maturity)``; that jump is reported in
  ``roll_jumps`` and ``spread change - roll jump`` is the change of the
  contract held the day before (market move plus its one-day roll-down).
* Holidays: on a US holiday CDX quotes are carried forward, on a euro-area
  holiday iTraxx quotes are carried forward (the latent process keeps moving,
  so the next open day catches up).  Days closed in both markets have no row.
* Desk PnL (in $mm): ``-sum_i exposure_i * (market part of the spread change
  of i)`` plus Gaussian idiosyncratic noise whose scale follows the same
  volatility multiplier.  The first day is the base date (PnL 0).

The numbers and their rationale are listed in ``SyntheticMarket.description``.
They are rounded, typical values for 2019-2024 as seen in public market
commentary, not a fit to any particular data set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdshedge_cvx.credit._analytics import rpv01
from cdshedge_cvx.credit._calendars import (
    CalendarName,
    DateLike,
    combined_business_days,
    eu_business_days,
    index_roll_dates,
    standard_maturity,
    us_business_days,
)
from cdshedge_cvx.market._rates import RateQuotes

__all__ = ["INSTRUMENTS", "SyntheticMarket", "generate_fx", "generate_market", "generate_rates"]

INSTRUMENTS: tuple[str, ...] = ("CDX IG", "CDX HY", "iTraxx Main", "iTraxx Xover")
"""Column order of the synthetic spreads."""

_DAYS_PER_YEAR = 365.25
_TENOR_YEARS = 5

# --------------------------------------------------------------------------
# Calibration (order of the arrays: CDX IG, CDX HY, iTraxx Main, iTraxx Xover)
# --------------------------------------------------------------------------
_LONG_RUN_BP = np.array([60.0, 345.0, 58.0, 280.0])
_DAILY_LOG_VOL = np.array([0.0185, 0.0185, 0.0185, 0.0195])
_HALF_LIFE_DAYS = 40.0
_CORRELATION = np.array(
    [
        [1.00, 0.93, 0.76, 0.72],
        [0.93, 1.00, 0.72, 0.76],
        [0.76, 0.72, 1.00, 0.94],
        [0.72, 0.76, 0.94, 1.00],
    ]
)
_T_DF = 4.0
_T_SCALE_CAP = 3.0
_REGIME_ENTER_PROB = 1.0 / 250.0
_REGIME_EXIT_PROB = 1.0 / 20.0
_REGIME_VOL_MULT = 1.8
_STRESS_START = pd.Timestamp("2020-02-21")
_STRESS_PEAK = pd.Timestamp("2020-03-23")
_STRESS_LOG_RISE = float(np.log(2.0))
_STRESS_VOL_MULT = 2.5
_STRESS_VOL_HALF_LIFE_DAYS = 15.0
_CURVE_SLOPE_BP_PER_YEAR = np.array([6.0, 36.0, 6.0, 30.0])
_ROLL_LAG_BUSINESS_DAYS: dict[str, int] = {
    "CDX IG": 0,
    "CDX HY": 5,
    "iTraxx Main": 0,
    "iTraxx Xover": 0,
}
_ROLL_CALENDAR: dict[str, CalendarName] = {
    "CDX IG": "us",
    "CDX HY": "us",
    "iTraxx Main": "eu",
    "iTraxx Xover": "eu",
}
_EXPOSURES_MM_PER_BP = np.array([0.8, 0.15, 0.5, 0.08])
_NOISE_MM = 1.9
_FX_START = 1.14
_FX_LONG_RUN = 1.12
_FX_DAILY_LOG_VOL = 0.0045
_FX_HALF_LIFE_DAYS = 260.0
_FX_STREAM = 7  # EURUSD draws come from their own stream: generate_market's draws are unchanged
# Optional stress regime (generate_market(stress=True)): clustered spread jumps, drawn from a stream of
# their own so that the default market (stress=False) is unchanged draw for draw.
_STRESS_STREAM = 13
_JUMP_CLUSTER_ENTER_PROB = 1.0 / 250.0
_JUMP_CLUSTER_EXIT_PROB = 1.0 / 8.0
_JUMP_PROB_IN_CLUSTER = 0.35
_JUMP_MEAN_LOG = 0.08
_JUMP_CAP_LOG = 0.25
_JUMP_HALF_LIFE_DAYS = 250.0
_JUMP_LOADINGS = np.array([0.1, 1.0, 0.1, 1.0])
_JUMP_EXPOSURES_MM_PER_BP = np.array([0.8, 0.9, 0.5, 0.6])

_CALIBRATION: tuple[tuple[str, str, str], ...] = (
    (
        "long-run 5Y level (bp)",
        "IG 60, HY 345, Main 58, Xover 280",
        (
            "typical 2019-2024 ranges in public market commentary: CDX IG and "
            "iTraxx Main mostly 50-90 bp, CDX HY and iTraxx Xover mostly 250-500 bp"
        ),
    ),
    (
        "daily log-spread vol, calm regime",
        "IG 1.85%, HY 1.85%, Main 1.85%, Xover 1.95%",
        (
            "about 1.1 bp/day IG/Main and 5.5-6.5 bp/day HY/Xover on calm days; "
            "with stress the full-sample vol is in the commonly quoted "
            "1-2.5 bp/day (IG/Main) and 5-15 bp/day (HY/Xover)"
        ),
    ),
    (
        "mean-reversion half-life of log spreads",
        "40 business days",
        (
            "keeps levels inside the typical ranges; a shock halves in about "
            "two months, like the retracement after March 2020"
        ),
    ),
    (
        "correlation of daily innovations",
        ("IG-HY 0.93, Main-Xover 0.94, IG-Main 0.76, HY-Xover 0.76, IG-Xover 0.72, HY-Main 0.72"),
        (
            "IG vs HY and Main vs Xover move almost together (0.9+); US vs EU "
            "0.6-0.85 (holidays lower the measured value slightly)"
        ),
    ),
    (
        "Student-t degrees of freedom",
        "4, multivariate, unit variance, scale factor capped at 3",
        (
            "fat tails of daily spread changes with joint large moves; the cap "
            "stops a single draw from dominating a six-year sample"
        ),
    ),
    (
        "volatility regimes",
        "P(calm->stressed) 1/250, P(stressed->calm) 1/20 per day, vol x1.8",
        ("about one month-long volatile spell a year, like the 2022 rate shock or the March 2023 bank stress"),
    ),
    (
        "March 2020 stress episode",
        (
            "log level +log(2) linearly from 2020-02-21 to 2020-03-23, then "
            "halving every 40 days; vol x2.5 decaying with a 15-day half-life"
        ),
        ("index spreads roughly doubled (or more) into 23 March 2020 and retraced over the following months"),
    ),
    (
        "curve slope between 4.75y and 5.25y (bp/year)",
        "IG 6, HY 36, Main 6, Xover 30",
        (
            "roll jump = slope x 0.5y: about +3 bp IG/Main, +18 bp HY, +15 bp "
            "Xover, inside the usual +2-4 bp and +10-25 bp roll differentials"
        ),
    ),
    (
        "roll dates",
        ("20 Mar / 20 Sep, next business day of the index's market; CDX HY 5 US business days later"),
        ("standard semi-annual index roll; CDX HY modelled as rolling about a week after the investment-grade indices"),
    ),
    (
        "holidays",
        "US (SIFMA-like) for CDX, TARGET-like for iTraxx; quotes carried forward",
        "a closed market does not print; its move shows up on the next open day",
    ),
    (
        "desk CS01 exposures ($mm/bp, long risk)",
        "IG 0.8, HY 0.15, Main 0.5, Xover 0.08",
        "illustrative credit desk; PnL = -exposure x market spread change + exposure x spread/RPV01 carry",
    ),
    (
        "idiosyncratic desk PnL ($mm/day)",
        "Gaussian, sd 1.9 x volatility multiplier",
        (
            "chosen so that the R^2 of desk PnL on the index spread changes is "
            "about 0.6-0.8 (meaningful but imperfect hedge)"
        ),
    ),
)

_STRESS_CALIBRATION: tuple[tuple[str, str, str], ...] = (
    (
        "stress regime: jump clusters (stress=True only)",
        "P(enter) 1/250, P(exit) 1/8 per day; inside a cluster a jump with probability 0.35 a day",
        "about one cluster a year of about eight business days: jumps come in bunches, as in credit sell-offs",
    ),
    (
        "stress regime: jump size (log spread)",
        "exponential, mean 8 % capped at 25 %, common to the four indices, loadings IG 0.1, HY 1, Main 0.1, Xover 1",
        (
            "high-yield gaps: a jump widens HY/Xover by about 25 bp and IG/Main by well under 1 bp, "
            "breaking their calm-day correlation; jumps persist (their own log level, half-life 250 days)"
        ),
    ),
    (
        "stress regime: desk CS01 to jumps ($mm/bp)",
        "IG 0.8, HY 0.9, Main 0.5, Xover 0.6",
        (
            "the desk's high-yield names gap more than the index in a jump (six times its ordinary HY CS01, "
            "7.5 times Xover) and do not give it back: a hedge sized on ordinary days under-hedges the tail"
        ),
    ),
)


def _description(stress: bool = False) -> str:
    """The calibration, one line per number with its rationale."""
    header = "Synthetic CDS-index market: generic on-the-run 5Y spreads (bp), desk PnL ($mm)."
    lines = [header]
    rows = _CALIBRATION + (_STRESS_CALIBRATION if stress else ())
    lines += [f"{name}: {value} -- {why}" for name, value, why in rows]
    return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class SyntheticMarket:
    """Output of :func:`generate_market`.

    Attributes
    ----------
    spreads : pandas.DataFrame
        Generic on-the-run 5Y spreads in bp, indexed by the combined US/EU
        business days, columns :data:`INSTRUMENTS`; includes the roll jumps.
    desk_pnl : pandas.Series
        Daily desk PnL in $mm named ``"desk_pnl"`` on the same index; the
        first day is the base date and is 0.
    roll_dates : dict of str to pandas.DatetimeIndex
        Roll dates of each index strictly after the base date and up to the
        last date (CDX HY lagged by 5 US business days).
    roll_jumps : pandas.DataFrame
        Same shape as ``spreads``: the part of each daily spread change due to
        the switch of the generic series to the new series; zero except on
        roll dates.
    exposures : pandas.Series
        True CS01 exposures of the desk in $mm/bp per index (positive: long
        credit risk, the desk loses when spreads widen).
    description : str
        The calibration, one line per number with its rationale.
    jumps : pandas.DataFrame or None
        With ``stress=True``: the jump part (bp) of each day's constant-maturity spread move (zero
        outside jump days); ``None`` without the stress regime.
    """

    spreads: pd.DataFrame
    desk_pnl: pd.Series
    roll_dates: dict[str, pd.DatetimeIndex]
    roll_jumps: pd.DataFrame
    exposures: pd.Series
    description: str
    jumps: pd.DataFrame | None = None

    def spread_changes(self, exclude_roll_jumps: bool = True) -> pd.DataFrame:
        """Daily spread changes in bp (first row 0, the base date).

        Parameters
        ----------
        exclude_roll_jumps : bool, default True
            Remove the generic-series roll jumps, leaving the market part of
            each change (the change of the contract held the day before).

        Returns
        -------
        pandas.DataFrame
            Same index and columns as ``spreads``.
        """
        changes = self.spreads.diff().fillna(0.0)
        if exclude_roll_jumps:
            changes = changes - self.roll_jumps
        return changes


def _t_scale(rng: np.random.Generator, n: int) -> np.ndarray:
    """Daily scale factors turning normals into unit-variance Student-t draws.

    ``sqrt((df - 2) / W)`` with ``W ~ chi2(df)``, shared by all indices on a day
    (a multivariate t: large moves happen jointly), capped at
    ``_T_SCALE_CAP`` so that a single draw cannot dominate a whole sample.
    """
    chi2 = rng.chisquare(_T_DF, n)
    return np.minimum(np.sqrt((_T_DF - 2.0) / chi2), _T_SCALE_CAP)


def _regime_multiplier(rng: np.random.Generator, n: int) -> np.ndarray:
    """Volatility multiplier of a two-state Markov chain starting calm."""
    calm = rng.geometric(_REGIME_ENTER_PROB, size=n)
    stressed = rng.geometric(_REGIME_EXIT_PROB, size=n)
    durations = np.empty(2 * n, dtype=np.int64)
    durations[0::2] = calm
    durations[1::2] = stressed
    state = np.repeat(np.tile(np.array([0, 1]), n), durations)[:n]
    return np.where(state == 1, _REGIME_VOL_MULT, 1.0)


def _stress_episode(dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic log-spread level and volatility multiplier of March 2020.

    The level rises linearly (in log) from 0 on ``_STRESS_START`` to
    ``log 2`` on ``_STRESS_PEAK`` and then halves every
    ``_HALF_LIFE_DAYS`` business days; the volatility multiplier is
    ``_STRESS_VOL_MULT`` on the way up and decays back to 1 afterwards.
    Business days are counted on the combined calendar, so a sample that
    starts or ends inside the episode sees the same path.
    """
    n = len(dates)
    level = np.zeros(n)
    vol = np.ones(n)
    if len(dates) == 0 or dates[-1] < _STRESS_START:
        return level, vol
    calendar = combined_business_days(_STRESS_START, max(dates[-1], _STRESS_PEAK))
    k_peak = int(calendar.searchsorted(_STRESS_PEAK))
    inside = dates >= _STRESS_START
    k = calendar.searchsorted(dates[inside]) - k_peak  # <= 0 up to the peak
    ramp_level = _STRESS_LOG_RISE * (1.0 + k / k_peak)
    decay_level = _STRESS_LOG_RISE * 0.5 ** (k / _HALF_LIFE_DAYS)
    level[inside] = np.where(k <= 0, ramp_level, decay_level)
    decay_vol = 1.0 + (_STRESS_VOL_MULT - 1.0) * 0.5 ** (k / _STRESS_VOL_HALF_LIFE_DAYS)
    vol[inside] = np.where(k <= 0, _STRESS_VOL_MULT, decay_vol)
    return level, vol


def _jump_clusters(seed: int, n: int) -> np.ndarray:
    """Log-spread jumps of the stress regime, one row per day and one column per index.

    A two-state Markov chain (calm / cluster; enter with probability ``_JUMP_CLUSTER_ENTER_PROB``,
    leave with ``_JUMP_CLUSTER_EXIT_PROB`` per day) switches jumps on; inside a cluster a day jumps
    with probability ``_JUMP_PROB_IN_CLUSTER`` by ``J · loading_i``, ``J`` exponential with mean
    ``_JUMP_MEAN_LOG``, capped at ``_JUMP_CAP_LOG`` (widening only). Drawn from the stream
    ``[seed, _STRESS_STREAM]``. Day 0 (the base date) never jumps.
    """
    rng = np.random.default_rng([int(seed), _STRESS_STREAM])
    calm = rng.geometric(_JUMP_CLUSTER_ENTER_PROB, size=n)
    cluster = rng.geometric(_JUMP_CLUSTER_EXIT_PROB, size=n)
    durations = np.empty(2 * n, dtype=np.int64)
    durations[0::2] = calm
    durations[1::2] = cluster
    state = np.repeat(np.tile(np.array([0, 1]), n), durations)[:n]
    jumps_on = (state == 1) & (rng.random(n) < _JUMP_PROB_IN_CLUSTER)
    sizes = np.minimum(rng.exponential(_JUMP_MEAN_LOG, size=n), _JUMP_CAP_LOG)
    log_jumps = np.where(jumps_on, sizes, 0.0)[:, None] * _JUMP_LOADINGS[None, :]
    log_jumps[0] = 0.0
    return log_jumps


def _on_the_run_maturities(dates: pd.DatetimeIndex, roll_dates: pd.DatetimeIndex) -> np.ndarray:
    """Maturity (as datetime64[D]) of the on-the-run contract on each date."""
    # Launch (nominal roll) date of the series on-the-run on each date: the
    # latest roll date on or before the date; dates before the first roll in
    # the window use the standard maturity of the previous roll.
    first = standard_maturity(roll_dates[0] - pd.Timedelta(days=40), _TENOR_YEARS)
    maturities = [first] + [standard_maturity(r, _TENOR_YEARS) for r in roll_dates]
    mats = pd.DatetimeIndex(maturities).values.astype("datetime64[D]")
    pos = roll_dates.searchsorted(dates, side="right")
    return mats[pos]


def generate_market(
    seed: int = 0,
    start: DateLike = "2019-01-02",
    end: DateLike = "2024-12-31",
    stress: bool = False,
) -> SyntheticMarket:
    """Simulate a synthetic CDS-index market and a credit desk's daily PnL.

    Parameters
    ----------
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the output is fully
        determined by ``(seed, start, end)``.
    start, end : date-like, default "2019-01-02", "2024-12-31"
        Sample range; the first combined business day is the base date.
    stress : bool, default False
        Add the stress regime: spread jumps clustered in time (about one cluster a year of about
        eight business days, a jump on about a third of their days) that widen HY and Xover log
        spreads by an exponential 8 % on average (capped at 25 %) (IG and Main by a tenth of that) and persist
        (half-life 250 business days), to which the desk is more exposed than on ordinary days
        (CS01 to jumps: IG 0.8, HY 0.9, Main 0.5, Xover 0.6 $mm/bp: its high-yield names gap more
        than the index). The jumps are drawn from a stream of their own: with ``stress=False`` (the
        default) the market is exactly the one without the option.

    Returns
    -------
    SyntheticMarket
        Spreads, desk PnL, roll dates, roll jumps, true exposures and the
        calibration description.

    Raises
    ------
    ValueError
        If the dates cannot be parsed, ``end < start``, the range holds fewer
        than two business days or ``seed`` is not a non-negative integer.

    Notes
    -----
    The model and its calibration are described in the module docstring and
    in ``SyntheticMarket.description``.

    Examples
    --------
    >>> market = generate_market(seed=0)
    >>> list(market.spreads.columns)
    ['CDX IG', 'CDX HY', 'iTraxx Main', 'iTraxx Xover']
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(stress, bool | np.bool_):
        raise ValueError(f"stress must be True or False, got {stress!r}")
    dates = combined_business_days(start, end)
    n = len(dates)
    if n < 2:
        raise ValueError("the sample must contain at least two business days")
    first, last = dates[0], dates[-1]
    us_open = dates.isin(us_business_days(first, last))
    eu_open = dates.isin(eu_business_days(first, last))
    us_open[0] = eu_open[0] = True  # the base date is always quoted

    rng = np.random.default_rng(seed)
    normals = rng.standard_normal((n, len(INSTRUMENTS)))
    t_scale = _t_scale(rng, n)
    regime = _regime_multiplier(rng, n)
    noise_normals = rng.standard_normal(n)

    # Latent constant-maturity 5Y spreads (log OU with t innovations).
    phi = 0.5 ** (1.0 / _HALF_LIFE_DAYS)
    stress_level, stress_vol = _stress_episode(dates)
    vol_mult = np.maximum(regime, stress_vol)
    chol = np.linalg.cholesky(_CORRELATION)
    eps = (normals @ chol.T) * t_scale[:, None]
    shocks = eps * (_DAILY_LOG_VOL[None, :] * vol_mult[:, None])
    shocks[0] = 0.0
    x = np.empty_like(shocks)
    x[0] = 0.0
    for t in range(1, n):
        x[t] = phi * x[t - 1] + shocks[t]
    log_jumps = _jump_clusters(int(seed), n) if stress else np.zeros_like(shocks)
    if stress:  # jumps persist: a log level of their own, mean-reverting slowly
        phi_jump = 0.5 ** (1.0 / _JUMP_HALF_LIFE_DAYS)
        jump_level = np.zeros_like(log_jumps)
        for t in range(1, n):
            jump_level[t] = phi_jump * jump_level[t - 1] + log_jumps[t]
        x = x + jump_level
    constant_maturity = _LONG_RUN_BP[None, :] * np.exp(x + stress_level[:, None])
    # the part of each day's spread move that is the jump (bp): s(t) · (1 − e^(−J))
    jump_bp = constant_maturity * (1.0 - np.exp(-log_jumps))

    # Generic on-the-run series, roll jumps and holiday carry-forward.
    day_numbers = dates.values.astype("datetime64[D]")
    generic = np.empty_like(constant_maturity)
    jumps = np.zeros_like(constant_maturity)
    roll_dates: dict[str, pd.DatetimeIndex] = {}
    for j, name in enumerate(INSTRUMENTS):
        calendar = _ROLL_CALENDAR[name]
        window_rolls = index_roll_dates(
            first - pd.DateOffset(years=1),
            last,
            lag_business_days=_ROLL_LAG_BUSINESS_DAYS[name],
            calendar=calendar,
        )
        maturities = _on_the_run_maturities(dates, window_rolls)
        tau = (maturities - day_numbers).astype(np.float64) / _DAYS_PER_YEAR
        generic[:, j] = constant_maturity[:, j] + _CURVE_SLOPE_BP_PER_YEAR[j] * (tau - _TENOR_YEARS)
        in_sample = window_rolls[(window_rolls > first) & (window_rolls <= last)]
        roll_dates[name] = pd.DatetimeIndex(in_sample, name="roll_date")
        rows = dates.get_indexer(in_sample)
        if np.any(rows < 0):  # pragma: no cover - rolls are market business days
            raise RuntimeError(f"{name}: a roll date is not a business day")
        maturity_gap = (maturities[rows] - maturities[rows - 1]).astype(np.float64)
        jumps[rows, j] = _CURVE_SLOPE_BP_PER_YEAR[j] * maturity_gap / _DAYS_PER_YEAR
        open_rows = us_open if name.startswith("CDX") else eu_open
        last_open = np.maximum.accumulate(np.where(open_rows, np.arange(n), 0))
        generic[:, j] = generic[last_open, j]

    spreads = pd.DataFrame(generic, index=dates, columns=list(INSTRUMENTS))
    roll_jumps = pd.DataFrame(jumps, index=dates, columns=list(INSTRUMENTS))
    if not np.all(generic > 0.0):  # pragma: no cover - guarded by calibration
        raise RuntimeError("simulated spreads are not strictly positive")

    # Desk PnL: long credit risk, loses when spreads widen.
    market_changes = np.diff(generic, axis=0, prepend=generic[:1]) - jumps
    noise = _NOISE_MM * vol_mult * noise_normals
    # ... and, like any long-risk book, earns the running spread on its risk: exposure × s / RPV01
    # per year (economic carry, ACT/360 over the calendar days since the previous row)
    day_numbers_all = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    elapsed = np.diff(day_numbers_all, prepend=day_numbers_all[:1]).astype(np.float64)
    annuity = rpv01(generic, _TENOR_YEARS, 0.4)
    carry = np.vstack([np.zeros((1, generic.shape[1])), generic[:-1] / annuity[:-1]]) * elapsed[:, None] / 360.0
    pnl = -market_changes @ _EXPOSURES_MM_PER_BP + carry @ _EXPOSURES_MM_PER_BP + noise
    if stress:  # the desk's extra loss on jumps (its jump CS01 exceeds its ordinary CS01)
        pnl = pnl - jump_bp @ (_JUMP_EXPOSURES_MM_PER_BP - _EXPOSURES_MM_PER_BP)
    pnl[0] = 0.0
    desk_pnl = pd.Series(pnl, index=dates, name="desk_pnl")
    exposures = pd.Series(_EXPOSURES_MM_PER_BP.copy(), index=list(INSTRUMENTS), name="cs01_mm_per_bp")
    return SyntheticMarket(
        spreads=spreads,
        desk_pnl=desk_pnl,
        roll_dates=roll_dates,
        roll_jumps=roll_jumps,
        exposures=exposures,
        description=_description(stress),
        jumps=pd.DataFrame(jump_bp, index=dates, columns=list(INSTRUMENTS)) if stress else None,
    )


def generate_fx(dates: pd.DatetimeIndex, seed: int = 0) -> pd.Series:
    """Simulate EURUSD (USD per EUR) on ``dates``, for converting iTraxx amounts into USD.

    A mean-reverting log random walk: ``log f(t) = log m + phi (log f(t-1) - log m) + sigma e``
    with ``f(0) = 1.14`` (EURUSD at the start of 2019), long-run level ``m = 1.12``, daily
    log-vol ``sigma = 0.45 %`` (about 7 % a year, the usual EURUSD implied vol) and a one-year
    (260-day) half-life, so over six years the path stays in about 0.95-1.35 (seed 0:
    0.97-1.27; the actual 2019-2024 range was about 0.96-1.23). Independent of the spreads;
    drawn from a stream of its own, so :func:`generate_market` with the same seed is unchanged.

    Parameters
    ----------
    dates : DatetimeIndex
        Dates of the rates (e.g. ``generate_market(seed).spreads.index``).
    seed : int, default 0
        Seed; the output is fully determined by ``(dates, seed)``.

    Returns
    -------
    pandas.Series
        EURUSD named ``"EUR"`` (USD per EUR) on ``dates``.

    Examples
    --------
    >>> fx = generate_fx(generate_market(0).spreads.index, seed=0)
    >>> float(fx.iloc[0])
    1.14
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    dates = pd.DatetimeIndex(dates)
    rng = np.random.default_rng([int(seed), _FX_STREAM])
    shocks = _FX_DAILY_LOG_VOL * rng.standard_normal(len(dates))
    phi = 0.5 ** (1.0 / _FX_HALF_LIFE_DAYS)
    log_level = np.empty(len(dates))
    anchor = np.log(_FX_LONG_RUN)
    previous = np.log(_FX_START)
    for t in range(len(dates)):
        log_level[t] = previous if t == 0 else anchor + phi * (previous - anchor) + shocks[t]
        previous = log_level[t]
    return pd.Series(np.exp(log_level), index=dates, name="EUR")


# --------------------------------------------------------------------------
# Interest rates (their own random stream: generate_market and generate_fx are unchanged)
# --------------------------------------------------------------------------
_RATES_STREAM = 11
#: Anchor levels (decimal) of the 3M money-market rate and the 10Y par swap rate, linearly interpolated
#: between the dates; rounded public levels of USD SOFR/LIBOR and swaps, EUR Euribor and swaps 2019-2024.
_RATE_ANCHORS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "USD": (
        ("2019-01-02", 0.0280, 0.0270), ("2019-07-31", 0.0230, 0.0190), ("2019-09-03", 0.0213, 0.0140),
        ("2019-12-31", 0.0190, 0.0185), ("2020-02-28", 0.0150, 0.0120), ("2020-03-31", 0.0110, 0.0070),
        ("2020-05-29", 0.0035, 0.0065), ("2020-12-31", 0.0010, 0.0093), ("2021-03-31", 0.0010, 0.0175),
        ("2021-12-31", 0.0015, 0.0158), ("2022-03-31", 0.0085, 0.0240), ("2022-06-30", 0.0210, 0.0290),
        ("2022-10-31", 0.0420, 0.0400), ("2022-12-30", 0.0470, 0.0360), ("2023-03-31", 0.0500, 0.0345),
        ("2023-07-31", 0.0535, 0.0380), ("2023-10-31", 0.0540, 0.0450), ("2023-12-29", 0.0535, 0.0350),
        ("2024-04-30", 0.0532, 0.0420), ("2024-06-28", 0.0530, 0.0395), ("2024-09-30", 0.0480, 0.0335),
        ("2024-12-31", 0.0430, 0.0385),
    ),
    "EUR": (
        ("2019-01-02", -0.0031, 0.0080), ("2019-08-30", -0.0043, -0.0030), ("2019-12-31", -0.0038, 0.0021),
        ("2020-03-31", -0.0036, -0.0010), ("2020-12-31", -0.0055, -0.0026), ("2021-06-30", -0.0054, 0.0010),
        ("2021-12-31", -0.0057, 0.0030), ("2022-06-30", -0.0020, 0.0210), ("2022-09-30", 0.0117, 0.0300),
        ("2022-12-30", 0.0213, 0.0320), ("2023-03-31", 0.0304, 0.0310), ("2023-09-29", 0.0395, 0.0340),
        ("2023-12-29", 0.0391, 0.0250), ("2024-06-28", 0.0371, 0.0280), ("2024-09-30", 0.0328, 0.0240),
        ("2024-12-31", 0.0271, 0.0230),
    ),
}
_RATE_DEPOSITS = ("1M", "3M", "6M", "1Y")
_RATE_SWAPS = ("2Y", "3Y", "5Y", "7Y", "10Y", "30Y")
_RATE_SHAPE_YEARS = 1.5  # Nelson-Siegel decay of the slope factor
_RATE_NOISE = ((0.0001, 20.0), (0.0003, 40.0))  # (daily vol, half-life in days) of the 3M and 10Y deviations


def _tenor_years(tenor: str) -> float:
    return int(tenor[:-1]) / (12.0 if tenor.endswith("M") else 1.0)


def generate_rates(dates: pd.DatetimeIndex, seed: int = 0) -> RateQuotes:
    r"""Simulate USD and EUR ISDA curve quotes on ``dates`` (2019-2024 levels), as :class:`RateQuotes`.

    Each currency's curve is a Nelson-Siegel level and slope,
    :math:`r(\tau) = L + (S - L)\,\frac{1 - e^{-\tau/k}}{\tau/k}` (:math:`k` = 1.5 years), fitted on each
    date to a 3M rate and a 10Y swap rate. Those two follow rounded public levels, linearly interpolated
    between anchor dates (USD: about 2.5 % in 2019, 0.1 % in 2020-21, 5.3-5.4 % in 2023-24 with an inverted
    curve, 10Y 0.7-4.5 %; EUR: negative until mid-2022, 3.5-4 % in 2023, 10Y -0.3 % to 3.4 %), plus mean-
    reverting noise (3M: 1 bp/day, 20-day half-life; 10Y: 3 bp/day, 40-day half-life). Quotes are the
    ISDA standard tenors 1M, 3M, 6M, 1Y (money market) and 2Y, 3Y, 5Y, 7Y, 10Y, 30Y (swaps), decimals
    rounded to 0.01 bp. Dates outside 2019-2024 take the nearest anchor level. Drawn from a stream of its
    own, so :func:`generate_market` and :func:`generate_fx` with the same seed are unchanged.

    Parameters
    ----------
    dates : DatetimeIndex
        Quote dates (e.g. ``generate_market(seed).spreads.index``).
    seed : int, default 0
        Seed; the output is fully determined by ``(dates, seed)``.

    Returns
    -------
    RateQuotes
        USD and EUR quotes on every date (``max_age_days=31``).

    Examples
    --------
    >>> rates = generate_rates(pd.bdate_range("2019-01-02", "2024-12-31"), seed=0)
    >>> round(float(rates.curve("2023-09-29", "USD").zero_rate(0.25)), 3)
    0.054
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    dates = pd.DatetimeIndex(dates).normalize()
    if len(dates) == 0:
        raise ValueError("generate_rates needs at least one date")
    rng = np.random.default_rng([int(seed), _RATES_STREAM])
    x = dates.to_numpy().astype("datetime64[D]").astype(np.float64)
    tenors = _RATE_DEPOSITS + _RATE_SWAPS
    tau = np.array([_tenor_years(t) for t in tenors])

    def shape(t: np.ndarray | float) -> np.ndarray:
        u = np.asarray(t, dtype=float) / _RATE_SHAPE_YEARS
        return (1.0 - np.exp(-u)) / u

    frames = []
    for currency, anchors in _RATE_ANCHORS.items():
        at = np.array([np.datetime64(a[0], "D").astype(np.int64) for a in anchors], dtype=np.float64)
        levels = []
        for column, (vol, half_life) in zip((1, 2), _RATE_NOISE):
            phi = 0.5 ** (1.0 / half_life)
            shocks = vol * rng.standard_normal(len(dates))
            noise = np.empty(len(dates))
            previous = 0.0
            for t in range(len(dates)):
                previous = phi * previous + shocks[t]
                noise[t] = previous
            levels.append(np.interp(x, at, [a[column] for a in anchors]) + noise)
        short, long10 = levels
        slope = (short - long10) / (shape(0.25) - shape(10.0))
        level = long10 - slope * shape(10.0)
        curve = np.round(level[:, None] + slope[:, None] * shape(tau)[None, :], 6)
        frames.append(pd.DataFrame({
            "date": np.repeat(dates, len(tenors)),
            "currency": currency,
            "tenor": np.tile(tenors, len(dates)),
            "rate": curve.ravel(),
        }))
    return RateQuotes.from_frame(pd.concat(frames, ignore_index=True), source=f"synthetic rates (seed {seed})")
