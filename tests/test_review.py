"""``etl review``: the report over ``etl run``'s output of the 26 real exports and of the
synthetic samples, checked in a real headless Chromium (Debian's, driven over the DevTools
protocol on a pipe: no browser download), plus the ``etl_review_charts`` hook and the chart
helpers on their own.

Screenshots land in the test's tmp folder; ``ETL_REVIEW_SCREENSHOTS=DIR`` copies them to DIR
as well (``docs/review-agp.png`` is the AGP page of the real exports, made this way).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from etl_core import Chart, UserContext
from etl_core.contract.errors import ProcessorError
from etl_core.contract.windows import WindowRule, build_window
from etl_core.engine.registry import ENTRY_POINT_GROUP, PluginRegistry, generic_spec, load_plugins
from etl_core.review.generic import generic_charts
from etl_core.review.report import ExampleEntry, WindowCharts, example_page
from etl_core.review.svg import Plot, chart_problem, count_marks
from etl_core.settings import Settings
from etl_core.testing import journal_examples, read_avro, real_samples, real_samples_dir
from etl_core.testing.person import write_synthetic_person
from tests.services import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY, MotoS3Server
from tests.support.cdp import Browser, find_chromium

REPO = Path(__file__).resolve().parents[1]
SYNTHETIC = REPO / "samples" / "health-connect"

PROBE = """
(() => {
  const charts = [...document.querySelectorAll('figure.chart')].map(f => {
    const svg = f.querySelector('svg');
    const marks = svg ? [...svg.querySelectorAll('.mark')] : [];
    const series = {};
    marks.forEach(m => { const s = m.getAttribute('data-series');
                         series[s] = (series[s] || 0) + 1; });
    const cells = [...f.querySelectorAll('table.chart-data tbody tr')].map(
      r => [...r.querySelectorAll('td')].map(c => c.textContent));
    const rows = cells.length;
    return {title: f.getAttribute('data-title'), declared: +f.getAttribute('data-marks'),
            marks: marks.length, series: series, rows: rows, cells: cells,
            svgTitle: svg && svg.querySelector(':scope > title') ?
                      svg.querySelector(':scope > title').textContent : '',
            desc: svg && svg.querySelector(':scope > desc') ?
                  svg.querySelector(':scope > desc').textContent : '',
            alt: (f.querySelector('p.alt') || {}).textContent || '',
            role: svg ? svg.getAttribute('role') : '',
            svgText: svg ? [...svg.querySelectorAll('text')].map(t => t.textContent).join('|') : '',
            width: svg ? svg.getBoundingClientRect().width : 0};
  });
  const narrative = document.querySelector('p.narrative');
  const links = [...document.querySelectorAll('a.fig')].map(a => a.getAttribute('href'));
  const dangling = links.filter(h => !document.getElementById(h.slice(1))).length;
  const records = document.querySelector('table.meta tr:nth-child(7) td:last-child');
  return {charts: charts, records: records ? +records.textContent : -1,
          problem: (document.querySelector('.charts .problem') || {}).textContent,
          figures: narrative ? +narrative.dataset.figures : -1,
          linked: narrative ? +narrative.dataset.linked : -1, dangling: dangling,
          window: document.querySelector('table.meta tr:nth-child(4) td:last-child').textContent};
})()
"""


def etl(
    *arguments: str | Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "etl_core", *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "ETL_PSEUDONYM_KEY": "review-test-key", **(env or {})},
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    binary = find_chromium()
    if binary is None:
        message = "Chromium is not installed (apt-get install chromium); the browser checks need it"
        if os.environ.get("ETL_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    driver = Browser(binary, tmp_path_factory.mktemp("chromium-profile"), width=1400, height=1000)
    yield driver
    driver.close()


@pytest.fixture(scope="module")
def real_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if real_samples_dir() is None:
        pytest.skip("the real exports are not here (ETL_SAMPLES_DIR)")
    out = tmp_path_factory.mktemp("real-out")
    bad = tmp_path_factory.mktemp("bad-input")
    # A truncated export: quarantined as unreadable, with its reason, beside the 26 good ones.
    first = real_samples("HeartRateRecord")[0]
    (bad / "HeartRateRecord_truncated.avro").write_bytes(first.read_bytes()[:300])
    run = etl("run", real_samples_dir(), bad, "--out", out, check=False)
    assert run.returncode == 1 and "HeartRateRecord_truncated.avro" in run.stderr
    return out


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic-out")
    etl("run", SYNTHETIC, "--out", out)
    return out


def screenshot_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


def keep(shot: Path) -> None:
    wanted = os.environ.get("ETL_REVIEW_SCREENSHOTS")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(wanted) / shot.name)


def check_report(
    out: Path, browser: Browser, shots: Path, label: str, *, every_page: bool = True
) -> dict[str, Any]:
    """Render the report, open every page (or, without ``every_page``, one page per window:
    the others must exist) and check it; returns what was seen."""
    result = etl("review", out)
    examples = journal_examples(out)
    windows = {
        (e["metadata"]["record_type"], e["metadata"]["window"]["key"])
        for e in examples
        if "window" in e["metadata"]
    }
    assert f"review report: {len(examples)} examples, {len(windows)} windows" in result.stdout
    index = out / "review" / "index.html"
    assert browser.open(index.as_uri()) == []
    rows = browser.evaluate("document.querySelectorAll('#examples tbody tr').length")
    links = browser.evaluate("[...document.querySelectorAll('#examples tbody a')].map(a => a.href)")
    assert rows == len(examples) and len(set(links)) == len(examples)
    # The filters work in the page: one kind shows exactly the rows of that kind.
    kinds = Counter(e["metadata"].get("example_kind", "summary") for e in examples)
    kind, count = kinds.most_common(1)[0]
    shown = browser.evaluate(
        "(() => { const s = document.querySelector('select[data-filter=kind]');"
        f" s.value = {json.dumps(kind)}; s.dispatchEvent(new Event('change'));"
        " return [document.getElementById('shown').textContent,"
        " [...document.querySelectorAll('#examples tbody tr')].filter(r => !r.hidden).length]; })()"
    )
    assert shown == [str(count), count]
    browser.screenshot(shots / f"{label}-index.png")

    if not every_page:
        windows_of = browser.evaluate(
            "[...document.querySelectorAll('#examples tbody tr')].map(r =>"
            " [r.querySelector('a').href, r.dataset.type + ' ' + r.querySelector('a').textContent])"
        )
        first: dict[str, str] = {}
        for href, window in windows_of:
            assert Path(href.removeprefix("file://")).is_file(), href
            first.setdefault(window, href)
        links = list(first.values())
    seen: dict[str, Any] = {
        "pages": 0,
        "charts": Counter(),
        "agp_full": 0,
        "errors": [],
        "figures": 0,
        "partial_days": 0,
    }
    for link in links:
        errors = browser.open(link)
        if errors:
            seen["errors"].append((link, errors))
        page = browser.evaluate(PROBE)
        seen["pages"] += 1
        assert page.get("problem") is None, (link, page.get("problem"))
        assert page["charts"], f"{link}: no chart"
        assert page["dangling"] == 0, f"{link}: a figure links to nothing"
        # Every figure of the narrative is highlighted and linked to its insight or input line.
        assert page["linked"] == page["figures"] >= 0, (link, page)
        seen["figures"] += page["figures"]
        for chart in page["charts"]:
            title = chart["title"]
            seen["charts"][title] += 1
            assert chart["marks"] == chart["declared"] > 0, (link, title, chart)
            assert chart["svgTitle"] == title and chart["role"] == "img"
            assert chart["desc"].strip() and chart["alt"].strip() == chart["desc"].strip()
            assert chart["rows"] > 0 and chart["width"] > 100
            series = chart["series"]
            if title.startswith("Ambulatory glucose profile"):
                assert set(series) == {"p5", "p25", "p50", "p75", "p95"}, series
                # One point per band per hour holding readings (the table's rows).
                assert set(series.values()) == {chart["rows"]}, (link, series)
                if chart["rows"] == 24:
                    seen["agp_full"] += 1
                    if "agp" not in seen and "cgm_14d" in page["window"]:
                        seen["agp"] = browser.screenshot(shots / f"{label}-agp.png")
            elif title == "Time in ranges":
                assert chart["marks"] == 5 and chart["rows"] == 5
            elif title == "Daily glucose traces":
                assert series["trace"] == chart["rows"]
            elif title == "Heart rate through the day":
                episodes = sum(
                    len(row[5].split(", ")) for row in chart["cells"] if row[5] != "none"
                )
                assert series["curve"] == chart["rows"]
                if any(row[4] != "-" for row in chart["cells"]):
                    assert "resting window" in chart["svgText"]
                assert sum(n for s, n in series.items() if s.startswith("episode:")) == episodes
            elif title == "Nightly HRV (ln RMSSD)":
                assert series["nightly"] == sum(1 for row in chart["cells"] if row[1] != "-")
                assert series.get("mean7", 0) == sum(1 for row in chart["cells"] if row[2] != "-")
            elif title == "Hypnogram":
                assert chart["marks"] == sum(int(row[4]) for row in chart["cells"])
                assert {row[2] for row in chart["cells"]} <= {"primary", "corroborating"}
            elif title in ("Steps per day", "Active energy per day"):
                # One bar per source and day; one counted source per day, never a sum.
                assert chart["marks"] == chart["rows"]
                counted = [row[0] for row in chart["cells"] if row[3] == "yes"]
                assert series["counted"] == len(counted) == len(set(counted))
                partial = {row[0] for row in chart["cells"] if row[4] == "yes"}
                assert chart["svgText"].count("partial") == len(partial)
                seen["partial_days"] += len(partial)
            elif title == "Records per local day":
                assert series == {"records": chart["rows"]}
                # Every record of the window counts on one of its days.
                assert sum(int(row[1]) for row in chart["cells"]) == page["records"] > 0
    assert seen["errors"] == []
    assert seen["pages"] == (len(examples) if every_page else len(windows))
    assert seen["figures"] > seen["pages"]
    return seen


def registry() -> PluginRegistry:
    """The plugins ``etl`` would load here (``ETL_DISABLED_PLUGINS`` honoured)."""
    return load_plugins(disabled=Settings().disabled_plugins)


def installed(plugin: str) -> bool:
    return plugin in registry().plugins


def test_report_of_the_real_exports_in_a_browser(
    real_report: Path, browser: Browser, tmp_path: Path
) -> None:
    seen = check_report(real_report, browser, screenshot_dir(tmp_path), "real")
    if not installed("glucose"):
        # Core alone: every window gets the generic chart.
        assert seen["charts"] == Counter({"Records per local day": seen["pages"]})
    else:
        check_glucose_pages(real_report, seen)
    # The truncated file is listed with its reason.
    browser.open((real_report / "review" / "index.html").as_uri())
    quarantine = browser.evaluate(
        "[...document.querySelectorAll('#quarantine tbody tr')].map(r => r.textContent)"
    )
    assert len(quarantine) == 1 and "HeartRateRecord_truncated.avro" in quarantine[0]
    metadata = json.loads(
        next((real_report / "quarantine").rglob("*.metadata.json")).read_text(encoding="utf-8")
    )
    assert metadata["reasons"] and metadata["reasons"][0] in quarantine[0]


def check_glucose_pages(out: Path, seen: dict[str, Any]) -> None:
    # Every glucose window has its three charts; the 14-day windows' AGP covers all 24 hours.
    glucose_pages = sum(
        1 for e in journal_examples(out) if e["metadata"]["record_type"] == "BloodGlucoseRecord"
    )
    assert seen["charts"]["Ambulatory glucose profile (AGP)"] == glucose_pages
    assert seen["charts"]["Time in ranges"] == glucose_pages
    assert seen["agp_full"] > 0 and "agp" in seen
    keep(seen["agp"])


def test_report_of_the_synthetic_samples_in_a_browser(
    synthetic_report: Path, browser: Browser, tmp_path: Path
) -> None:
    seen = check_report(synthetic_report, browser, screenshot_dir(tmp_path), "synthetic")
    if installed("glucose"):
        assert seen["charts"]["Daily glucose traces"] > 0
    if installed("activity"):
        # The synthetic week has a day still running at fetch time: its bars say so.
        assert seen["partial_days"] > 0
    browser.open((synthetic_report / "review" / "index.html").as_uri())
    assert "No file was quarantined" in browser.evaluate(
        "document.getElementById('quarantine').textContent"
    )


def test_report_of_a_worker_output_on_s3_equals_the_local_one(
    synthetic_report: Path, moto_server: MotoS3Server, s3_bucket: str, tmp_path: Path
) -> None:
    """``etl review s3://BUCKET/PREFIX`` reads the examples and quarantine from S3 and the
    records from ``ETL_HISTORY_URL``: the pages are the same as the local folder's."""
    client = moto_server.client()
    local = sorted(
        p
        for p in synthetic_report.rglob("*")
        if p.is_file() and p.relative_to(synthetic_report).parts[0] in ("training", "quarantine")
    )
    for path in local:
        key = f"worker/{path.relative_to(synthetic_report).as_posix()}"
        client.put_object(Bucket=s3_bucket, Key=key, Body=path.read_bytes())
    etl("review", synthetic_report, "--report", tmp_path / "local")
    history = synthetic_report / ".etl-state" / "history.sqlite"
    env = {
        "ETL_S3_ENDPOINT_URL": moto_server.endpoint_url,
        "ETL_S3_ACCESS_KEY": S3_ACCESS_KEY,
        "ETL_S3_SECRET_KEY": S3_SECRET_KEY,
        "ETL_S3_REGION": S3_REGION,
        "ETL_HISTORY_URL": f"sqlite:///{history}",
    }
    result = etl("review", f"s3://{s3_bucket}/worker", "--report", tmp_path / "s3", env=env)
    examples = len(journal_examples(synthetic_report))
    assert f"review report: {examples} examples" in result.stdout
    pages = sorted(p.relative_to(tmp_path / "local") for p in (tmp_path / "local").rglob("*.html"))
    assert len(pages) == examples + 1
    for page in pages:
        assert (tmp_path / "s3" / page).read_bytes() == (tmp_path / "local" / page).read_bytes()
    empty = etl(
        "review", f"s3://{s3_bucket}/nothing", "--report", tmp_path / "x", env=env, check=False
    )
    assert empty.returncode == 2 and "no training examples found" in empty.stderr


