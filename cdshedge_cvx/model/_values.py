"""Writing values into CVXPY Parameters and Variables in the per-period hot loop."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["set_value"]


def set_value(leaf: Any, value: Any, *, copy: bool = True) -> None:
    """``leaf.value = value``, without CVXPY's attribute test when the leaf has no attributes.

    CVXPY's setter projects the value on the leaf's attributes (sign, symmetry, …) and compares
    the projection with the value, about 20-40 µs per assignment, most of a closed-form period.
    A leaf without attributes projects every real array to itself, so after the shape check the
    public ``project_and_assign`` stores exactly what the setter would. Leaves with attributes
    (``nonneg=True`` …), and values of the wrong shape, go through the validating setter, which
    raises CVXPY's usual error.

    Parameters
    ----------
    leaf : cvxpy.Parameter or cvxpy.Variable
    value : array_like
        Real values of the leaf's shape (copied).
    copy : bool
        ``False``: a float64 array ``value`` is stored itself, not a copy (the caller made it for this
        leaf and does not change it afterwards).
    """
    array = value if not copy and isinstance(value, np.ndarray) and value.dtype == np.float64 else np.array(
        value, dtype=float)
    if getattr(leaf, "num_attributes", 1) or array.shape != leaf.shape:
        leaf.value = value
        return
    leaf.project_and_assign(array)
