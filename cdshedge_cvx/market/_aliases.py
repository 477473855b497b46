"""Names data files use for the instruments and currencies: the terminal's tickers and FX headers.

Bloomberg-style exports name their columns by ticker, not by the package's instrument names. A
spreads (or roll-jumps) column matches an instrument when it is, ignoring case and repeated
spaces, the instrument's name, its ``ticker``, one of its ``aliases`` (column ``aliases`` of an
instruments file, ``|``-separated: extend the table per instrument there), or an entry of
:data:`TERMINAL_TICKERS` for that instrument name:

================  =============================================================================
instrument        accepted data-column names besides the name
================  =============================================================================
CDX IG            ``CDX IG CDSI GEN 5Y Corp``, ``CDX IG CDSI GEN 5Y SPRD Corp``, ``IBOXUMAE``
CDX HY            ``CDX HY CDSI GEN 5Y Corp``, ``CDX HY CDSI GEN 5Y PRC Corp``, ``IBOXHYSE``
iTraxx Main       ``ITRX EUR CDSI GEN 5Y Corp``, ``ITRAXX EUR CDSI GEN 5Y Corp``, ``ITRXEBE``
iTraxx Xover      ``ITRX XOVER CDSI GEN 5Y Corp``, ``ITRAXX XOVER CDSI GEN 5Y Corp``, ``ITRXEXE``
================  =============================================================================

FX columns: ``EUR``, ``EURUSD``, ``EUR/USD``, and the terminal's ``EURUSD Curncy`` (or
``EURUSD BGN Curncy``) all name EUR quoted in USD (:func:`fx_header`).
"""

from __future__ import annotations

import re

__all__ = ["TERMINAL_TICKERS", "column_key", "fx_header"]

#: Data-column names of the standard indices as terminals export them, by instrument name.
TERMINAL_TICKERS: dict[str, tuple[str, ...]] = {
    "CDX IG": ("CDX IG CDSI GEN 5Y Corp", "CDX IG CDSI GEN 5Y SPRD Corp", "IBOXUMAE"),
    "CDX HY": ("CDX HY CDSI GEN 5Y Corp", "CDX HY CDSI GEN 5Y PRC Corp", "IBOXHYSE"),
    "iTraxx Main": ("ITRX EUR CDSI GEN 5Y Corp", "ITRAXX EUR CDSI GEN 5Y Corp", "ITRXEBE"),
    "iTraxx Xover": ("ITRX XOVER CDSI GEN 5Y Corp", "ITRAXX XOVER CDSI GEN 5Y Corp", "ITRXEXE"),
}

_FX_SUFFIX = re.compile(r"(\s+(BGN|CMPN|CMPL|CMPT|WMCO))?\s+CURNCY$", re.IGNORECASE)


def column_key(name: object) -> str:
    """How column names are compared: stripped, case-folded, runs of spaces as one."""
    return " ".join(str(name).split()).casefold()


def fx_header(name: object) -> str:
    """An FX column header without the terminal's suffix: ``"EURUSD Curncy"`` → ``"EURUSD"``."""
    return _FX_SUFFIX.sub("", str(name).strip())