def test_report_of_a_synthetic_month_in_a_browser(
    tmp_path_factory: pytest.TempPathFactory, browser: Browser, tmp_path: Path
) -> None:
    """A month of one synthetic person (rolling overlapping fetches, a CGM backfill, a sensor
    change, partial days, two sleep devices): one page per window opened and checked."""
    exports = tmp_path_factory.mktemp("month-in")
    write_synthetic_person(exports, days=30)
    out = tmp_path_factory.mktemp("month-out")
    etl("run", exports, "--out", out)
    seen = check_report(out, browser, screenshot_dir(tmp_path), "month", every_page=False)
    if installed("glucose"):
        assert seen["agp_full"] > 0


def test_review_refuses_a_folder_without_output(tmp_path: Path) -> None:
    missing = etl("review", tmp_path / "nope", check=False)
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"etl: error: {tmp_path / 'nope'}: no such output folder"
    empty = etl("review", tmp_path, check=False)
    assert empty.returncode == 2 and "no training examples found" in empty.stderr
    assert "Traceback" not in missing.stderr + empty.stderr


# -- the hook and the helpers, without a browser ------------------------------------------------


def glucose_window() -> Any:
    files = real_samples("BloodGlucoseRecord")
    if not files:
        pytest.skip("the real exports are not here (ETL_SAMPLES_DIR)")
    records = [r for path in files for r in read_avro(path)]
    return build_window(
        "BloodGlucoseRecord",
        WindowRule.days_ending(14, name="cgm_14d"),
        date(2025, 9, 8),
        records,
        time_fields=("timeEpochMillis",),
        user=UserContext(),
    )


