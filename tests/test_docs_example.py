"""The examples of docs/writing_terms.md run as written: each ``python`` block is a complete test
module a quant can copy into their repository; it is imported and every ``test_*`` in it is run."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "writing_terms.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), flags=re.S | re.M)


def test_the_guide_has_a_term_example_and_a_constraint_example():
    assert len(BLOCKS) == 2
    assert "class FundingCost(ch.Term)" in BLOCKS[0] and "check_term(" in BLOCKS[0]
    assert "class HighYieldNetLimit(ch.Constraint)" in BLOCKS[1] and "check_constraint(" in BLOCKS[1]


@pytest.mark.parametrize("index", range(len(BLOCKS)), ids=["term", "constraint"][: len(BLOCKS)])
def test_a_guide_example_runs_as_a_test_module(index, tmp_path, monkeypatch):
    path = tmp_path / f"test_guide_example_{index}.py"
    path.write_text(BLOCKS[index], encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, path.stem, module)
    spec.loader.exec_module(module)
    tests = [getattr(module, name) for name in dir(module) if name.startswith("test_")]
    assert len(tests) >= 3
    for test in tests:
        test()
