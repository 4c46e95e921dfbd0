"""The five real BloodGlucoseRecord exports through ``etl run`` and the windowed runtime.

The exports overlap (two of them hold the identical record set) and carry
``zoneOffsetId: "Z"``. Three runs cover the three ways core finds the person's clock: all 26
real files of the person (the offset inferred from their heart-rate, sleep and step records,
-05:00), the glucose files alone with ``--timezone America/Chicago`` (the configured zone) and
alone without one (UTC). In each, the journals hold one current example set per window, equal
to what the hooks return for the window built from every record, and every insight equals a
value computed here from the raw records in the person's local time."""

from __future__ import annotations

import itertools
import json
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import glucose_window_reference as ref
import pytest
from glucose_run_reference import SPEC, assert_journals_match_hooks, hook_results, person_zone

from etl_core import ExampleKind
from etl_core.builtin.training_jsonl import stable_form
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.testing import read_avro, real_samples, run_etl, training_examples

FILES = real_samples("BloodGlucoseRecord")
EVERY_FILE = real_samples()
IDENTICAL_PAIR = ("BloodGlucoseRecord_1758407245091.avro", "BloodGlucoseRecord_1758407386729.avro")
CDT = timezone(timedelta(hours=-5))
CHICAGO = ZoneInfo("America/Chicago")
WINDOWS = [
    "cgm_14d:2025-09-08",
    "cgm_14d:2025-09-15",
    "cgm_14d:2025-09-22",
    "day:2025-09-19",
    "day:2025-09-20",
    "day:2025-09-21",
    "day:2025-09-22",
]

pytestmark = pytest.mark.skipif(
    len(FILES) != 5 or len(EVERY_FILE) != 26, reason="the 26 real files are needed"
)


