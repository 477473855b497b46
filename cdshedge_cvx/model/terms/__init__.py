"""The built-in objective terms, one module per term.

Every module of this package is imported, and every public name it lists in ``__all__`` (or,
without ``__all__``, every public :class:`~cdshedge_cvx.model.Term` subclass it defines) is
exported here. A term class with a ``keyword`` is usable in objective strings
(``"pnl - carry - 0.1*ridge"``) and on the command line, and the report shows its ``formula``:
a new built-in term is one new file in this folder and nothing else.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

from cdshedge_cvx.model._component import Term


def _public_names(module: Any) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [name for name, value in vars(module).items()
            if not name.startswith("_") and inspect.isclass(value) and issubclass(value, Term)
            and value.__module__ == module.__name__]


def _discover() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.update({name: getattr(module, name) for name in _public_names(module)})
    return found


_EXPORTED = _discover()
globals().update(_EXPORTED)
__all__ = sorted(_EXPORTED)


def term_classes() -> list[type[Term]]:
    """Every built-in term class exported here, in name order."""
    return [value for _, value in sorted(_EXPORTED.items()) if inspect.isclass(value) and issubclass(value, Term)]
