"""The one contract of the model's components: objective terms and limits.

A component (cvxportfolio's Cost and Constraint share one estimator base) is written in the
scikit-learn style:

* ``__init__`` stores hyperparameters only (no logic, no data);
* ``setup(n)`` creates its CVXPY Parameters once, for ``n`` instruments (fitted state: names end
  in ``_``);
* ``update(data)`` writes one period's values, and every hyperparameter, into those Parameters,
  so a hyperparameter changed on a compiled problem's component takes effect at the next period
  without recompiling;
* ``reset()`` forgets state carried from one period to the next;
* ``clone()`` is a fresh copy of the hyperparameters (the fitted attributes are left out).

A :class:`Term` adds ``expr(h)`` (the DPP CVXPY expression) and ``value(h, data)`` (the same
formula in numpy, for the independent scipy cross-check); a :class:`Constraint` adds
``constraints(h)``, ``violation(h, data)`` and ``shadow_price()``.

Optional capabilities are methods a component declares by overriding them; the class attribute
``capabilities`` lists those a class overrides and ``component.has(name)`` asks for one, so a
checker can test each one a component claims:

=================  =========================================================================
capability         meaning
=================  =========================================================================
``gradient``       (term) analytic gradient of ``value``
``contributions``  (term) the value split per instrument (``value`` = its sum); used by the
                   realised attribution of a result
``quadratic_form`` (term) ``(G, g, β)`` for the direct-QP path
``scipy_form``     (term, limit) a smooth lifted form for the scipy cross-check
=================  =========================================================================
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import cvxpy as cp
import numpy as np

from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.model._lifting import ScipyForm

if TYPE_CHECKING:
    from cdshedge_cvx.credit._conventions import Conventions
    from cdshedge_cvx.model._objective import Objective

__all__ = ["Component", "Constraint", "Term", "check_limit"]


def _default_of(cls: type, name: str) -> Any:
    """The base declaration of the optional method ``name``: the one closest to ``object`` in the MRO."""
    for klass in reversed(cls.__mro__):
        if name in vars(klass):
            return vars(klass)[name]
    return None


class Component:
    """Base of terms and limits: hyperparameters, Parameters, per-period update, clone, capabilities."""

    #: Data keys the component reads; checked before ``update`` so a missing key names it.
    requires: ClassVar[tuple[str, ...]] = ()
    #: Optional methods a subclass may override (see :meth:`has`).
    optional: ClassVar[tuple[str, ...]] = ()
    #: The optional methods this class overrides (set for every subclass when it is defined).
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.capabilities = frozenset(name for name in cls.optional
                                     if vars(cls).get(name, getattr(cls, name)) is not _default_of(cls, name))

    def has(self, capability: str) -> bool:
        """Whether the component declares ``capability`` (one of :attr:`optional`) by overriding it."""
        if capability not in self.optional:
            raise SpecificationError(f"{type(self).__name__}: unknown capability {capability!r}; known: "
                                     f"{', '.join(self.optional)}")
        return capability in self.capabilities

    def setup(self, n: int) -> None:
        """Create the CVXPY Parameters for ``n`` instruments."""

    def update(self, data: Mapping[str, Any]) -> None:
        """Write the period's values and the hyperparameters into the Parameters."""

    def reset(self) -> None:
        """Forget state carried from one period to the next (called when a backtest starts)."""

    @property
    def name(self) -> str:
        """Label used in results and error messages."""
        return type(self).__name__

    def clone(self) -> Component:
        """An independent copy of the hyperparameters: the fitted attributes (names ending in ``_``,
        such as the CVXPY Parameters) are left out, ``setup`` recreates them."""
        bare = copy.copy(self)
        for key in [k for k in vars(bare) if k.endswith("_")]:
            delattr(bare, key)
        return copy.deepcopy(bare)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                           if not k.endswith("_") and not k.startswith("_"))
        return f"{type(self).__name__}({params})"


