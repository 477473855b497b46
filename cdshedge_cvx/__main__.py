"""``python -m cdshedge_cvx`` is the ``cdshedge`` command."""

from cdshedge_cvx.cli._main import entry_point

entry_point()
