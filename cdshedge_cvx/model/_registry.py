"""Discovery of users' own terms for ``--objective``: entry points and ``--term-module``.

A package exposes terms through the entry-point group ``cdshedge_cvx.terms``
(``funding = "my_pkg.terms:FundingCost"`` under ``[project.entry-points."cdshedge_cvx.terms"]``);
a module given with ``--term-module`` contributes every :class:`~cdshedge_cvx.model.Term`
subclass it defines, under its lower-case class name, or the mapping in its ``CDSHEDGE_TERMS``
attribute when it has one. Entry points are loaded only when the objective uses their name, so a
broken plugin cannot break other runs; a name clashing with a built-in term is refused.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from cdshedge_cvx.errors import SpecificationError

__all__ = ["ENTRY_POINT_GROUP", "discover_terms"]

ENTRY_POINT_GROUP = "cdshedge_cvx.terms"


def _checked(name: str, origin: str, factory: Callable[[], Any]) -> Callable[[], Any]:
    """Wrap a constructor so that what it builds must be a Term, named in the error otherwise."""
    from cdshedge_cvx.model._component import Term

    def build() -> Any:
        try:
            term = factory()
        except Exception as exc:
            raise SpecificationError(f"term {name!r} ({origin}) could not be built with no arguments: "
                                     f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(term, Term):
            raise SpecificationError(f"term {name!r} ({origin}) built {term!r}, which is not a cdshedge_cvx Term")
        return term

    return build


def _from_entry_point(entry: EntryPoint) -> Callable[[], Any]:
    origin = f"entry point {entry.value}"

    def load_and_build() -> Any:
        try:
            factory = entry.load()
        except Exception as exc:
            raise SpecificationError(f"term {entry.name!r}: {origin} failed to load: "
                                     f"{type(exc).__name__}: {exc}") from exc
        return _checked(entry.name, origin, factory)()

    return load_and_build


def discover_terms(modules: Sequence[str] = (), reserved: Mapping[str, Any] | None = None
                   ) -> dict[str, Callable[[], Any]]:
    """Term names → zero-argument constructors from installed entry points and the given modules.

    Parameters
    ----------
    modules : sequence of str
        Modules to import (``--term-module``).
    reserved : mapping, optional
        Names already taken (the built-in terms); a discovered term may not reuse one.
    """
    from cdshedge_cvx.model._component import Term
    from cdshedge_cvx.model.terms import LinearTerm

    found: dict[str, Callable[[], Any]] = {}
    origins: dict[str, str] = {}

    def add(name: str, origin: str, factory: Callable[[], Any]) -> None:
        if reserved is not None and name in reserved:
            raise SpecificationError(f"term name {name!r} from {origin} clashes with the built-in term {name!r}; "
                                     "rename it")
        if name in found:
            raise SpecificationError(f"term name {name!r} is defined twice: by {origins[name]} and by {origin}")
        found[name], origins[name] = factory, origin

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        add(entry.name, f"entry point {entry.value}", _from_entry_point(entry))
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise SpecificationError(
                f"--term-module {module_name!r} could not be imported: {type(exc).__name__}: {exc}") from exc
        mapping = getattr(module, "CDSHEDGE_TERMS", None)
        if mapping is not None:
            for name, factory in dict(mapping).items():
                origin = f"--term-module {module_name} (CDSHEDGE_TERMS)"
                add(str(name), origin, _checked(str(name), origin, factory))
            continue
        for attr, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, Term) and value not in (Term, LinearTerm)
                    and value.__module__ == module.__name__):
                origin = f"--term-module {module_name} ({attr})"
                add(attr.lower(), origin, _checked(attr.lower(), origin, value))
    return found
