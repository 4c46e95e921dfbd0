"""``etl review``: a static HTML report over an output folder, each example beside its data.

The report is a folder: ``index.html`` (every example, filterable by person pseudonym,
domain, record type, window, kind and quality, and every quarantined file with its reasons)
and one page per example under ``examples/``. A page shows the example's narrative with each
figure highlighted and linked to the insight (or input line) it comes from, its input, its
insights and the charts of its window, drawn from the record history (the records the
narrative was written from) by the record type's owner (``etl_review_charts``) or by core's
generic chart. Everything is inline (CSS, a few lines of script for the index's filters, SVG),
so the folder opens from disk with no network.

The examples are the current ones: the highest revision of each window, as the monthly
journals hold them (:func:`etl_core.outputs.compaction.current_example_keys`).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from etl_core.contract.errors import EtlError
from etl_core.contract.figures import figure_spans, figure_value
from etl_core.contract.model import Chart, UserContext
from etl_core.contract.timeutil import PersonZone
from etl_core.contract.windows import FALLBACK_RULES, Window, WindowRule, build_window
from etl_core.engine.registry import PluginRegistry, generic_spec
from etl_core.outputs.compaction import current_example_keys
from etl_core.stores.history.base import HistoryStore, WindowRef
from etl_core.stores.objects.base import ObjectStore

_DATE_OR_TIME = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])|(?<![\d:])\d{1,2}:\d{2}(?![\d:])")


@dataclass
class ExampleEntry:
    """One current example and where its page goes."""

    example: dict[str, Any]
    key: str
    """The example object it came from."""
    index: int
    """Its position in that object."""
    page: str = ""

    @property
    def metadata(self) -> dict[str, Any]:
        found = self.example.get("metadata")
        return found if isinstance(found, dict) else {}

    @property
    def window_meta(self) -> dict[str, Any]:
        found = self.metadata.get("window")
        return found if isinstance(found, dict) else {}


@dataclass
class WindowCharts:
    charts: list[Chart] = field(default_factory=list)
    drawn_by: str = ""
    problem: str = ""
    record_count: int = 0


@dataclass
class ReviewReport:
    """What :func:`write_report` wrote."""

    folder: Path
    examples: int = 0
    windows: int = 0
    charts: int = 0
    quarantined: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.folder / "index.html"


# -- reading the output ---------------------------------------------------------------------


def current_examples(store: ObjectStore, prefix: str) -> list[ExampleEntry]:
    """Every current example under ``prefix`` (highest revision per window), in key order."""
    entries: list[ExampleEntry] = []
    for key in current_example_keys(store.list(prefix)):
        lines = [line for line in store.get(key).decode("utf-8").splitlines() if line.strip()]
        for index, line in enumerate(lines):
            try:
                example = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(example, dict):
                entries.append(ExampleEntry(example, key, index))
    return entries


def quarantined(store: ObjectStore, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """Every quarantined file's key and metadata (reasons, scores)."""
    found = []
    for key in sorted(store.list(prefix)):
        if not key.endswith(".metadata.json"):
            continue
        try:
            metadata = json.loads(store.get(key))
        except (json.JSONDecodeError, UnicodeDecodeError):
            metadata = {"reasons": ["metadata is not readable JSON"]}
        found.append(
            (key.removesuffix(".metadata.json"), metadata if isinstance(metadata, dict) else {})
        )
    return found


# -- rebuilding a window from the history ----------------------------------------------------


def window_rule(registry: PluginRegistry, record_type: str, meta: Mapping[str, Any]) -> WindowRule:
    """The rule a window was built with: its owner's (for the lookback), else the fallback's,
    else one made from the window's own metadata (its days and starting hour)."""
    name = str(meta.get("rule", ""))
    plan = registry.window_plan.get(record_type)
    if plan is not None and (rule := plan.rule(name)) is not None:
        return rule
    for rule in FALLBACK_RULES:
        if rule.name == name and record_type not in registry.owners:
            return rule
    start = str(meta.get("start", "T00"))
    hour = int(start.partition("T")[2][:2] or 0)
    return WindowRule(name, days=int(meta.get("days", 1)), start_hour=hour)


