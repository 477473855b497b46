"""The research notebooks are stored without outputs and each draws at least one figure.

(`make test` executes them with nbmake: ``pytest --nbmake tests notebooks``.)
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_three_research_notebooks_exist():
    names = [path.name for path in NOTEBOOKS]
    for expected in ("01_reproduce_prototype.ipynb", "02_min_variance_hedging.ipynb", "03_custom_terms.ipynb",
                     "04_tail_risk_hedging.ipynb"):
        assert expected in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stripped_and_plots(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "no code cell"
    assert all(cell.get("outputs", []) == [] and cell.get("execution_count") is None for cell in code), \
        "stored outputs: strip them before committing"
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    source = "\n".join(cell.source for cell in code)
    assert ".plot(" in source, "each notebook shows at least one figure"
    assert 'matplotlib.use("Agg")' not in source, "the Agg backend hides inline figures in Jupyter"
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# ")
