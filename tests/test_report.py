"""The HTML report: complete, self-contained, correct numbers, deterministic, atomic, and rendered
by a real browser (headless Chromium, skipped where none is installed); the command's --plot and
--report outputs."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg
import numpy as np
import pytest

import cdshedge_cvx as ch
from cdshedge_cvx.errors import DataError, SpecificationError
from cdshedge_cvx.reporting._report import REPORT_SECTIONS, command_line, input_checksums, report_html, write_report

VOID = {"meta", "img", "br", "hr", "link", "input", "col", "wbr"}


@pytest.fixture(scope="module")
def market():
    return ch.examples.market()


@pytest.fixture(scope="module")
def result(market):
    data, universe = market
    objective = ch.HedgePnL() - ch.Carry() - ch.Roll() - ch.TransactionCost() - 0.05 * ch.VariancePenalty()
    return ch.backtest(data, universe, objective, horizon="Q", mode="walk-forward", constraints=[ch.GrossLimit(0.6)])


@pytest.fixture(scope="module")
def html_text(result, market):
    return report_html(result, inputs=market[0], command="cdshedge run --example market")


class _Structure(HTMLParser):
    """Checks that tags nest and close, and collects ids, image sources and hrefs."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.sources: list[str] = []
        self.links: list[str] = []
        self.tables = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "img":
            self.sources.append(attributes.get("src", ""))
        if "href" in attributes:
            self.links.append(attributes["href"])
        if tag == "table":
            self.tables += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()


def _parse(text: str) -> _Structure:
    parser = _Structure()
    parser.feed(text)
    parser.close()
    return parser


def test_all_sections_in_order_and_well_formed(html_text):
    parsed = _parse(html_text)
    assert parsed.errors == [] and parsed.stack == []
    assert [i for i in parsed.ids if i in REPORT_SECTIONS] == list(REPORT_SECTIONS)
    assert parsed.tables >= 8
    assert html_text.startswith("<!DOCTYPE html>")


def test_self_contained_no_network_reference(html_text):
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html_text)   # base64 may spell anything
    assert "http" not in text.lower() and "//" not in text
    assert "<script" not in text.lower() and "<link" not in text.lower()
    assert "@import" not in text and "url(" not in text
    parsed = _parse(html_text)
    assert parsed.links == []
    assert len(parsed.sources) == 1 and parsed.sources[0].startswith("data:image/png;base64,")


