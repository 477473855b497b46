"""Reading figures out of the docs for the doc tests (``tests/test_docs_*.py``).

The doc tests never copy a doc's figure into the test: they read it from the doc's text (this module),
recompute it with the package (or QuantLib), and compare at the precision the doc prints it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

__all__ = ["ROOT", "blocks", "decimals", "doc", "flat", "grab", "grab_all", "must_contain", "number", "run_cli",
           "table", "to_float"]

ROOT = Path(__file__).resolve().parents[1]


def doc(name: str) -> str:
    """The text of ``docs/<name>`` (or ``README.md``)."""
    path = ROOT / name if name == "README.md" else ROOT / "docs" / name
    return path.read_text(encoding="utf-8")


def flat(text: str) -> str:
    """Whitespace collapsed, so a figure wrapped over two lines still matches."""
    return " ".join(text.split())


def must_contain(text: str, snippet: str) -> None:
    if flat(snippet) not in flat(text):
        raise AssertionError(f"the doc does not say: {snippet!r}")


NUMBER = r"[−+-]?\d[\d,]*(?:\.\d+)?(?:e[−+-]?\d+)?"


def to_float(text: str) -> float:
    """'−1,205.3' → -1205.3 (the docs write a typographic minus and thousands separators)."""
    return float(text.replace("−", "-").replace(",", "").replace("+", "").replace("%", "").strip())


def decimals(text: str) -> int:
    """Digits after the decimal point as printed ('0.2510' → 4; '26,111' → 0)."""
    text = text.replace("%", "").strip()
    mantissa = re.split(r"e", text)[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def grab(text: str, pattern: str, group: int | str = 1) -> str:
    """The one match of ``pattern`` (whitespace in the doc collapsed) or an error naming it."""
    found = re.search(pattern, flat(text))
    if found is None:
        raise AssertionError(f"pattern not in the doc: {pattern!r}")
    return found.group(group)


def grab_all(text: str, pattern: str) -> list:
    return re.findall(pattern, flat(text))


def number(text: str, pattern: str) -> tuple[float, int]:
    """The number captured by ``pattern`` and the decimals it is printed with."""
    raw = grab(text, pattern)
    return to_float(raw), decimals(raw)


def table(text: str, header_start: str) -> list[list[str]]:
    """The body rows of the markdown table whose header row starts with ``header_start``, cells stripped."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(header_start):
            rows = []
            for body in lines[i + 2:]:
                if not body.startswith("|"):
                    break
                rows.append([cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", body.strip()[1:-1])])
            return rows
    raise AssertionError(f"no table starting {header_start!r}")


def blocks(text: str, language: str) -> list[str]:
    """Fenced code blocks of one language (``text``, ``python``, or '' for plain fences)."""
    found, current, opened = [], [], None
    for line in text.splitlines():
        if opened is None and line.startswith("```"):
            opened, current = line[3:].strip(), []
        elif opened is not None and line.strip() == "```":
            if opened == language:
                found.append("\n".join(current) + "\n")
            opened = None
        elif opened is not None:
            current.append(line)
    return found


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cdshedge_cvx", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)