def rebuild_window(
    history: HistoryStore,
    registry: PluginRegistry,
    user: str,
    record_type: str,
    meta: Mapping[str, Any],
    person: UserContext,
) -> tuple[Window, tuple[str, ...]]:
    """The window as ``etl_process_window`` saw it, from the records the history holds now,
    and the time fields its records are read by."""
    rule = window_rule(registry, record_type, meta)
    first_day = date.fromisoformat(str(meta["first_day"]))
    ref = WindowRef(user, record_type, rule.key(first_day))
    records, observations, stored_fields = history.window_records(ref, rule, person)
    spec = registry.specs.get(record_type)
    # A type nobody owns is read by the time fields its records were stored with.
    time_fields = (tuple(spec.time_fields) if spec is not None else ()) or stored_fields
    zone = PersonZone(observations, person.timezone)
    window = build_window(
        record_type,
        rule,
        first_day,
        records,
        time_fields=time_fields,
        user=UserContext(timezone=zone, age_years=person.age_years),
        distinct=True,
    )
    return window, time_fields


def draw_window(
    history: HistoryStore | None,
    registry: PluginRegistry,
    entry: ExampleEntry,
    person: UserContext,
) -> WindowCharts:
    meta = entry.metadata
    record_type = str(meta.get("record_type", ""))
    if history is None:
        return WindowCharts(problem="no record history found: charts need the run's state folder")
    try:
        window, time_fields = rebuild_window(
            history, registry, str(meta.get("user", "")), record_type, entry.window_meta, person
        )
    except (KeyError, ValueError) as exc:
        return WindowCharts(problem=f"window metadata unreadable: {type(exc).__name__}")
    if not window.records:
        return WindowCharts(problem="the history holds no records of this window any more")
    spec = registry.specs.get(record_type) or dataclasses.replace(
        generic_spec(record_type, None), time_fields=time_fields
    )
    insights = meta.get("clinical_insights")
    try:
        charts, drawn_by = registry.review_charts(
            window, insights if isinstance(insights, dict) else {}, spec
        )
    except EtlError as exc:
        return WindowCharts(problem=str(exc), record_count=len(window.records))
    return WindowCharts(charts, drawn_by, record_count=len(window.records))


# -- linking figures to insights ---------------------------------------------------------------


def flatten(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted path, value)`` of every scalar in nested insights."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from flatten(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from flatten(value, f"{path}[{index}]")
    else:
        yield path, node