def test_the_hook_relay_asks_the_owner_for_its_charts() -> None:
    if not installed("glucose"):
        pytest.skip("the glucose plugin draws these charts; it is not installed")
    loaded = registry()
    window = glucose_window()
    spec = loaded.specs["BloodGlucoseRecord"]
    charts = loaded.manager.hook.etl_review_charts(window=window, insights={}, spec=spec)
    assert [c.title for c in charts] == [
        "Ambulatory glucose profile (AGP)",
        "Time in ranges",
        "Daily glucose traces",
    ]
    assert all(chart_problem(chart) is None for chart in charts)
    agp = charts[0]
    assert agp.marks == count_marks(agp.svg) == 5 * (len(agp.table) - 1)


def test_a_type_nobody_draws_gets_core_chart() -> None:
    loaded = registry()
    spec = generic_spec("SkinTemperatureRecord", None)
    # No plugin draws a type nobody owns: the relay has no answer, the registry draws core's.
    foreign = build_window(
        "SkinTemperatureRecord",
        WindowRule.day(),
        date(2025, 9, 20),
        [],
        time_fields=("startTimeEpochMillis", "endTimeEpochMillis"),
    )
    assert loaded.manager.hook.etl_review_charts(window=foreign, insights={}, spec=spec) is None
    drawn, by = loaded.review_charts(foreign, {}, spec)
    assert by.startswith("etl-core generic") and [c.title for c in drawn] == [
        "Records per local day"
    ]


