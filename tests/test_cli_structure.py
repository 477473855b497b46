"""The shape of ``cdshedge_cvx.cli``: imports flow one way, ``--help`` stays light, and the three
commands' files are deterministic (and, on the recorded software versions, the exact bytes)."""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cdshedge_cvx.cli

CLI = Path(cdshedge_cvx.cli.__file__).parent
PACKAGE = "cdshedge_cvx.cli"
MODULES = sorted(PACKAGE if p.stem == "__init__" else f"{PACKAGE}.{p.stem}" for p in CLI.glob("*.py"))


def _imports(module: str) -> tuple[set[str], list[str]]:
    """The cli modules ``module`` imports (anywhere in it) and the names it takes from them."""
    path = CLI / ("__init__.py" if module == PACKAGE else f"{module.rsplit('.', 1)[1]}.py")
    found, names = set(), []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name == PACKAGE or a.name.startswith(PACKAGE + ".")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == PACKAGE:  # ``from cdshedge_cvx.cli import _x``: a submodule, else the package
                for alias in node.names:
                    found.add(f"{PACKAGE}.{alias.name}" if (CLI / f"{alias.name}.py").exists() else PACKAGE)
            elif node.module.startswith(PACKAGE + "."):
                found.add(node.module)
                names += [alias.name for alias in node.names]
    return found - {module}, names


def test_every_cli_module_imports_alone_in_a_fresh_interpreter() -> None:
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    for module in MODULES:
        proc = subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{module}: {proc.stderr}"


def test_cli_import_graph_has_no_cycle() -> None:
    graph = {module: _imports(module)[0] for module in MODULES}
    assert set().union(*graph.values()) <= set(MODULES)
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            assert state.get(target) != "open", f"import cycle: {' -> '.join([*path, module, target])}"
            if target not in state:
                visit(target, [*path, module])
        state[module] = "done"

    for module in MODULES:
        if module not in state:
            visit(module, [])
    # the commands and the shared steps do not import the entry point or the package back
    for module in MODULES:
        if module not in (PACKAGE, f"{PACKAGE}._main"):
            assert not graph[module] & {PACKAGE, f"{PACKAGE}._main"}, module


def test_no_private_name_crosses_a_module_and_no_parser_internals() -> None:
    for module in MODULES:
        _, names = _imports(module)
        assert not [n for n in names if n.startswith("_")], module
    for path in CLI.glob("*.py"):
        assert "_actions" not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["frontier", "--help"], ["convert", "--help"]])
def test_help_imports_neither_cvxpy_nor_pandas(args: list[str]) -> None:
    code = (f"import sys\nfrom cdshedge_cvx.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'cvxpy', 'pandas', 'numpy', 'matplotlib'}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_public_names_of_the_cli_package() -> None:
    from cdshedge_cvx.cli import describe_missing
    from cdshedge_cvx.reporting import describe_missing as reporting_describe_missing

    assert describe_missing is reporting_describe_missing
    for name in cdshedge_cvx.cli.__all__:
        assert getattr(cdshedge_cvx.cli, name) is not None


# --- the files of the three commands ----------------------------------------------------------
#: sha256 of the files, recorded on these versions (after the ISDA model was wired into backtests: rates, carry,
#: roll fraction 0.1, JTD per index). r.html re-recorded when cds_quote's solve changed at the rounding level (the
#: report's twin gap, 4.44e-16 -> 5.55e-17 $mm; every other byte the same).
RECORDED = {"r.html": "5e83d34fb755aa94caf467754ee944432ddc300df426aaad27be5ed3aaf799c8",
            "p.png": "26367c3d78fe162ad466120e9f44a6926b33c38e349a4cc531c2aab7059b516c",
            "f.csv": "4d510e98b0885612340039588a2c094001a229c41124257994381982946f0d8c",
            "f.png": "996cff990ac7e3b31bc0fd6173404be8489c1f089604ec3afc8cf2827bdb9297"}
RECORDED_VERSIONS = {"numpy": "2.4.6", "pandas": "3.1.1", "scipy": "1.17.1", "cvxpy": "1.9.3", "matplotlib": "3.11.2",
                     "highspy": "1.16.0", "osqp": "1.1.3", "clarabel": "0.11.1", "pillow": "13.0.0"}


def _cli(folder: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "cdshedge_cvx", *args], cwd=folder, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, bytes]]:
    """The files of ``run --example market --report --plot`` and ``frontier --out --plot``, twice."""
    runs = []
    for k in range(2):
        folder = tmp_path_factory.mktemp(f"run{k}")
        _cli(folder, "run", "--example", "market", "--report", "r.html", "--plot", "p.png", "--quiet")
        _cli(folder, "frontier", "--out", "f.csv", "--plot", "f.png", "--quiet")
        runs.append({name: (folder / name).read_bytes() for name in RECORDED})
    return runs


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def test_command_outputs_are_deterministic(outputs) -> None:
    first, second = outputs
    for name in RECORDED:
        assert first[name] == second[name], f"{name} differs between two identical runs"


def test_command_outputs_are_the_recorded_bytes(outputs) -> None:
    """Exact bytes: meaningful only once determinism holds, and only on the recorded versions."""
    versions = {name: _version(name) for name in RECORDED_VERSIONS}
    if versions != RECORDED_VERSIONS:
        pytest.skip(f"hashes were recorded on {RECORDED_VERSIONS}, this is {versions}")
    assert outputs[0] == outputs[1]
    assert {name: hashlib.sha256(content).hexdigest() for name, content in outputs[0].items()} == RECORDED


def test_frontier_csv_meets_its_definition(outputs, tmp_path: Path) -> None:
    """Independent of the bytes: the default γ grid in order, the documented columns, model variance
    non-increasing and expected cost non-decreasing in γ, effectiveness at most 1."""
    from cdshedge_cvx.cli._frontier import DEFAULT_GAMMAS

    (tmp_path / "f.csv").write_bytes(outputs[0]["f.csv"])
    table = pd.read_csv(tmp_path / "f.csv")
    assert table["gamma"].tolist() == [float(g) for g in DEFAULT_GAMMAS.split(",")]
    assert list(table.columns[:3]) == ["gamma", "model_variance_mm2", "realised_variance_mm2"]
    assert list(table.columns[-5:]) == ["expected_cost_mm", "realised_cost_mm", "hedge_effectiveness",
                                        "mean_gross_cs01", "mean_turnover"]
    assert (np.diff(table["model_variance_mm2"]) <= 1e-6 * table["model_variance_mm2"].max()).all()
    assert (np.diff(table["expected_cost_mm"]) >= -1e-6 * table["expected_cost_mm"].abs().max()).all()
    assert (table["hedge_effectiveness"] <= 1).all()


def test_help_lists_every_builtin_term_keyword(capsys) -> None:
    """The --objective help is read from model/terms/ without importing it; it names every built-in term
    the objective parser knows (a new term file needs no CLI edit)."""
    from cdshedge_cvx.cli import main
    from cdshedge_cvx.model import builtin_term_factories

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for keyword in builtin_term_factories():
        assert f"{keyword}," in text
