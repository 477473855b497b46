"""Discovery of users' own terms for ``--objective``: entry points and ``--term-module``.

A package exposes terms through the entry-point group ``cdshedge_cvx.terms``
(``funding = my_pkg.terms:Funding``); a module given with ``--term-module`` contributes every
:class:`~cdshedge_cvx.terms.Term` subclass it defines, under its lower-case class name, or the
mapping in its ``CDSHEDGE_TERMS`` attribute when it has one.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any

from .errors import SpecificationError

__all__ = ["ENTRY_POINT_GROUP", "discover_terms"]

ENTRY_POINT_GROUP = "cdshedge_cvx.terms"


def discover_terms(modules: Sequence[str] = ()) -> dict[str, Callable[[], Any]]:
    """Term names → constructors from installed entry points and the given modules."""
    from .terms import LinearTerm, Term

    found: dict[str, Callable[[], Any]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found[entry.name] = entry.load()
        except Exception as exc:
            raise SpecificationError(f"term entry point {entry.name!r} ({entry.value}) failed to load: "
                                     f"{type(exc).__name__}: {exc}") from exc
    for name in modules:
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            raise SpecificationError(
                f"--term-module {name!r} could not be imported: {type(exc).__name__}: {exc}") from exc
        mapping = getattr(module, "CDSHEDGE_TERMS", None)
        if mapping is not None:
            found.update(dict(mapping))
            continue
        for attr, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, Term) and value not in (Term, LinearTerm)
                    and value.__module__ == module.__name__):
                found[attr.lower()] = value
    return found