def test_embedded_figure_is_a_png_of_the_result(html_text, result):
    source = _parse(html_text).sources[0]
    png = base64.b64decode(source.split(",", 1)[1], validate=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = mpimg.imread(io.BytesIO(png), format="png")
    assert image.shape[1] > 1000 and image.shape[0] > 500
    assert (np.abs(image[..., :3] - np.array([31, 119, 180]) / 255).max(axis=-1) < 0.03).sum() > 500  # drawn lines


def test_headline_numbers_match_the_realised_pnl(html_text, result):
    pnl = result.pnl
    desk = np.array([float(np.sum(r.data.realised()["desk_pnl"])) for r in result.records])  # from the period data
    effectiveness = 1 - np.var(pnl["hedged_pnl"], ddof=1) / np.var(desk, ddof=1)
    headline = html_text[html_text.index('id="headline"'):html_text.index('id="figure"')]
    assert f"{effectiveness:.0%}" in headline
    assert f"${np.std(desk, ddof=1):,.1f}mm" in headline
    assert f"${desk.sum():,.1f}mm" in headline
    costs = pnl["carry"].sum() + pnl["tcost"].sum() + pnl["rollcost"].sum()
    assert f"${costs:,.1f}mm" in headline
    assert "walk-forward" in headline and "out of sample" in headline


def test_tables_carry_the_allocations_shadow_prices_and_gaps(html_text, result):
    section = html_text[html_text.index('id="allocations"'):html_text.index('id="attribution"')]
    for date, row in result.allocations.iloc[[0, 5, -1]].iterrows():
        cells = re.search(rf"<td>{date:%Y-%m-%d}</td>(.*?)</tr>", section).group(1)
        shown = [float(v.replace("−", "-")) for v in re.findall(r'<td class="num">([^<]+)</td>', cells)]
        np.testing.assert_allclose(shown[:4], row.to_numpy(), atol=5e-5)
    assert "€mm/bp" in section and "$mm/bp" in section
    limits = html_text[html_text.index('id="limits"'):html_text.index('id="effectiveness"')]
    assert "GrossLimit(max_gross=0.6)" in limits
    binding = (result.shadow_prices["GrossLimit"].abs() > 1e-7).mean()
    assert f"<td class=\"num\">{100 * binding:.0f}</td>" in limits
    check = html_text[html_text.index('id="cross-check"'):html_text.index('id="inputs"')]
    assert f"{result.cross_check['allocation_gap'].max():.2e}".replace("-", "−") in check
    assert "0 out of tolerance" in check


def test_attribution_adds_up_to_the_hedged_pnl(html_text, result):
    section = html_text[html_text.index('id="attribution"'):html_text.index('id="limits"')]
    rows = dict(re.findall(r'<tr(?: class="total")?><td>([^<]+)</td><td class="num">([^<]+)</td></tr>', section))
    value = {k: float(v.replace(",", "").replace("−", "-")) for k, v in rows.items()}
    total = (value["desk PnL (unhedged)"] + value["+ hedge PnL from spread moves"] + value["− carry paid"]
             + value["− transaction cost"] + value["− roll-date cost"])
    assert total == pytest.approx(value["= desk + hedge"], abs=0.011)
    assert value["= desk + hedge"] == pytest.approx(result.pnl["hedged_pnl"].sum(), abs=0.006)


def test_inputs_are_listed_with_their_checksums(html_text, market):
    data, universe = market
    section = html_text[html_text.index('id="inputs"'):html_text.index('id="glossary"')]
    for frame in (data.spreads, data.desk_pnl, data.roll_jumps, data.fx, universe.to_frame()):
        digest = hashlib.sha256(frame.to_csv(lineterminator="\n").encode("utf-8")).hexdigest()
        assert digest in section
    assert "Missing-data policy <b>error</b>" in section
    assert "cdshedge run --example market" in section


def test_file_inputs_are_hashed_byte_for_byte(tmp_path, market):
    spreads = tmp_path / "spreads.csv"
    market[0].spreads.to_csv(spreads)
    table = input_checksums({"spreads": spreads, "FX rates": None})
    assert table["input"].tolist() == ["spreads"]
    assert table["sha256"].iloc[0] == hashlib.sha256(spreads.read_bytes()).hexdigest()
    with pytest.raises(SpecificationError, match=r"'desk PnL'.*is not a file"):
        input_checksums({"desk PnL": tmp_path / "missing.csv"})


def test_report_is_byte_identical_on_rerun(result, market, tmp_path):
    write_report(result, tmp_path / "a.html", inputs=market[0])
    write_report(result, tmp_path / "b.html", inputs=market[0])
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()
    assert result.to_html(inputs=market[0]) == (tmp_path / "a.html").read_text(encoding="utf-8")


def test_a_failed_report_leaves_no_file(result, tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("previous report")
    import cdshedge_cvx.reporting._report as report

    def broken(*args, **kwargs):
        raise RuntimeError("figure failed")

    with pytest.raises(DataError, match=r"folder .*missing' does not exist"):
        ch.write_report(result, tmp_path / "missing" / "report.html")
    monkeypatch.setattr(report, "_effectiveness_section", broken)
    with pytest.raises(RuntimeError, match="figure failed"):
        write_report(result, target)
    assert target.read_text() == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_command_line_leaves_out_the_output_flags():
    argv = ["run", "--example", "market", "--plot", "a.png", "--report=r.html", "--out", "x.csv", "--quiet",
            "--objective", "pnl - carry"]
    assert command_line(argv) == "cdshedge run --example market --objective 'pnl - carry'"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_report_renders_in_headless_chromium(html_text, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium or Chrome binary on this machine")
    page = tmp_path / "report.html"
    page.write_text(html_text, encoding="utf-8")
    shot = tmp_path / "shot.png"
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
               "--window-size=1200,2400", page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    image = mpimg.imread(shot)[..., :3]
    assert image.shape[:2] == (2400, 1200)
    header = np.array([0x17, 0x32, 0x4F]) / 255          # the header band: the inline CSS was applied
    assert np.abs(image[20, 600] - header).max() < 0.02
    blue = np.array([31, 119, 180]) / 255                 # matplotlib's first colour: the embedded figure decoded
    assert (np.abs(image - blue).max(axis=-1) < 0.04).sum() > 300
    assert (image.min(axis=-1) < 0.5).mean() > 0.02       # text and tables were drawn, not a blank page


# the command ---------------------------------------------------------------------------------
def cdshedge(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cdshedge_cvx", *args], capture_output=True, text=True, timeout=120,
                          check=False, cwd=cwd)


def test_run_plot_and_report_are_byte_identical_across_runs(tmp_path):
    first, second = tmp_path / "1", tmp_path / "2"
    first.mkdir()
    second.mkdir()
    for folder in (first, second):
        done = cdshedge("run", "--quiet", "--plot", "hedge.png", "--report", "report.html", "--out", "h.csv",
                        cwd=folder)
        assert done.returncode == 0, done.stderr
    for name in ("hedge.png", "report.html", "h.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert (first / "hedge.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (first / "report.html").read_text(encoding="utf-8")
    assert "prototype example" in text and "seed conventions" in text
    assert "cdshedge run</code>" in text       # the command, without its output flags
    assert sorted(p.name for p in first.iterdir()) == ["h.csv", "hedge.png", "report.html"]


def test_frontier_plot_is_written_and_identical_in_process(tmp_path):
    from cdshedge_cvx.cli import main

    args = ["frontier", "--example", "seed", "--gammas", "0.1,1,10", "--no-cross-check", "--quiet"]
    done = cdshedge(*args, "--plot", "frontier.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert main([*args, "--plot", str(tmp_path / "again.png")]) == 0
    assert (tmp_path / "frontier.png").read_bytes() == (tmp_path / "again.png").read_bytes()


def test_report_of_a_run_on_files_hashes_each_file(tmp_path):
    from cdshedge_cvx.cli import main

    data = Path(__file__).parent / "data" / "valid"
    files = [data / "spreads.csv", data / "desk_pnl.csv", data / "instruments.csv"]
    out = tmp_path / "report.html"
    assert main(["run", "--spreads", str(files[0]), "--desk-pnl", str(files[1]), "--instruments", str(files[2]),
                 "--quiet", "--report", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    for path in files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() in text, path.name
        assert f"file {path.name}" in text
    assert "market conventions" in text


def test_failed_runs_write_nothing(tmp_path):
    done = cdshedge("run", "--quiet", "--spreads", "missing.csv", "--plot", "hedge.png", "--report", "r.html",
                    cwd=tmp_path)
    assert done.returncode == 2 and "missing.csv" in done.stderr
    done = cdshedge("run", "--quiet", "--plot", "hedge.gif", "--out", "h.csv", cwd=tmp_path)
    assert done.returncode == 2 and "unknown format 'gif'" in done.stderr
    done = cdshedge("run", "--quiet", "--report", "nowhere/r.html", "--out", "h.csv", cwd=tmp_path)
    assert done.returncode == 2 and "--report 'nowhere/r.html': folder 'nowhere' does not exist" in done.stderr
    (tmp_path / "s.csv").write_text("date,CDX IG\n2024-01-02,50\n2024-01-03,51\n")
    done = cdshedge("run", "--quiet", "--spreads", "s.csv", "--plot", "s.csv", cwd=tmp_path)
    assert done.returncode == 2 and "--plot 's.csv' is also an input file" in done.stderr
    (tmp_path / "s.csv").unlink()
    assert list(tmp_path.iterdir()) == []