def test_generic_chart_counts_records_per_local_day() -> None:
    records = [
        {"metadata": {"id": f"r{i}"}, "timeEpochMillis": ms, "zoneOffsetId": "-05:00"}
        for i, ms in enumerate((1758344400000, 1758348000000, 1758430800000))
    ]  # 2025-09-20 00:00 and 01:00, 2025-09-21 00:00 at -05:00
    window = build_window(
        "SomeRecord",
        WindowRule.iso_week(),
        date(2025, 9, 15),
        records,
        time_fields=("timeEpochMillis",),
    )
    (chart,) = generic_charts(window, ("timeEpochMillis",))
    assert chart.marks == 7 and chart_problem(chart) is None
    assert chart.table[1:] == tuple(
        (f"2025-09-{d}", str({20: 2, 21: 1}.get(d, 0))) for d in range(15, 22)
    )


def test_chart_problems_are_named() -> None:
    plot = Plot((0, 1), (0, 1))
    plot.point(0.5, 0.5, "s", "one", "#000")
    good = plot.chart("One point", "One point in the middle.")
    assert chart_problem(good) is None and good.marks == 1
    assert "not an etl_core.Chart" in str(chart_problem("<svg/>"))
    assert "says 2 marks" in str(chart_problem(Chart(good.title, good.svg, good.text, 2)))
    scripted = good.svg.replace("</svg>", "<script>alert(1)</script></svg>")
    assert "script" in str(chart_problem(Chart("x", scripted, "x", 1)))
    handler = good.svg.replace("<circle ", '<circle onclick="x()" ')
    assert "event handler" in str(chart_problem(Chart("x", handler, "x", 1)))
    assert "text alternative" in str(chart_problem(Chart("x", good.svg, " ", 1)))


