"""The named checks as suites: :func:`check_term` and :func:`check_constraint` run them all,
:func:`term_checks` and :func:`constraint_checks` list them, and :func:`parametrize_with_checks`
makes one pytest item per (component, check), as scikit-learn's ``check_estimator`` and
``parametrize_with_checks`` do for estimators.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from unittest import SkipTest

from cdshedge_cvx.credit._conventions import Conventions
from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.market._instruments import Universe
from cdshedge_cvx.model import Constraint, Term
from cdshedge_cvx.testing._checks import CheckReport, CheckRun, ContractViolation
from cdshedge_cvx.testing._named_checks import CONSTRAINT_CHECKS, TERM_CHECKS, Check, run_named

__all__ = ["check_constraint", "check_term", "constraint_checks", "parametrize_with_checks", "term_checks"]


def _run_all(run: CheckRun, checks: Sequence[Check], expected_failures: Mapping[str, str] | None) -> CheckReport:
    """Run ``checks`` in turn; those in ``expected_failures`` must fail (and are then listed in ``skipped``)."""
    expected = dict(expected_failures or {})
    unknown = sorted(set(expected) - {check.__name__ for check in checks})
    if unknown:
        raise SpecificationError(f"expected_failures names {unknown}, which are not checks of the {run.kind} "
                                 f"{run.name}")
    for check in checks:
        name = check.__name__
        try:
            run_named(run, check)
        except SkipTest as skipped:
            run.report.skipped += (f"{name}: {skipped}",)
            continue
        except ContractViolation as failure:
            if name not in expected:
                raise
            run.report.skipped += (f"{name}: failed as expected ({expected[name]}): {str(failure).splitlines()[0]}",)
            continue
        if name in expected:
            raise run.fail("expected failure", f"{name} passed although expected_failures lists it "
                           f"({expected[name]}); remove it from expected_failures")
    return run.report


def check_term(term: Term, *, universe: Universe | None = None, max_examples: int = 20,
               conventions: str | Conventions = "market", mode: str = "hindsight", sign: int | None = None,
               extra: Mapping[str, Any] | None = None,
               data: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None, seed: int = 0,
               rtol: float = 1e-6, atol: float = 1e-9, shrink: bool = True,
               expected_failures: Mapping[str, str] | None = None) -> CheckReport:
    """Check a term's contract on generated periods; raise :class:`ContractViolation` on the first breach.

    Runs the named checks of :func:`term_checks` in turn (each is also a function of
    :mod:`cdshedge_cvx.testing`); a failure names what failed:

    * ``check_dcp_dpp`` -- ``DCP``, ``DPP``, ``build``: ``expr(h)`` is a scalar DCP and DPP expression;
    * ``check_sign`` -- ``sign``: with ``sign=+1`` (or ``-1``), the term may enter the maximised
      objective with it;
    * ``check_value_matches_expr`` -- ``update``, ``value``, ``expr == value``: ``expr(h).value``
      equals ``value(h, data)`` at a drawn h, both box corners and ``h_prev``;
    * ``check_requires_complete`` -- ``requires``, ``missing key``: a term that declares
      ``requires`` reads no other key, and without any key it reads the package's ``DataError``
      is raised and names the term;
    * ``check_gradient`` -- ``gradient``: when given, it lies between the backward and forward
      finite differences of ``value`` (exact for convex or concave terms, kinks included);
    * ``check_quadratic_form`` -- ``quadratic form``: when given, G is symmetric PSD and
      hᵀGh + 2gᵀh + β equals ``value`` and ``expr``;
    * ``check_scipy_form`` -- ``scipy form``: when given, the lifted form at t = |A h − b|
      equals ``value``;
    * ``check_twin_independent`` -- ``twin independent``: ``value`` and ``gradient`` do not change
      when the Parameters are overwritten (and a linear term's ``coefficients`` returns NaN);
    * ``check_optimum_vs_scipy`` -- ``build``, ``expr == value``, ``optimum``: ``±term`` and
      ``HedgePnL() ± term`` compile, and scipy on the numpy twins cannot beat CVXPY's optimum
      (by more than 1e-7 + 1e-6·|optimum|);
    * ``check_clone_and_pickle`` -- ``clone``, ``pickle``: copies keep the hyperparameters and values;
    * ``check_hyperparameter_change_after_build`` -- ``hyperparameter change``: a hyperparameter
      changed on a built term takes effect at the next ``update``.

    Every example-based check fails ``data`` when the term refused every period (a term may refuse
    a period it cannot use by raising ``DataError`` in ``update``; such periods are counted, not
    checked). A check that does not apply (no ``gradient``, no hyperparameter …) is listed in
    ``CheckReport.skipped``.

    As a plain call the examples come from a seeded hypothesis search that shrinks a failure to a
    small example. Inside a running hypothesis test (``@given``), where searches cannot nest,
    ``max_examples`` periods are drawn from a seeded numpy generator by the same generators;
    with ``data=`` exactly those periods are checked.

    Parameters
    ----------
    term : Term
        The term, with its hyperparameters.
    universe : Universe, optional
        Check on this universe only (markets and periods are still generated).
    max_examples : int
        Periods generated per check (the solving checks use fewer).
    conventions : str or Conventions
        ``"market"`` (default), ``"seed"`` or ``"market-cash"``.
    mode : {"hindsight", "walk-forward"}
        How the generated periods are built.
    sign : {None, +1, -1}
        The sign the term is meant to enter the maximised objective with; ``None`` takes it from
        the curvature.
    extra : mapping, optional
        Keys your term reads that the package does not build: a constant, a callable
        ``f(data) -> value`` or a hypothesis strategy (plain calls only) per key.
    data : PeriodData or sequence of PeriodData, optional
        Check on these periods instead of generated ones (e.g. inside ``@given(period_data())``).
    seed : int
        Seed of the search (the check is deterministic).
    rtol, atol : float
        Tolerance of ``expr == value``: atol + rtol · max |value| over the points of the example.
    shrink : bool
        Shrink a failure to a small example (plain calls; ``False`` fails faster, on the first
        failing example).
    expected_failures : mapping, optional
        ``{"check_name": "reason"}``: named checks known to fail (scikit-learn's
        ``expected_failed_checks``). Their failure is listed in ``CheckReport.skipped`` and the other
        checks still run; one that passes fails ``expected failure`` (remove it from the mapping).

    Returns
    -------
    CheckReport

    Raises
    ------
    ContractViolation
        An ``AssertionError`` naming the check, the period (and the data keys the term read) and h.

    Examples
    --------
    >>> import cdshedge_cvx as ch
    >>> from cdshedge_cvx.testing import check_term
    >>> check_term(ch.TransactionCost()).sign                          # doctest: +SKIP
    '-'
    """
    if not isinstance(term, Term):
        raise SpecificationError(f"check_term needs a Term, got {term!r}")
    options = {"universe": universe, "max_examples": max_examples, "conventions": conventions, "mode": mode,
               "sign": sign, "extra": extra, "data": data, "seed": seed, "rtol": rtol, "atol": atol, "shrink": shrink}
    return _run_all(CheckRun(term, options, "check_term"), TERM_CHECKS, expected_failures)


def check_constraint(constraint: Constraint, *, universe: Universe | None = None, max_examples: int = 20,
                     conventions: str | Conventions = "market", mode: str = "hindsight",
                     extra: Mapping[str, Any] | None = None,
                     data: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None, seed: int = 0,
                     tol: float = 1e-7, shrink: bool = True,
                     expected_failures: Mapping[str, str] | None = None) -> CheckReport:
    """Check a constraint's contract on generated periods; raise :class:`ContractViolation` on the first breach.

    Runs the named checks of :func:`constraint_checks` in turn: ``check_dcp_dpp`` (``DCP``/``DPP``/
    ``build``: the CVXPY constraints are convex and DPP); ``check_violation_matches_constraints``
    (``update``, ``violation``: run, finite, ≥ 0; ``feasible point``/``rejected point``: at drawn
    points and their multiples, violation is 0 exactly where the CVXPY constraints hold);
    ``check_requires_complete`` (``requires``, ``missing key`` as for terms);
    ``check_optimum_vs_scipy`` (``solver answer``: CVXPY's optimum of a random ±d·h satisfies the
    twin; ``optimum``: scipy bound only by ``violation`` does not beat CVXPY; ``infeasible``: when
    CVXPY finds the limit impossible inside the box, no box point has zero violation; ``feasible
    examples``: at least one example was feasible); ``check_scipy_form`` (``scipy form``: the
    lifted form holds exactly where violation is 0); ``check_twin_independent``;
    ``check_shadow_price_vs_bumped_resolve`` (``shadow price``: d(optimum)/d(limit) against a
    bumped re-solve); ``check_clone_and_pickle``; ``check_hyperparameter_change_after_build``.

    Parameters are those of :func:`check_term` (``expected_failures`` included); ``tol`` is the
    violation counted as zero (times max(1, |h|)).

    Returns
    -------
    CheckReport
    """
    if not isinstance(constraint, Constraint):
        raise SpecificationError(f"check_constraint needs a Constraint, got {constraint!r}")
    options = {"universe": universe, "max_examples": max_examples, "conventions": conventions, "mode": mode,
               "extra": extra, "data": data, "seed": seed, "tol": tol, "shrink": shrink}
    return _run_all(CheckRun(constraint, options, "check_constraint"), CONSTRAINT_CHECKS, expected_failures)


def _bound(checks: Sequence[Check], options: Mapping[str, Any]) -> Iterator[tuple[str, Callable[..., CheckReport]]]:
    for check in checks:
        yield check.__name__, functools.partial(check, **options) if options else check


def term_checks(term: Term, **options: Any) -> Iterator[tuple[str, Callable[..., CheckReport]]]:
    """The named checks of a term, in order, as ``(name, check)``; ``check(term)`` runs one.

    ``options`` (those of :func:`check_term`) are bound into each ``check``.
    """
    if not isinstance(term, Term):
        raise SpecificationError(f"term_checks needs a Term, got {term!r}")
    return _bound(TERM_CHECKS, options)


def constraint_checks(constraint: Constraint, **options: Any) -> Iterator[tuple[str, Callable[..., CheckReport]]]:
    """The named checks of a constraint, in order, as ``(name, check)``; ``check(constraint)`` runs one.

    ``options`` (those of :func:`check_constraint`) are bound into each ``check``.
    """
    if not isinstance(constraint, Constraint):
        raise SpecificationError(f"constraint_checks needs a Constraint, got {constraint!r}")
    return _bound(CONSTRAINT_CHECKS, options)


def parametrize_with_checks(components: Sequence[Term | Constraint], *,
                            expected_failures: Mapping[str, str] | Callable[[Any], Mapping[str, str]] | None = None,
                            **options: Any) -> Any:
    """A ``pytest.mark.parametrize`` decorator with one item per (component, named check).

    The decorated test takes the arguments ``component`` and ``check`` and calls
    ``check(component)``; the item ids are ``ClassName-check_name``::

        @parametrize_with_checks([FundingCost(), HighYieldNetLimit(0.05)], extra={"funding_bp": 50.0})
        def test_contract(component, check):
            check(component)

    Parameters
    ----------
    components : sequence of Term or Constraint
    expected_failures : mapping or callable, optional
        ``{"check_name": "reason"}`` (for every component) or a function ``component ->`` such a
        mapping: those items are marked ``xfail(strict=True, raises=ContractViolation)``, so an
        item that starts passing fails until its mark is removed (they run with ``shrink=False``:
        an expected failure needs no small example).
    **options
        Options of :func:`check_term` / :func:`check_constraint`, for every check.

    Returns
    -------
    pytest.MarkDecorator
    """
    import pytest

    items = []
    for component in components:
        checks = term_checks(component, **options) if isinstance(component, Term) else \
            constraint_checks(component, **options)
        checks = list(checks)
        failures = expected_failures(component) if callable(expected_failures) else (expected_failures or {})
        unknown = sorted(set(failures) - {name for name, _ in checks})
        if unknown:
            raise SpecificationError(f"parametrize_with_checks: expected_failures names {unknown}, which are not "
                                     f"checks of {component!r}")
        for name, check in checks:
            marks = []
            if name in failures:
                marks = [pytest.mark.xfail(reason=failures[name], strict=True, raises=ContractViolation)]
                check = functools.partial(check, shrink=False)
            items.append(pytest.param(component, check, id=f"{type(component).__name__}-{name}", marks=marks))
    return pytest.mark.parametrize(("component", "check"), items)
