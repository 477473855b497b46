"""Presentation: wording of amounts and facts, units lines, plots and the HTML report."""

from __future__ import annotations

from cdshedge_cvx.reporting._format import (
    CURRENCY_SYMBOLS,
    cs01_unit,
    describe_missing,
    money_text,
    money_unit,
)
from cdshedge_cvx.reporting._plots import (
    FONT,
    MAX_SMALL_MULTIPLES,
    SAVE_DPI,
    amount_notes,
    amount_unit,
    figure_bytes,
    figure_format,
    plot_frontier,
    plot_result,
    save_figure,
)
from cdshedge_cvx.reporting._report import (
    REPORT_SECTIONS,
    command_line,
    file_sha256,
    frame_sha256,
    input_checksums,
    report_html,
    write_report,
)
from cdshedge_cvx.reporting._units import (
    horizon_words,
    units_lines,
)

__all__ = [
    "CURRENCY_SYMBOLS",
    "FONT",
    "MAX_SMALL_MULTIPLES",
    "REPORT_SECTIONS",
    "SAVE_DPI",
    "amount_notes",
    "amount_unit",
    "command_line",
    "cs01_unit",
    "describe_missing",
    "figure_bytes",
    "figure_format",
    "file_sha256",
    "frame_sha256",
    "horizon_words",
    "input_checksums",
    "money_text",
    "money_unit",
    "plot_frontier",
    "plot_result",
    "report_html",
    "save_figure",
    "units_lines",
    "write_report",
]