def test_a_plugin_whose_charts_break_the_contract_is_named_and_its_page_says_so() -> None:
    entry_point = importlib.metadata.EntryPoint(
        name="badcharts", value="tests.support.bad_charts_plugin", group=ENTRY_POINT_GROUP
    )
    loaded = load_plugins(entry_points=[entry_point])
    records = [
        {
            "metadata": {"id": "t1"},
            "timeEpochMillis": 1758400000000,
            "zoneOffsetId": "-05:00",
            "temperatureInCelsius": 38.5,
        }
    ]
    window = build_window(
        "BodyTemperatureRecord",
        WindowRule.day(),
        date(2025, 9, 20),
        records,
        time_fields=("timeEpochMillis",),
    )
    spec = loaded.specs["BodyTemperatureRecord"]
    with pytest.raises(ProcessorError) as raised:
        loaded.review_charts(window, {"mode": "raise"}, spec)
    # One line naming the plugin and the hook; the reading it quoted is redacted.
    assert str(raised.value).startswith(
        "plugin 'badcharts' raised ValueError in etl_review_charts while drawing "
        "BodyTemperatureRecord day:2025-09-20: reading # is odd"
    )
    with pytest.raises(ProcessorError, match="holds a script, an event handler or a link"):
        loaded.review_charts(window, {}, spec)
    entry = ExampleEntry({"output": "One reading.", "metadata": {"window": {"key": "k"}}}, "k", 0)
    page = example_page(entry, WindowCharts(problem=str(raised.value)))
    assert "plugin &#x27;badcharts&#x27; raised ValueError in etl_review_charts" in page
