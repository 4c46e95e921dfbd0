"""The real exports (and crafted Avro files) through ``etl run``, checked against values this
test computes itself from the raw records."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from heartrate_builders import MIDNIGHT_MS, MINUTE_MS, hr_record, hrv_record, minute_series
from heartrate_reference import (
    MINUTE,
    reference_resting,
    reference_rmssd,
    reference_runs,
    reference_samples,
)

from etl_core.figures import unsupported_figures
from etl_core.schemas import load_avsc
from etl_core.testing import read_avro, real_samples, run_etl, training_examples, write_avro
from etl_heartrate.specs import HEALTH_DOMAIN, HEART_RATE_INSTRUCTIONS, HRV_INSTRUCTIONS

HR = "HeartRateRecord"
HRV = "HeartRateVariabilityRmssdRecord"
SNAPSHOT_FETCHES = ("1758407139312", "1758407245091", "1758407386729")

HR_FILES = real_samples(HR)
HRV_FILES = real_samples(HRV)
needs_real_files = pytest.mark.skipif(
    len(HR_FILES) != 5 or len(HRV_FILES) != 3, reason="real Health Connect samples not found"
)


def by_key(examples: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["metadata"]["source_key"]: e for e in examples}


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("real")
    run_etl([*HR_FILES, *HRV_FILES], out)
    return by_key(training_examples(out, HEALTH_DOMAIN))


@pytest.fixture(scope="module")
def real_run_with_age(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("real-age")
    run_etl(HR_FILES, out, "--age", "40")
    return by_key(training_examples(out, HEALTH_DOMAIN))


def path_of(key: str) -> Path:
    (path,) = [p for p in [*HR_FILES, *HRV_FILES] if p.name == key]
    return path


@needs_real_files
def test_identical_record_sets_give_one_example_each(real_run: dict[str, dict[str, Any]]) -> None:
    keys = sorted(real_run)
    hr_keys = [k for k in keys if k.startswith(f"{HR}_")]
    hrv_keys = [k for k in keys if k.startswith(f"{HRV}_")]
    assert len(hr_keys) == 3
    assert len(hrv_keys) == 1
    assert sum(1 for k in hr_keys if k.split("_")[1].split(".")[0] in SNAPSHOT_FETCHES) == 1
    for key in keys:
        assert real_run[key]["metadata"]["processor"].startswith("heartrate ")
        assert real_run[key]["metadata"]["health_domain"] == HEALTH_DOMAIN


@needs_real_files
def test_every_narrative_figure_is_an_insight(real_run: dict[str, dict[str, Any]]) -> None:
    for example in real_run.values():
        insights = example["metadata"]["clinical_insights"]
        assert unsupported_figures(example["output"], insights) == [], example["output"]
        assert unsupported_figures(example["input"], insights) == [], example["input"]
        phrasings = HEART_RATE_INSTRUCTIONS if insights["record_type"] == HR else HRV_INSTRUCTIONS
        assert example["instruction"] in phrasings


@needs_real_files
def test_heart_rate_insights_equal_values_computed_from_the_raw_records(
    real_run: dict[str, dict[str, Any]],
) -> None:
    hr_examples = {k: e for k, e in real_run.items() if k.startswith(f"{HR}_")}
    assert hr_examples
    for key, example in hr_examples.items():
        records = read_avro(path_of(key))
        ins = example["metadata"]["clinical_insights"]
        samples = reference_samples(records)
        bpms = [s[1] for s in samples]
        times = [s[0] for s in samples]

        assert example["metadata"]["record_count"] == len(records)
        assert ins["samples"] == len(samples) == len({(t, b) for t, b, _o, _d in samples})
        assert ins["span_hours"] == round((max(times) - min(times)) / 3_600_000, 1)
        assert ins["mean_bpm"] == round(sum(bpms) / len(bpms), 1)
        assert ins["min_bpm"] == min(bpms)
        assert ins["max_bpm"] == max(bpms)
        assert ins["sources"] == dict(Counter(r[2] for r in samples))
        assert ins["timezone"] == "-05:00 (record offsets)"
        assert ins["resting_window_minutes"] == 30

        resting = reference_resting(samples)
        daily = {d["date"]: d for d in ins["daily"]}
        assert set(daily) == {day.isoformat() for day in resting}
        for day, value in resting.items():
            row = daily[day.isoformat()]
            day_samples = [s for s in samples if s[3] == day]
            assert row["samples"] == len(day_samples)
            assert row["monitored_minutes"] == len({s[0] // MINUTE for s in day_samples})
            assert row["resting_bpm"] == (None if value is None else round(value[0], 1))
        values = [v[0] for v in resting.values() if v is not None]
        assert values, "each real file has one well-covered day"
        assert ins["resting_bpm"] == round(sum(values) / len(values), 1)

        pairs = [(t, b) for t, b, _o, _d in samples]
        assert ins["tachycardia_episodes"] == len(reference_runs(pairs, lambda b: b > 100))
        assert ins["bradycardia_episodes"] == len(reference_runs(pairs, lambda b: b < 50))
        assert ins["samples_above_tachycardia_threshold"] == sum(1 for b in bpms if b > 100)
        assert ins["zones"] is None
        assert "need the person's age" in example["output"]


@needs_real_files
def test_hrv_insights_equal_values_computed_from_the_raw_records(
    real_run: dict[str, dict[str, Any]],
) -> None:
    (key,) = [k for k in real_run if k.startswith(f"{HRV}_")]
    ins = real_run[key]["metadata"]["clinical_insights"]
    expected = reference_rmssd(read_avro(path_of(key)))
    assert ins["measurements"] == expected["measurements"]
    assert ins["nights"] == expected["nights"] == 1
    assert ins["mean_rmssd_ms"] == round(expected["mean"], 1)
    assert ins["median_rmssd_ms"] == round(expected["median"], 1)
    assert ins["sd_rmssd_ms"] == round(expected["sd"], 1)
    assert ins["ln_rmssd_mean"] == round(expected["ln_mean"], 2)
    assert ins["min_rmssd_ms"] == expected["min"]
    assert ins["max_rmssd_ms"] == expected["max"]
    assert ins["baseline"] is None
    assert "snapshot, not a trend" in real_run[key]["output"]


@needs_real_files
def test_age_gives_zones_computed_from_minute_means(
    real_run_with_age: dict[str, dict[str, Any]],
) -> None:
    assert len(real_run_with_age) == 3
    for key, example in real_run_with_age.items():
        ins = example["metadata"]["clinical_insights"]
        assert ins["age_years"] == 40
        zones = ins["zones"]
        assert zones["hr_max_bpm"] == 180
        minutes: dict[int, list[float]] = {}
        for t, bpm, _o, _d in reference_samples(read_avro(path_of(key))):
            minutes.setdefault(t // MINUTE, []).append(bpm)
        means = [statistics.mean(v) for v in minutes.values()]
        bounds = [(0, 0.64), (0.64, 0.77), (0.77, 0.96), (0.96, math.inf)]
        expected = [sum(1 for m in means if lo * 180 <= m < hi * 180) for lo, hi in bounds]
        assert [b["minutes"] for b in zones["bands"]] == expected
        assert zones["monitored_minutes"] == len(means)
        assert "(220 - age) is 180 bpm" in example["output"]
        assert unsupported_figures(example["output"], ins) == []


def test_crafted_files_out_of_range_samples_and_hrv_records(tmp_path: Path) -> None:
    hr_schema = load_avsc("etl_heartrate", f"{HR}.avsc")
    hrv_schema = load_avsc("etl_heartrate", f"{HRV}.avsc")
    bpms = [70.0] * 400
    bpms[200:230] = [55.0] * 30
    series = minute_series(0, [int(b) for b in bpms])
    series[5] = (series[5][0], 0)
    series[6] = (series[6][0], 350)
    hr_path = tmp_path / f"{HR}_1758500000000.avro"
    hr_path.write_bytes(write_avro(hr_schema, [hr_record(series, record_id="crafted-hr")]))
    hrv_values = [30.0, 250.0, 35.0]
    hrv_path = tmp_path / f"{HRV}_1758500000000.avro"
    hrv_path.write_bytes(
        write_avro(
            hrv_schema,
            [hrv_record(MIDNIGHT_MS + i * 5 * MINUTE_MS, v) for i, v in enumerate(hrv_values)],
        )
    )
    out = tmp_path / "out"
    run_etl([hr_path, hrv_path], out)
    examples = by_key(training_examples(out, HEALTH_DOMAIN))
    hr = examples[hr_path.name]
    ins = hr["metadata"]["clinical_insights"]
    assert ins["samples"] == 398
    assert ins["data_quality"]["out_of_range_samples_dropped"] == 2
    assert ins["resting_bpm"] == 55.0
    assert "2 samples outside the 1-300 bpm range" in hr["output"]
    assert hr["metadata"]["validation_warnings"], "core reports the out-of-range array items"
    hrv = examples[hrv_path.name]
    hrv_ins = hrv["metadata"]["clinical_insights"]
    assert hrv_ins["measurements"] == 2
    assert hrv_ins["mean_rmssd_ms"] == 32.5
    for example in examples.values():
        insights = example["metadata"]["clinical_insights"]
        assert unsupported_figures(example["output"], insights) == []


def test_user_timezone_reads_records_without_offset(tmp_path: Path) -> None:
    hr_schema = load_avsc("etl_heartrate", f"{HR}.avsc")
    path = tmp_path / f"{HR}_1758600000000.avro"
    record = hr_record(minute_series(0, [70] * 10), offset=None, record_id="no-offset")
    path.write_bytes(write_avro(hr_schema, [record]))
    out = tmp_path / "out"
    run_etl([path], out, "--timezone", "America/Chicago")
    (example,) = training_examples(out, HEALTH_DOMAIN)
    ins = example["metadata"]["clinical_insights"]
    assert ins["timezone"] == "America/Chicago (user setting; records carry no offset)"
    # Chicago is on CDT (-05:00) in September, so the crafted local midnight is kept.
    assert ins["start"] == "2025-09-20T00:00:00-05:00"
    assert example["metadata"]["data_start"] == "2025-09-20T00:00:00-05:00"
    assert unsupported_figures(example["output"], ins) == []