@dataclass(frozen=True)
class Run:
    name: str
    out: Path
    clock: str
    """The ``metadata.clock`` every glucose example must carry."""
    reading_zone: tzinfo
    """The zone the test reads the raw readings in (a fixed offset where core infers one)."""
    hook_zone: tzinfo | None
    """The zone core hands the hooks (``PersonZone`` where it infers the offset)."""
    paths: list[Path]
    examples: list[dict[str, Any]]

    def by_window(self) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for example in self.examples:
            grouped.setdefault(example["metadata"]["window"]["key"], []).append(example)
        return grouped

    def text(self, key: str, kind: ExampleKind) -> str:
        [example] = [e for e in self.by_window()[key] if e["metadata"]["example_kind"] == kind]
        return str(example["output"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    found = {}
    cases: list[tuple[str, list[Path], tuple[str, ...], Any, tzinfo, str]] = [
        # every real file of the person: the glucose clock comes from their other records
        (
            "inferred",
            EVERY_FILE,
            (),
            person_zone(EVERY_FILE),
            CDT,
            "inferred from the person's other records",
        ),
        (
            "configured",
            FILES,
            ("--timezone", "America/Chicago"),
            CHICAGO,
            CHICAGO,
            "configured time zone",
        ),
        ("utc", FILES, (), None, UTC, "UTC, no offset known"),
    ]
    for name, paths, args, hook_zone, reading_zone, clock in cases:
        out = tmp_path_factory.mktemp(f"glucose-{name}")
        run_etl(paths, out, *args)
        examples = training_examples(out, SPEC.health_domain)
        found[name] = Run(name, out, clock, reading_zone, hook_zone, paths, examples)
    return found


def all_examples(runs: dict[str, Run]) -> list[tuple[Run, dict[str, Any]]]:
    return [(run, example) for run in runs.values() for example in run.examples]


def local_readings(zone: tzinfo) -> list[ref.Reading]:
    return ref.readings(ref.newest(ref.decode(FILES)), zone)


def test_overlapping_files_give_one_current_example_set_per_window(runs: dict[str, Run]) -> None:
    """Was: identical record sets give one example. Now the five overlapping files give one
    current example set per window they touch, equal to what the hooks return for the window
    built from every record of it, and the journals hold exactly those."""
    for run in runs.values():
        by_window = assert_journals_match_hooks(run.out, hook_results(run.paths, run.hook_zone))
        assert sorted(by_window) == WINDOWS, run.name
        for key, examples in by_window.items():
            kinds = Counter(e["metadata"]["example_kind"] for e in examples)
            assert kinds[ExampleKind.SUMMARY] == kinds[ExampleKind.NOTE] == 1, key
            assert 1 <= kinds[ExampleKind.QUESTION] <= 3, key
            assert set(kinds) <= {ExampleKind.SUMMARY, ExampleKind.NOTE, ExampleKind.QUESTION}
        assert len(run.examples) == sum(len(e) for e in by_window.values())


def _stable(examples: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(stable_form(e), sort_keys=True) for e in examples)


def _written(out: Path) -> dict[Path, int]:
    return {
        path: path.stat().st_mtime_ns for path in (out / "training").rglob("*") if path.is_file()
    }


def test_a_file_whose_records_are_all_held_changes_nothing(
    runs: dict[str, Run], tmp_path: Path
) -> None:
    """The files one run each, in fetch order, into one output: a file whose records the
    history already holds (computed here from the raw records) writes nothing, every other
    writes examples, and the end state equals the single run over all five."""
    out = tmp_path / "out"
    held: dict[str, int] = {}
    nothing_new = []
    for path in sorted(FILES, key=lambda p: p.name):
        records = read_avro(path)
        brings = any(
            held.get(r["metadata"]["id"], -1) < r["metadata"]["lastModifiedTimeEpochMillis"]
            for r in records
        )
        for r in records:
            rid, modified = r["metadata"]["id"], r["metadata"]["lastModifiedTimeEpochMillis"]
            held[rid] = max(held.get(rid, -1), modified)
        before = _written(out) if out.exists() else {}
        result = run_etl([path], out)
        if brings:
            assert "training examples written: 0" not in result.stdout, path.name
            assert _written(out) != before, path.name
        else:
            nothing_new.append(path.name)
            assert "training examples written: 0" in result.stdout, path.name
            assert _written(out) == before, path.name
    assert IDENTICAL_PAIR[1] in nothing_new
    assert _stable(training_examples(out, SPEC.health_domain)) == _stable(runs["utc"].examples)


def test_insights_equal_values_computed_from_raw_records(runs: dict[str, Run]) -> None:
    for run in runs.values():
        readings = local_readings(run.reading_zone)
        for example in run.examples:
            meta = example["metadata"]
            ins = meta["clinical_insights"]
            window = meta["window"]
            first = datetime.fromisoformat(window["first_day"]).date()
            try:
                ref.check_insights(ins, ref.expected_insights(readings, first, window["days"]))
            except AssertionError as error:
                raise AssertionError(f"{run.name} {window['key']}: {error}") from error
            span = ref.between(readings, first, window["days"])
            stamps = [r.epoch_ms for r in span]
            assert meta["record_count"] == ins["readings"] == len(span)
            assert ins["excluded_readings"] == 0
            gaps = [b - a for a, b in itertools.pairwise(stamps)]
            assert ins["sampling_interval_min"] == round(statistics.median(gaps) / 60_000)
            # The per-file path stated GMI and eA1c on hours of data; a window states GMI only
            # when it is sufficient, and none of these is.
            assert ins["data_sufficient"] is False and ins["gmi_percent"] is None


def test_the_person_s_local_time_in_every_run(runs: dict[str, Run]) -> None:
    """Was: the user's time zone from the CLI. Now each of core's three clocks, in the
    metadata, the insights, the window days and the text."""
    for run in runs.values():
        readings = local_readings(run.reading_zone)
        local_days = sorted({r.local.date().isoformat() for r in readings})
        day_windows = sorted(
            {
                e["metadata"]["window"]["first_day"]
                for e in run.examples
                if e["metadata"]["window"]["rule"] == "day"
            }
        )
        assert day_windows == local_days, run.name
        offset = "+00:00" if run.name == "utc" else "-05:00"
        for example in run.examples:
            meta = example["metadata"]
            assert meta["clock"] == run.clock
            assert meta["clinical_insights"]["clock"]["source"] == run.clock
            assert meta["clinical_insights"]["clock"]["offsets"] == [offset]
            assert meta["data_start"].endswith(offset) and meta["data_end"].endswith(offset)
        for key in run.by_window():
            summary = run.text(key, ExampleKind.SUMMARY)
            note = run.text(key, ExampleKind.NOTE)
            if run.name == "utc":
                assert "UTC" in summary and "UTC" in note, key
            else:
                assert "-05:00" in summary and "-05:00" in note, key
                assert "UTC" not in summary and "UTC" not in note, key
            if run.name == "inferred":
                assert re.search(r"\bother\b", summary + note), key


def test_every_figure_is_grounded_and_an_insight(runs: dict[str, Run]) -> None:
    for _, example in all_examples(runs):
        insights = example["metadata"]["clinical_insights"]
        assert unsupported_figures(example["output"], insights) == []
        assert unsupported_figures(example["input"], insights) == []
        assert ungrounded_figures(example["output"], example["input"], SPEC.reference_values) == []


def test_real_narratives_are_honest_about_the_window(runs: dict[str, Run]) -> None:
    for run, example in all_examples(runs):
        text = example["output"]
        meta = example["metadata"]
        ins = meta["clinical_insights"]
        assert ins["targets_met"] is None and ins["comparison"] is None
        assert "clinician" not in text
        assert "GMI of" not in text and "GMI at" not in text
        assert "met" not in re.findall(r"\b\w+\b", text.replace("not met", ""))
        # "trend" only ever appears denied ("not a trend", "not yet a trend")
        for match in re.finditer(r"trend", text):
            assert re.search(r"(not|no|never)\b[^.]*$", text[: match.start()]), text
        if meta["example_kind"] == ExampleKind.SUMMARY:
            worn = ins["days_worn"]
            assert f"{worn} of 14 days worn" in example["input"]
            assert re.search(rf"\b{worn} of (the )?14 days\b", text), (run.name, text)


def test_example_dates_come_from_the_records(runs: dict[str, Run]) -> None:
    for run in runs.values():
        readings = local_readings(run.reading_zone)
        for example in run.examples:
            meta = example["metadata"]
            first = datetime.fromisoformat(meta["window"]["first_day"]).date()
            span = ref.between(readings, first, meta["window"]["days"])
            assert meta["data_start"] == ref.iso(span[0].local), run.name
            assert meta["data_end"] == ref.iso(span[-1].local), run.name
