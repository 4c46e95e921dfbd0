"""Calendar windows (issue 17) on the synthetic person and the real exports: every window
insight against values computed here from the raw records, what the windows must not claim,
grounding, variety and determinism."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from heartrate_builders import MIDNIGHT_MS, MINUTE_MS, hr_record, hrv_record
from heartrate_window_reference import HeartRateReference, HrvReference, newest_per_id
from heartrate_window_support import HR, HRV, Processed, specs

from etl_core import ExampleKind, UserContext, WindowRule
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.contract.windows import ClockSource, build_window
from etl_core.contract.wording import mask_digits
from etl_core.testing import records_of
from etl_heartrate import plugin

MINUTE = 60_000


def results(
    windows: dict[tuple[str, str], list[Processed]], name: str, rule: str
) -> list[Processed]:
    return [p for p in windows[(name, rule)] if p.result is not None]


def hhmm(moment: str) -> str:
    return moment[11:16]


# -- rules ---------------------------------------------------------------------------------------


def test_windows_declared_per_record_type() -> None:
    by_name = specs()
    hr_rules = {r.name: r for r in plugin.etl_windows(spec=by_name[HR]) or []}
    hrv_rules = {r.name: r for r in plugin.etl_windows(spec=by_name[HRV]) or []}
    assert set(hr_rules) == {"day", "week"}
    assert (hr_rules["day"].days, hr_rules["day"].start_hour, hr_rules["day"].lookback_days) == (
        1,
        0,
        1,
    )
    assert (hr_rules["week"].days, hr_rules["week"].ends_on, hr_rules["week"].lookback_days) == (
        7,
        6,
        28,
    )
    assert set(hrv_rules) == {"night", "week"}
    assert (hrv_rules["night"].start_hour, hrv_rules["night"].lookback_days) == (12, 35)
    week = hrv_rules["week"]
    assert (week.days, week.ends_on, week.start_hour, week.lookback_days) == (7, 6, 12, 41)


def test_other_record_types_have_no_windows() -> None:
    spec = specs()[HR]
    foreign = type(spec)(name="StepsRecord", health_domain="x", reader_schema=None)
    assert plugin.etl_windows(spec=foreign) is None


# -- synthetic person: every insight against the raw records -------------------------------------


def test_heart_rate_day_windows_equal_values_from_raw_records(
    person_windows: dict[tuple[str, str], list[Processed]],
    person_records: dict[str, list[dict[str, Any]]],
) -> None:
    reference = HeartRateReference(newest_per_id(person_records[HR]))
    processed = person_windows[(HR, "day")]
    assert len(processed) == 43  # 42 days plus the morning a ring record runs into
    for item in processed:
        assert item.result is not None, item.window.key
        ins = item.result.insights
        want = reference.day(item.window.first_day)
        for key in ("samples", "monitored_minutes", "coverage_percent", "mean_bpm", "min_bpm"):
            assert ins[key] == want[key], (item.window.key, key)
        assert ins["max_bpm"] == want["max_bpm"]
        assert ins["resting_bpm"] == want["resting_bpm"], item.window.key
        if want["resting_bpm"] is not None:
            assert hhmm(ins["resting_window_start"]) == want["resting_from"]
            assert hhmm(ins["resting_window_end"]) == want["resting_to"]
        assert ins["previous_day"]["resting_bpm"] == want["previous_resting_bpm"]
        assert ins["change_from_previous_day_bpm"] == want["change"]
        for name, key in (
            ("tachycardia", "tachycardia_episodes"),
            ("bradycardia", "bradycardia_episodes"),
        ):
            got = [(e["start"], e["end"], e["samples"]) for e in ins[key]]
            zone = want["zone"]
            expected = [
                (
                    datetime.fromtimestamp(start / 1000, tz=zone).isoformat(timespec="seconds"),
                    datetime.fromtimestamp(end / 1000, tz=zone).isoformat(timespec="seconds"),
                    count,
                )
                for start, end, count in want[name]
            ]
            assert got == expected, (item.window.key, name)
        assert ins["samples_above_tachycardia_threshold"] == want["above_100"]
        assert ins["samples_below_bradycardia_threshold"] == want["below_50"]


def test_day_window_counts_only_samples_inside_it(
    person_windows: dict[tuple[str, str], list[Processed]],
) -> None:
    # The last window holds only the part of the ring's night record after midnight.
    last = person_windows[(HR, "day")][-1]
    assert last.window.first_day == date(2025, 7, 14)
    assert last.result is not None
    ins = last.result.insights
    assert ins["samples"] == 84  # 00:00 to 06:55 every five minutes
    assert ins["resting_bpm"] is None
    assert "too little coverage" in last.result.summary


def test_heart_rate_week_windows_equal_values_from_raw_records(
    person_windows: dict[tuple[str, str], list[Processed]],
    person_records: dict[str, list[dict[str, Any]]],
) -> None:
    reference = HeartRateReference(newest_per_id(person_records[HR]))
    processed = results(person_windows, HR, "week")
    assert [p.window.first_day for p in processed] == [
        date(2025, 6, 2) + timedelta(days=7 * i) for i in range(7)
    ]
    for item in processed:
        ins = item.result.insights  # type: ignore[union-attr]
        want = reference.week(item.window.first_day)
        assert [d["resting_bpm"] for d in ins["daily"]] == want["daily"], item.window.key
        assert ins["days_with_resting"] == want["days_with_resting"]
        assert ins["median_resting_bpm"] == want["median"]
        assert ins["baseline"]["days_with_resting"] == want["baseline_days"]
        assert ins["baseline"]["median_bpm"] == want["baseline"]
        assert ins["change_from_baseline_bpm"] == want["change"]
        assert ins["notable_rise"] == want["notable"]
        assert ins["days_at_or_above_notable_rise"] == want["days_above"]
        assert ins["previous_week"]["median_resting_bpm"] == want["previous_median"]
        assert ins["previous_week"]["days_with_resting"] == want["previous_days"]
        assert ins["change_from_previous_week_bpm"] == want["change_from_previous"]


def test_the_resting_rise_from_day_35_is_the_one_notable_week(
    person_windows: dict[tuple[str, str], list[Processed]],
) -> None:
    weeks = {p.window.first_day: p.result for p in results(person_windows, HR, "week")}
    notable = [day for day, r in weeks.items() if r is not None and r.insights["notable_rise"]]
    assert notable == [date(2025, 7, 7)]  # day 35 is Monday 2025-07-07
    rise = weeks[date(2025, 7, 7)]
    assert rise is not None
    assert 5 <= rise.insights["change_from_baseline_bpm"] <= 7
    assert rise.insights["days_at_or_above_notable_rise"] == 7
    assert all("notable" in e.output for e in rise.examples if e.kind is ExampleKind.SUMMARY)
    # The first weeks have no baseline: 0 and 7 of the 14 days needed.
    for first, held in ((date(2025, 6, 2), 0), (date(2025, 6, 9), 7)):
        early = weeks[first]
        assert early is not None
        assert early.insights["baseline"]["median_bpm"] is None
        assert early.insights["baseline"]["days_with_resting"] == held
        assert early.insights["change_from_baseline_bpm"] is None
        text = early.examples[0].output.lower()
        assert "personal baseline" in text and "yet" in text, text


def test_hrv_night_windows_equal_values_from_raw_records(
    person_windows: dict[tuple[str, str], list[Processed]],
    person_records: dict[str, list[dict[str, Any]]],
) -> None:
    reference = HrvReference(newest_per_id(person_records[HRV]))
    processed = results(person_windows, HRV, "night")
    assert len(processed) == 41
    for item in processed:
        night = item.result.insights["night"]  # type: ignore[union-attr]
        want = reference.night(item.window.first_day)
        assert want is not None
        for key, value in want.items():
            assert night[key] == value, (item.window.key, key)
        previous = reference.night(item.window.first_day - timedelta(days=1))
        got_previous = item.result.insights["previous_night"]  # type: ignore[union-attr]
        assert (got_previous is None) == (previous is None)
        if previous is not None:
            assert got_previous["status"] == previous["status"]
            assert got_previous["rolling_ln_mean"] == previous["rolling_ln_mean"]


def test_hrv_week_windows_equal_values_from_raw_records(
    person_windows: dict[tuple[str, str], list[Processed]],
    person_records: dict[str, list[dict[str, Any]]],
) -> None:
    reference = HrvReference(newest_per_id(person_records[HRV]))
    processed = results(person_windows, HRV, "week")
    assert len(processed) == 6
    for item in processed:
        ins = item.result.insights  # type: ignore[union-attr]
        want = reference.week(item.window.first_day)
        assert [n["night"] for n in ins["nights"]] == [
            n.isoformat() for n in want["this"]["nights"]
        ]
        for night in ins["nights"]:
            expected = reference.night(date.fromisoformat(night["night"]))
            assert expected is not None
            assert {k: night[k] for k in expected} == expected, night["night"]
        assert ins["ln_mean"] == want["this"]["ln_mean"]
        assert ins["nights_above_band"] == want["this"]["above"]
        assert ins["nights_below_band"] == want["this"]["below"]
        assert ins["previous_week"]["ln_mean"] == want["previous"]["ln_mean"]
        assert ins["previous_week"]["nights_below_band"] == want["previous"]["below"]
        assert ins["change_from_previous_week_ln"] == want["change"]


def test_hrv_band_never_holds_the_nights_it_judges(
    person_windows: dict[tuple[str, str], list[Processed]],
) -> None:
    judged = 0
    for item in results(person_windows, HRV, "night") + results(person_windows, HRV, "week"):
        ins = item.result.insights  # type: ignore[union-attr]
        nights = ins["nights"] if "nights" in ins else [ins["night"]]
        for night in nights:
            assert night["band_last_night"] < night["rolling_first_night"]
            assert night["band_nights"] <= 28
            if night["status"] is not None:
                judged += 1
                assert night["band_nights"] >= 14
    assert judged > 30


def test_the_hrv_drop_of_the_last_nights_is_below_the_band(
    person_windows: dict[tuple[str, str], list[Processed]],
) -> None:
    last_week = results(person_windows, HRV, "week")[-1]
    assert last_week.window.first_day == date(2025, 7, 7)
    ins = last_week.result.insights  # type: ignore[union-attr]
    # The drop starts on night 36 (Tuesday 07-08); its 7-night mean leaves the band a night later.
    assert ins["nights_below_band"] == ["2025-07-12", "2025-07-11", "2025-07-10", "2025-07-09"]
    summary = next(e.output for e in last_week.result.examples if e.kind is ExampleKind.SUMMARY)  # type: ignore[union-attr]
    listed = [m.group(0) for m in re.finditer(r"2025-07-\d\d", summary)]
    below = [d for d in listed if d in ins["nights_below_band"]]
    assert below == ins["nights_below_band"], "named most recent first, the latest night included"


def test_every_list_of_nights_names_the_latest_night_first(
    person_windows: dict[tuple[str, str], list[Processed]],
) -> None:
    for item in results(person_windows, HRV, "week"):
        ins = item.result.insights  # type: ignore[union-attr]
        for key in ("nights_below_band", "nights_above_band"):
            nights = ins[key]
            assert nights == sorted(nights, reverse=True)
            for example in item.result.examples:  # type: ignore[union-attr]
                for sentence in re.split(r"(?<=[.!?])\s+", example.output):
                    if "band" not in sentence:
                        continue
                    named = [n for n in re.findall(r"\d{4}-\d\d-\d\d", sentence) if n in nights]
                    if named:
                        assert named == nights, (item.window.key, example.kind, sentence)


# -- the real exports ----------------------------------------------------------------------------

CLAIMS = re.compile(
    r"within the (personal )?band|above the (personal )?band|below the (personal )?band|"
    r"notable rise|a sustained rise|higher than|lower than|trend (is|shows)",
    re.IGNORECASE,
)


def test_real_windows_claim_no_baseline_band_or_trend_and_say_what_is_missing(
    real_windows: dict[tuple[str, str], list[Processed]],
) -> None:
    days = results(real_windows, HR, "day")
    assert [p.window.first_day.isoformat() for p in days] == [
        "2025-09-19",
        "2025-09-20",
        "2025-09-21",
        "2025-09-22",
    ]
    for item in days:
        ins = item.result.insights  # type: ignore[union-attr]
        assert f"{ins['monitored_minutes']:,} of 1,440 minutes" in item.result.summary  # type: ignore[union-attr]
    weeks = results(real_windows, HR, "week")
    assert [p.window.key for p in weeks] == ["week:2025-09-15", "week:2025-09-22"]
    for item in weeks:
        result = item.result
        assert result is not None
        ins = result.insights
        assert ins["baseline"]["median_bpm"] is None
        assert ins["change_from_baseline_bpm"] is None and not ins["notable_rise"]
        assert f"{ins['baseline']['days_with_resting']} of the 14 days needed" in result.summary
        assert f"{ins['days_with_resting']} of 7" in result.summary
        text = result.examples[0].output.lower()
        assert "personal baseline" in text and "yet" in text, text
    nights = results(real_windows, HRV, "night")
    assert [p.window.key for p in nights] == ["night:2025-09-19"]
    night = nights[0].result
    assert night is not None
    assert night.insights["night"]["status"] is None
    assert "1 of the 3 nights needed" in night.summary
    assert "0 of the 14 nights needed" in night.summary
    hrv_weeks = results(real_windows, HRV, "week")
    assert [p.window.key for p in hrv_weeks] == ["week:2025-09-15"]
    week = hrv_weeks[0].result
    assert week is not None
    assert week.insights["ln_mean"] is None and week.insights["nights_judged"] == 0
    assert "nights recorded: 1 of 7" in week.summary
    for item in days + weeks + nights + hrv_weeks:
        for example in item.result.examples:  # type: ignore[union-attr]
            assert not CLAIMS.search(example.output), (item.window.key, example.output)
        summary_example = item.result.examples[0].output.lower()  # type: ignore[union-attr]
        if item.window.rule.name != "day":
            assert "yet" in summary_example or "needs" in summary_example, summary_example


def test_real_day_windows_equal_values_from_raw_records(
    real_windows: dict[tuple[str, str], list[Processed]],
    real_records: dict[str, list[dict[str, Any]]],
) -> None:
    reference = HeartRateReference(newest_per_id(real_records[HR]))
    for item in results(real_windows, HR, "day"):
        ins = item.result.insights  # type: ignore[union-attr]
        want = reference.day(item.window.first_day)
        for key in ("samples", "monitored_minutes", "mean_bpm", "resting_bpm"):
            assert ins[key] == want[key], (item.window.key, key)
    hrv = HrvReference(newest_per_id(real_records[HRV]))
    night = results(real_windows, HRV, "night")[0]
    want_night = hrv.night(date(2025, 9, 19))
    assert want_night is not None
    assert {k: night.result.insights["night"][k] for k in want_night} == want_night  # type: ignore[union-attr]


# -- grounding and variety -----------------------------------------------------------------------


def _all(windows: dict[tuple[str, str], list[Processed]]) -> list[Processed]:
    return [p for items in windows.values() for p in items if p.result is not None]


@pytest.mark.parametrize("source", ["person_windows", "real_windows"])
def test_every_example_is_grounded_in_its_input(
    source: str, request: pytest.FixtureRequest
) -> None:
    windows = request.getfixturevalue(source)
    checked = 0
    for item in _all(windows):
        result = item.result
        assert result is not None
        assert unsupported_figures(result.summary, result.insights) == [], item.window.key
        for example in result.examples:
            assert example.output.strip()
            missing = ungrounded_figures(example.output, result.summary, item.spec.reference_values)
            assert missing == [], (item.window.key, example.kind, missing, example.output)
            backed = unsupported_figures(
                example.output, {**result.insights, "reference": dict(item.spec.reference_values)}
            )
            assert backed == [], (item.window.key, example.kind, backed)
            assert "record offsets" not in example.output
            if example.kind is ExampleKind.QUESTION:
                assert example.question
            checked += 1
        assert result.methods, item.window.key
        assert result.narrative == result.examples[0].output
    assert checked > 0


def _sentences(text: str) -> set[str]:
    return {s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", mask_digits(text)) if s.strip()}


def test_variety_on_the_synthetic_person(
    person_windows: dict[tuple[str, str], list[Processed]], capsys: pytest.CaptureFixture[str]
) -> None:
    for name in (HR, HRV):
        outputs: dict[ExampleKind, list[tuple[str, str]]] = defaultdict(list)
        for item in _all(person_windows):
            if item.window.record_type != name:
                continue
            for example in item.result.examples:  # type: ignore[union-attr]
                outputs[example.kind].append((item.window.key, example.output))
        assert set(outputs) == set(ExampleKind), name
        every = [text for items in outputs.values() for _, text in items]
        for kind, items in outputs.items():
            masked = Counter(mask_digits(text) for _, text in items)
            repeated = {text: n for text, n in masked.items() if n > 1}
            assert not repeated, (name, kind, list(repeated)[:1])
        shared = Counter(s for text in every for s in _sentences(text))
        total = sum(len(_sentences(text)) for text in every)
        common = {s: n for s, n in shared.items() if n > len(every) / 2}
        share = sum(n for n in common.values()) / total
        top = shared.most_common(1)[0]
        with capsys.disabled():
            print(
                f"\n{name}: {len(every)} examples, {total} sentences; share of sentences shared "
                f"by more than half of the examples: {share:.1%}; most repeated sentence in "
                f"{top[1]} examples ({top[1] / len(every):.1%})"
            )
        assert share == 0.0, common
    # Instructions: at least 8 phrasings per kind core picks one for.
    for spec in specs().values():
        for kind in (ExampleKind.SUMMARY, ExampleKind.NOTE, ExampleKind.COMPARISON):
            assert len(set(spec.instructions_by_kind[kind.value])) >= 8


def test_question_phrasings_vary(person_windows: dict[tuple[str, str], list[Processed]]) -> None:
    for name in (HR, HRV):
        questions = Counter(
            mask_digits(e.question or "")
            for item in _all(person_windows)
            if item.window.record_type == name
            for e in item.result.examples  # type: ignore[union-attr]
            if e.kind is ExampleKind.QUESTION
        )
        assert len(questions) >= 16, name


# -- determinism ---------------------------------------------------------------------------------


def test_same_window_from_shuffled_files_gives_the_same_result(
    person_exports: list[Any], person_windows: dict[tuple[str, str], list[Processed]]
) -> None:
    shuffled = list(person_exports)
    random.Random(17).shuffle(shuffled)
    by_name = specs()
    for (name, rule_name), processed in person_windows.items():
        records = records_of(name, shuffled)
        random.Random(3).shuffle(records)
        spec = by_name[name]
        for item in processed[:: max(1, len(processed) // 6)][:6] + processed[-1:]:
            rebuilt = build_window(
                name,
                item.window.rule,
                item.window.first_day,
                records,
                time_fields=spec.time_fields,
                user=item.window.user,
            )
            again = plugin.etl_process_window(window=rebuilt, spec=spec)
            assert again == item.result, (name, rule_name, item.window.key)


# -- crafted windows -----------------------------------------------------------------------------


def _day_window(records: list[dict[str, Any]], day: date, user: UserContext) -> Any:
    spec = specs()[HR]
    rule = next(r for r in plugin.etl_windows(spec=spec) or [] if r.name == "day")
    return build_window(HR, rule, day, records, time_fields=spec.time_fields, user=user)


def test_a_series_crossing_midnight_counts_in_each_day_only_its_own_samples() -> None:
    # 22:00 on 2025-09-19 to 02:00 on 2025-09-20, one sample a minute (-05:00).
    start = MIDNIGHT_MS - 2 * 60 * MINUTE_MS
    record = hr_record([(start + i * MINUTE_MS, 55 + i % 7) for i in range(240)])
    user = UserContext()
    before = plugin.etl_process_window(
        window=_day_window([record], date(2025, 9, 19), user), spec=specs()[HR]
    )
    after = plugin.etl_process_window(
        window=_day_window([record], date(2025, 9, 20), user), spec=specs()[HR]
    )
    assert before is not None and after is not None
    assert before.insights["samples"] == 120 and after.insights["samples"] == 120
    assert before.insights["last_sample"].startswith("2025-09-19T23:59")
    assert after.insights["first_sample"].startswith("2025-09-20T00:00")


def test_times_read_in_the_persons_zone_are_said_to_be() -> None:
    zone = timezone(timedelta(hours=-5))
    records = [
        hr_record([(MIDNIGHT_MS + i * MINUTE_MS, 60 + i % 9) for i in range(600)], offset="Z")
    ]
    window = _day_window(records, date(2025, 9, 20), UserContext(timezone=zone))
    assert window.clock is ClockSource.CONFIGURED
    result = plugin.etl_process_window(window=window, spec=specs()[HR])
    assert result is not None
    assert "clock: local time (-05:00)" in result.summary
    for example in result.examples:
        if example.kind in (ExampleKind.SUMMARY, ExampleKind.NOTE):
            assert "local time (-05:00)" in example.output
        assert (
            ungrounded_figures(example.output, result.summary, specs()[HR].reference_values) == []
        )


def test_hrv_band_from_earlier_nights_flags_a_drop() -> None:
    spec = specs()[HRV]
    rule = next(r for r in plugin.etl_windows(spec=spec) or [] if r.name == "night")
    day_ms = 86_400_000
    records = []
    for n in range(45):  # night n begins at 23:00 on 2025-08-06 + n days
        night_start = MIDNIGHT_MS + (n - 45) * day_ms + 23 * 3_600_000
        value = 30.0 if n >= 40 else 45.0 + n % 5
        records += [hrv_record(night_start + k * 5 * MINUTE_MS, value) for k in range(12)]
    last = date(2025, 8, 6) + timedelta(days=44)
    window = build_window(HRV, rule, last, records, time_fields=spec.time_fields)
    result = plugin.etl_process_window(window=window, spec=spec)
    assert result is not None
    night = result.insights["night"]
    assert night["night"] == last.isoformat()
    assert (night["rolling_nights"], night["band_nights"]) == (7, 28)
    assert night["band_first_night"] == (last - timedelta(days=34)).isoformat()
    assert night["band_last_night"] == (last - timedelta(days=7)).isoformat()
    # The band holds only nights before the 7-night mean: 45-49 ms, none of the 30 ms nights.
    assert night["band_ln_low"] > 3.8 > 3.6 > night["rolling_ln_mean"]
    assert night["status"] == "below"
    assert "below" in result.examples[0].output


def test_no_window_when_nothing_falls_inside_it() -> None:
    spec = specs()[HR]
    record = hr_record([(MIDNIGHT_MS + 60 * MINUTE_MS, 60)])
    rule = WindowRule.day("day", lookback_days=1)
    window = build_window(HR, rule, date(2025, 9, 21), [record], time_fields=spec.time_fields)
    assert plugin.etl_process_window(window=window, spec=spec) is None


def test_left_out_samples_count_in_their_own_day_only() -> None:
    # 23:00 on 2025-09-19 to 00:59 on 2025-09-20: one out-of-range sample on each side of
    # midnight, and a second record repeating three samples of the first day.
    start = MIDNIGHT_MS - 60 * MINUTE_MS
    samples = [(start + i * MINUTE_MS, 60.0) for i in range(120)]
    samples[10] = (samples[10][0], 0.0)
    samples[100] = (samples[100][0], 320.0)
    records = [hr_record(samples), hr_record(samples[20:23])]
    user = UserContext()
    found = {}
    for day in (date(2025, 9, 19), date(2025, 9, 20)):
        result = plugin.etl_process_window(window=_day_window(records, day, user), spec=specs()[HR])
        assert result is not None
        found[day] = result
    before, after = found[date(2025, 9, 19)], found[date(2025, 9, 20)]
    assert before.insights["data_quality"] == {
        "duplicate_samples_dropped": 3,
        "out_of_range_samples_dropped": 1,
        "malformed_samples_dropped": 0,
    }
    assert after.insights["data_quality"]["out_of_range_samples_dropped"] == 1
    assert after.insights["data_quality"]["duplicate_samples_dropped"] == 0
    assert "left out: 1 sample outside the 1-300 bpm range" in before.summary
    summary = next(e.output for e in before.examples if e.kind is ExampleKind.SUMMARY)
    assert "1 sample outside the 1-300 bpm range" in summary
    # A day with nothing left out says nothing about it.
    clean = hr_record([(MIDNIGHT_MS + 86_400_000 + i * MINUTE_MS, 60.0) for i in range(30)])
    result = plugin.etl_process_window(
        window=_day_window([clean], date(2025, 9, 21), user), spec=specs()[HR]
    )
    assert result is not None and "left out" not in result.summary


def test_hrv_windows_count_only_their_own_nights_left_out_measurements() -> None:
    spec = specs()[HRV]
    rules = {r.name: r for r in plugin.etl_windows(spec=spec) or []}
    day_ms = 86_400_000
    records = []
    for n in range(3):  # nights of 2025-09-17, -18 and -19, from 23:00
        night_start = MIDNIGHT_MS + (n - 3) * day_ms + 23 * 3_600_000
        records += [hrv_record(night_start + k * 5 * MINUTE_MS, 40.0 + k) for k in range(6)]
    # The night of 2025-09-18 holds two exact duplicates from another record each.
    records += [hrv_record(records[6]["timeEpochMillis"], 40.0) for _ in range(2)]
    by_night = {}
    for night in (date(2025, 9, 18), date(2025, 9, 19)):
        window = build_window(HRV, rules["night"], night, records, time_fields=spec.time_fields)
        result = plugin.etl_process_window(window=window, spec=spec)
        assert result is not None
        by_night[night] = result.insights["data_quality"]
    assert by_night[date(2025, 9, 18)]["duplicate_measurements_dropped"] == 2
    assert by_night[date(2025, 9, 19)]["duplicate_measurements_dropped"] == 0
    week = build_window(
        HRV, rules["week"], date(2025, 9, 15), records, time_fields=spec.time_fields
    )
    result = plugin.etl_process_window(window=week, spec=spec)
    assert result is not None
    assert result.insights["data_quality"]["duplicate_measurements_dropped"] == 2