class Term(Component):
    """Base class of objective terms (see :mod:`cdshedge_cvx.model._component` for the contract).

    Subclasses implement ``expr(h)`` (a scalar DPP CVXPY expression) and ``value(h, data)`` (the
    same formula in numpy, written without calling the code that fills the Parameters), and
    usually ``setup``/``update``. Optional: the capabilities ``gradient``, ``contributions``,
    ``quadratic_form`` and ``scipy_form``; ``keyword`` (the term's name in ``--objective``),
    ``description`` and ``formula(conventions)`` (shown by the report; without them the report
    shows the docstring), ``weight_param``.
    """

    optional = ("gradient", "contributions", "quadratic_form", "scipy_form")
    #: Name of the term in objective strings (``"pnl - carry"``) and on the command line.
    keyword: ClassVar[str | None] = None
    #: Plain-language meaning shown by the report (``None``: the docstring's first paragraph).
    description: ClassVar[str | None] = None
    #: Name of a non-negative hyperparameter that absorbs scalar weights (``5 * term``).
    weight_param: ClassVar[str | None] = None

    def expr(self, h: cp.Variable) -> cp.Expression:
        """The CVXPY expression of the term (scalar, DPP)."""
        raise NotImplementedError(f"{type(self).__name__}.expr is not implemented")

    def value(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        """The numpy value of the same formula at ``h``."""
        raise NotImplementedError(f"{type(self).__name__}.value is not implemented")

    def gradient(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray | None:
        """Optional: gradient of :meth:`value` at ``h`` (``None``: scipy uses finite differences)."""
        return None

    def contributions(self, h: np.ndarray, data: Mapping[str, Any]) -> np.ndarray | None:
        """Optional: the value per instrument (its sum is :meth:`value`), ``None`` when the term
        does not split by instrument. The realised attribution of a result uses it."""
        return None

    def quadratic_form(self) -> tuple[np.ndarray, np.ndarray, float] | None:
        """Optional: (G, g, β) such that, at the current Parameter values, the term equals
        hᵀ G h + 2 gᵀ h + β (G symmetric positive semidefinite).

        With only such terms (subtracted), linear terms and box limits, the problem is solved by
        OSQP directly on the condensed QP; each period the form is checked against the CVXPY
        expression at the answer. ``None`` (default): no such form.
        """
        return None

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm | None:
        """Optional smooth (lifted) numpy form for the scipy cross-check of a nonsmooth term.

        Return a :class:`~cdshedge_cvx.model.ScipyForm` with ``weights`` when the term is
        Σ_k weights_k · |A_k h − b_k|; ``None`` (default) lets scipy use :meth:`value`.
        """
        return None

    def formula(self, conventions: Conventions) -> str | None:
        """The term's formula in plain words under ``conventions`` (report); ``None``: the docstring."""
        return None

    def clone(self) -> Term:
        return super().clone()  # type: ignore[return-value]

    # algebra ----------------------------------------------------------------------------
    def __add__(self, other: object) -> Objective:
        return _as_objective(self) + other

    def __radd__(self, other: object) -> Objective:
        if isinstance(other, numbers.Number) and other == 0:  # sum([...])
            return _as_objective(self)
        return NotImplemented

    def __sub__(self, other: object) -> Objective:
        return _as_objective(self) - other

    def __neg__(self) -> Objective:
        return -_as_objective(self)

    def __mul__(self, other: object) -> Objective:
        return _as_objective(self) * other

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Objective:
        return _as_objective(self) / other


def _as_objective(term: Term) -> Objective:
    from cdshedge_cvx.model._objective import as_objective

    return as_objective(term)


class Constraint(Component):
    """Base class of hedge limits.

    Subclasses keep hyperparameters in ``__init__`` and implement ``setup(n)``,
    ``update(data)`` (every limit is a Parameter written there), ``constraints(h)`` (a list of
    DPP CVXPY constraints) and ``violation(h, data)`` (how far ``h`` breaks the limit, 0 when it
    holds). Optional capability: ``scipy_form``.
    """

    optional = ("scipy_form",)
    #: The hyperparameters that are the limit's bound, whose shadow price :meth:`shadow_price` is
    #: (``None``: every numeric hyperparameter, moved together; ``CVaRLimit``: ``max_loss``, not α).
    limit_params: ClassVar[tuple[str, ...] | None] = None

    def constraints(self, h: cp.Variable) -> list[cp.Constraint]:
        """The CVXPY constraints."""
        raise NotImplementedError(f"{type(self).__name__}.constraints is not implemented")

    def violation(self, h: np.ndarray, data: Mapping[str, Any]) -> float:
        """Amount by which ``h`` violates the limit (numpy twin; 0 if it holds)."""
        raise NotImplementedError(f"{type(self).__name__}.violation is not implemented")

    def scipy_form(self, data: Mapping[str, Any]) -> ScipyForm | None:
        """Optional smooth (lifted, linear) numpy form of the limit for the scipy cross-check.

        ``None`` (default) makes scipy use ``−violation(h) ≥ 0``, which is nonsmooth.
        """
        return None

    def build(self, h: cp.Variable) -> list[cp.Constraint]:
        """Build (once) and remember the CVXPY constraints for their duals."""
        self.built_ = list(self.constraints(h))
        return self.built_

    @property
    def _built(self) -> list[cp.Constraint]:
        """The constraints :meth:`build` made (older name of ``built_``)."""
        return self.built_

    def shadow_price(self) -> np.ndarray | float:
        """d(optimum)/d(limit) after a solve: the sum of the duals of :meth:`constraints`."""
        duals = [c.dual_value for c in self.built_]
        if any(d is None for d in duals):
            return np.nan
        return float(sum(np.sum(d) for d in duals))

    def clone(self) -> Constraint:
        return super().clone()  # type: ignore[return-value]


def check_limit(owner: Component, name: str, value: object) -> float:
    """The hyperparameter ``name`` of ``owner`` as a float, refused unless a real number ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise SpecificationError(f"{owner.name}: {name} must be >= 0, got {value!r}")
    return float(value)
