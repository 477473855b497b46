"""Sub-commands of ``cdshedge`` besides ``run``; each registrar adds one sub-parser.

Keep this module import-light: registrars only describe arguments; handlers import what they need.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["register"]


def register(registry: list[Callable[[Any], None]]) -> None:
    """Append the registrars of the extra sub-commands to ``registry``."""
    from .cli_convert import register_convert

    registry.append(register_convert)
