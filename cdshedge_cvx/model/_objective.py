"""The term algebra: an :class:`Objective` is a weighted sum of terms, maximised.

Terms combine with ``+``, ``-`` and scalar ``*`` into an objective::

    objective = HedgePnL() - Carry() - Roll() - 5.0 * VariancePenalty()
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence

import numpy as np

from cdshedge_cvx.errors import SpecificationError
from cdshedge_cvx.model._component import Term

__all__ = ["Objective", "as_objective"]


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