def _numeric(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    found = figure_value(repr(float(value)) if isinstance(value, float) else str(value))
    return abs(found) if found is not None else None


@dataclass
class FigureIndex:
    """Where each figure of a narrative can come from: insight paths, input lines and the
    record type's declared reference values (thresholds and targets it may state)."""

    insights: list[tuple[str, Any]]
    input_lines: list[str]
    references: list[tuple[str, float]] = field(default_factory=list)

    def insight_for(self, token: str, *, is_number: bool) -> int | None:
        """Index of the first insight holding the figure: equal numbers first, then strings
        that contain it (a date, a time)."""
        if is_number:
            value = figure_value(token)
            if value is not None:
                for index, (_, held) in enumerate(self.insights):
                    if _numeric(held) == abs(value):
                        return index
        for index, (_, held) in enumerate(self.insights):
            if isinstance(held, str) and _contains_token(held, token):
                return index
        return None

    def input_line_for(self, token: str) -> int | None:
        for index, line in enumerate(self.input_lines):
            if _contains_token(line, token):
                return index
        return None

    def reference_for(self, token: str) -> int | None:
        value = figure_value(token)
        for index, (_, held) in enumerate(self.references):
            if value is not None and _numeric(held) == abs(value):
                return index
        return None


def _contains_token(text: str, token: str) -> bool:
    if ":" in token or "-" in token:
        return token in text or (len(token) == 4 and "0" + token in text)
    target = figure_value(token)
    return any(figure_value(t) == target for _, _, t in figure_spans(text))


def highlight(text: str, figures: FigureIndex, anchor: str = "ins") -> tuple[str, int, int]:
    """``text`` as HTML with each figure in a ``<mark>`` linked to its insight (or input
    line); returns the HTML, the figures found and how many were linked."""
    spans: list[tuple[int, int, str, bool]] = []
    taken: list[tuple[int, int]] = []
    for match in _DATE_OR_TIME.finditer(text):
        spans.append((match.start(), match.end(), match.group(0), False))
        taken.append((match.start(), match.end()))
    for start, end, token in figure_spans(text):
        if not any(a <= start < b for a, b in taken):
            spans.append((start, end, token, True))
    spans.sort()
    parts: list[str] = []
    position = linked = 0
    for start, end, token, is_number in spans:
        parts.append(escape(text[position:start]))
        insight = figures.insight_for(token, is_number=is_number)
        if insight is not None:
            path = figures.insights[insight][0]
            parts.append(
                f'<a class="fig" href="#{anchor}-{insight}" title="insight {escape(path)}">'
                f"<mark>{escape(token)}</mark></a>"
            )
            linked += 1
        else:
            line = figures.input_line_for(token)
            if line is not None:
                parts.append(
                    f'<a class="fig input" href="#in-{line}" title="input line {line + 1}">'
                    f"<mark>{escape(token)}</mark></a>"
                )
                linked += 1
            elif (reference := figures.reference_for(token)) is not None:
                name = figures.references[reference][0]
                parts.append(
                    f'<a class="fig ref" href="#ref-{reference}" title="reference value '
                    f'{escape(name)}"><mark>{escape(token)}</mark></a>'
                )
                linked += 1
            else:
                parts.append(
                    f'<mark class="unlinked" title="no insight holds it">{escape(token)}</mark>'
                )
        position = end
    parts.append(escape(text[position:]))
    return "".join(parts), len(spans), linked


# -- writing the HTML --------------------------------------------------------------------------

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1f2933;background:#f7f8fa}
header{background:#0b3d91;color:#fff;padding:10px 20px}header a{color:#fff}
main{padding:12px 20px}h1{font-size:20px;margin:4px 0}h2{font-size:16px;margin:14px 0 6px}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #d9dee3;padding:3px 7px;
text-align:left;vertical-align:top}th{background:#eef1f4}
.grid{display:grid;grid-template-columns:minmax(320px,1fr) minmax(420px,1.3fr);gap:18px}
.panel{background:#fff;border:1px solid #d9dee3;border-radius:6px;padding:10px 14px;
margin-bottom:14px}
.narrative{font-size:15px;white-space:pre-wrap}pre{white-space:pre-wrap;margin:0;font-size:12.5px}
mark{background:#fff1a8;padding:0 1px;border-bottom:2px solid #c9a400}
mark.unlinked{background:#f6d5d5;border-bottom:2px dotted #a33}
a.fig{text-decoration:none;color:inherit}a.fig.input mark{background:#dbe9ff;border-color:#2f6db5}
.meta td:first-child{font-weight:600}figure{margin:0 0 16px}
figcaption{font-weight:600;margin-bottom:4px}
.chart svg{width:100%;height:auto;background:#fff}details{margin-top:4px}
tr:target,span:target{outline:3px solid #c9a400}.problem{color:#8b1a1a}
.filters label{margin-right:12px}.muted{color:#5b6670}
"""

_FILTER_SCRIPT = """
(function(){
  var selects=document.querySelectorAll('select[data-filter]');
  var rows=document.querySelectorAll('#examples tbody tr');
  var counter=document.getElementById('shown');
  function apply(){
    var shown=0;
    rows.forEach(function(row){
      var keep=true;
      selects.forEach(function(s){
        var wanted=s.value, held=row.getAttribute('data-'+s.getAttribute('data-filter'));
        if(wanted && held!==wanted){keep=false;}
      });
      var q=document.getElementById('min-quality').value;
      if(q && parseFloat(row.getAttribute('data-quality'))<parseFloat(q)){keep=false;}
      row.hidden=!keep; if(keep){shown+=1;}
    });
    counter.textContent=String(shown);
  }
  selects.forEach(function(s){s.addEventListener('change',apply);});
  document.getElementById('min-quality').addEventListener('input',apply);
  apply();
})();
"""


def _page(title: str, body: str, *, script: str = "", back: str = "") -> str:
    nav = f'<a href="{back}">&larr; all examples</a> &middot; ' if back else ""
    tail = f"<script>{script}</script>" if script else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header>{nav}<strong>etl review</strong></header><main><h1>{escape(title)}</h1>"
        f"{body}</main>{tail}</body></html>\n"
    )


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return escape(f"{value:g}")
    if isinstance(value, dict | list):
        return escape(json.dumps(value, ensure_ascii=False))
    return escape(str(value))


def chart_html(chart: Chart, index: int) -> str:
    table = ""
    if chart.table:
        header, *rows = chart.table
        head = "".join(f'<th scope="col">{escape(c)}</th>' for c in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows
        )
        table = (
            f'<details><summary>Data table ({len(rows)} rows)</summary><table class="chart-data">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></details>"
        )
    return (
        f'<figure class="chart" id="chart-{index}" data-marks="{chart.marks}" '
        f'data-title="{escape(chart.title)}"><figcaption>{escape(chart.title)}</figcaption>'
        f'{chart.svg}<p class="alt">{escape(chart.text)}</p>{table}</figure>'
    )


def example_page(
    entry: ExampleEntry,
    drawn: WindowCharts | None,
    references: Mapping[str, float] | None = None,
) -> str:
    example, meta = entry.example, entry.metadata
    window = entry.window_meta
    insights = meta.get("clinical_insights")
    flat = list(flatten(insights if isinstance(insights, dict) else {}))
    input_text = str(example.get("input", ""))
    input_lines = input_text.splitlines()
    declared = sorted((references or {}).items())
    figures = FigureIndex(flat, input_lines, declared)
    output_html, found, linked = highlight(str(example.get("output", "")), figures)
    rows = [
        ("person", meta.get("user", "")),
        ("record type", meta.get("record_type", "")),
        ("domain", meta.get("health_domain", "")),
        (
            "window",
            f"{window.get('key', 'per upload')} "
            f"({window.get('start', '')} to {window.get('end', '')})",
        ),
        ("kind", meta.get("example_kind", "summary")),
        ("quality", meta.get("quality_score", "")),
        ("records", meta.get("record_count", "")),
        ("clock", meta.get("clock", "")),
        ("revision", meta.get("revision", "")),
        ("processor", meta.get("processor", "")),
    ]
    warnings = meta.get("validation_warnings") or []
    meta_html = "".join(f"<tr><td>{escape(k)}</td><td>{_cell(v)}</td></tr>" for k, v in rows)
    if warnings:
        meta_html += f"<tr><td>warnings</td><td>{_cell(warnings)}</td></tr>"
    input_html = "".join(
        f'<span id="in-{i}">{highlight(line, FigureIndex(flat, []))[0]}</span>\n'
        for i, line in enumerate(input_lines)
    )
    insight_rows = "".join(
        f'<tr id="ins-{i}"><td><code>{escape(path)}</code></td><td>{_cell(value)}</td></tr>'
        for i, (path, value) in enumerate(flat)
    )
    left = (
        '<section class="panel"><h2>Instruction</h2>'
        f"<p>{escape(str(example.get('instruction', '')))}</p>"
        f'<h2>Narrative (output)</h2><p class="narrative" data-figures="{found}" '
        f'data-linked="{linked}">{output_html}</p><p class="muted">{linked} of {found} figures '
        "linked to an insight, an input line or a reference value (highlighted; follow a "
        "figure to its source).</p>"
        '</section><section class="panel"><h2>Input</h2>'
        f'<pre class="input">{input_html}</pre></section>'
        f'<section class="panel"><h2>Insights</h2><table class="insights"><thead><tr><th>insight'
        f"</th><th>value</th></tr></thead><tbody>{insight_rows}</tbody></table></section>"
    )
    if declared:
        reference_rows = "".join(
            f'<tr id="ref-{i}"><td><code>{escape(name)}</code></td><td>{_cell(value)}</td></tr>'
            for i, (name, value) in enumerate(declared)
        )
        left += (
            '<section class="panel"><h2>Reference values of the record type</h2>'
            '<table class="references"><thead><tr><th>reference</th><th>value</th></tr></thead>'
            f"<tbody>{reference_rows}</tbody></table></section>"
        )
    if drawn is None:
        right = (
            '<section class="panel charts"><h2>Charts</h2><p class="muted">Per-upload '
            "example: no window to draw.</p></section>"
        )
    elif drawn.problem:
        right = (
            '<section class="panel charts"><h2>Charts</h2>'
            f'<p class="problem">{escape(drawn.problem)}</p></section>'
        )
    else:
        charts = "".join(chart_html(chart, i) for i, chart in enumerate(drawn.charts))
        right = (
            f'<section class="panel charts" data-charts="{len(drawn.charts)}">'
            "<h2>Charts of the window</h2>"
            f'<p class="muted">{drawn.record_count} records from the history store, drawn by '
            f"{escape(drawn.drawn_by)}.</p>{charts}</section>"
        )
    body = (
        f'<table class="meta">{meta_html}</table>'
        f'<div class="grid"><div>{left}</div><div>{right}</div></div>'
    )
    title = " ".join(
        str(part)
        for part in (
            meta.get("record_type", "example"),
            window.get("key"),
            meta.get("example_kind"),
        )
        if part
    )
    return _page(title, body, back="../index.html")


def _options(name: str, label: str, values: Iterable[str]) -> str:
    options = "".join(
        f'<option value="{escape(v)}">{escape(v)}</option>' for v in sorted(set(values))
    )
    return (
        f'<label>{escape(label)} <select data-filter="{name}" aria-label="{escape(label)}">'
        f'<option value="">all</option>{options}</select></label>'
    )


def index_page(
    entries: Sequence[ExampleEntry],
    quarantine: Sequence[tuple[str, dict[str, Any]]],
    problems: Sequence[str],
) -> str:
    def attr(entry: ExampleEntry) -> dict[str, str]:
        meta = entry.metadata
        return {
            "person": str(meta.get("user", "")),
            "domain": str(meta.get("health_domain", "")),
            "type": str(meta.get("record_type", "")),
            "rule": str(entry.window_meta.get("rule", "upload")),
            "kind": str(meta.get("example_kind", "summary")),
        }

    rows = []
    for entry in entries:
        data = attr(entry)
        meta = entry.metadata
        quality = meta.get("quality_score", 0)
        attrs = " ".join(f'data-{k}="{escape(v)}"' for k, v in data.items())
        rows.append(
            f'<tr {attrs} data-quality="{_cell(quality)}"><td>{escape(data["person"])}</td>'
            f"<td>{escape(data['domain'])}</td><td>{escape(data['type'])}</td>"
            f'<td><a href="{escape(entry.page)}" aria-label="'
            f"{escape(data['type'])} {escape(str(entry.window_meta.get('key', 'per upload')))} "
            f'{escape(data["kind"])} {entry.index + 1}">'
            f"{escape(str(entry.window_meta.get('key', 'per upload')))}</a></td>"
            f"<td>{escape(data['kind'])}</td><td>{_cell(quality)}</td>"
            f"<td>{_cell(meta.get('record_count', ''))}</td></tr>"
        )
    filters = "".join(
        _options(name, label, (attr(e)[name] for e in entries))
        for name, label in (
            ("person", "person"),
            ("domain", "domain"),
            ("type", "record type"),
            ("rule", "window"),
            ("kind", "kind"),
        )
    )
    filters += (
        '<label>min quality <input id="min-quality" type="number" min="0" max="1" step="0.05" '
        'aria-label="minimum quality"></label>'
    )
    quarantine_rows = "".join(
        f"<tr><td>{escape(key)}</td><td>{escape(str(meta.get('record_type', '')))}</td>"
        f"<td>{_cell(meta.get('quality_score', ''))}</td>"
        f"<td>{_cell(meta.get('error_type', ''))}</td>"
        f"<td><ul>{''.join(f'<li>{escape(str(r))}</li>' for r in meta.get('reasons') or [])}</ul>"
        "</td></tr>"
        for key, meta in quarantine
    )
    quarantine_html = (
        '<table id="quarantine"><thead><tr><th>file</th><th>record type</th><th>quality</th>'
        f"<th>error</th><th>reasons</th></tr></thead><tbody>{quarantine_rows}</tbody></table>"
        if quarantine
        else '<p id="quarantine">No file was quarantined.</p>'
    )
    problem_html = ""
    if problems:
        items = "".join(f"<li>{escape(p)}</li>" for p in problems)
        problem_html = f'<h2>Charts that could not be drawn</h2><ul class="problem">{items}</ul>'
    body = (
        f'<p class="filters">{filters}</p><p><span id="shown">{len(entries)}</span> of '
        f"{len(entries)} examples shown.</p>"
        '<table id="examples"><thead><tr><th>person</th><th>domain</th><th>record type</th>'
        "<th>window</th><th>kind</th><th>quality</th><th>records</th></tr></thead><tbody>"
        f"{''.join(rows)}</tbody></table>{problem_html}"
        f"<h2>Quarantined files ({len(quarantine)})</h2>{quarantine_html}"
    )
    return _page("Review report", body, script=_FILTER_SCRIPT)


def _page_name(entry: ExampleEntry) -> str:
    stem = entry.key.rsplit("/", 2)
    if entry.key.endswith(".jsonl"):
        # <window id>/r<revision>.jsonl: one page per example of the window.
        return f"examples/{stem[-2]}-{entry.index}.html"
    return f"examples/{stem[-1].removesuffix('.json')}.html"


def write_report(
    store: ObjectStore,
    folder: Path,
    *,
    registry: PluginRegistry,
    history: HistoryStore | None,
    person: UserContext,
    training_prefix: str = "training/",
    quarantine_prefix: str = "quarantine/",
) -> ReviewReport:
    """Write the report of every current example in ``store`` into ``folder``."""
    entries = current_examples(store, training_prefix)
    entries.sort(key=_order)
    quarantine = quarantined(store, quarantine_prefix)
    report = ReviewReport(folder, examples=len(entries), quarantined=len(quarantine))
    (folder / "examples").mkdir(parents=True, exist_ok=True)
    drawn: dict[str, WindowCharts] = {}
    for entry in entries:
        entry.page = _page_name(entry)
        charts: WindowCharts | None = None
        if entry.window_meta:
            if entry.key not in drawn:
                drawn[entry.key] = draw_window(history, registry, entry, person)
                found = drawn[entry.key]
                report.charts += len(found.charts)
                if found.problem:
                    where = f"{entry.metadata.get('record_type')} {entry.window_meta.get('key')}"
                    report.problems.append(f"{where}: {found.problem}")
            charts = drawn[entry.key]
        spec = registry.specs.get(str(entry.metadata.get("record_type", "")))
        references = dict(spec.reference_values) if spec is not None else {}
        (folder / entry.page).write_text(example_page(entry, charts, references), encoding="utf-8")
    report.windows = len(drawn)
    (folder / "index.html").write_text(
        index_page(entries, quarantine, report.problems), encoding="utf-8"
    )
    return report


def _order(entry: ExampleEntry) -> tuple[str, str, str, str, int]:
    meta = entry.metadata
    return (
        str(meta.get("user", "")),
        str(meta.get("health_domain", "")),
        str(meta.get("record_type", "")),
        str(entry.window_meta.get("key", "")),
        entry.index,
    )
