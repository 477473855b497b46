"""``python -m cdshedge_cvx`` is the ``cdshedge`` command."""

from .cli import entry_point

entry_point()
