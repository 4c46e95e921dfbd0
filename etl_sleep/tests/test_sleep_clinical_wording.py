"""Clinical wording of the night examples on crafted nights: a nap's answer never borrows the
night's stage shares, a night above the NSF range is not praised, a night with much unstaged
time carries its caveat in every example that states or judges its sleep, a latency at the
30 min limit is said to be at the limit, and time before sleep onset that carries no stage is
not counted as onset latency. Expected figures are computed here from the stage lists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sleep_builders import contiguous, session

from etl_core import ProcessResult, RecordTypeSpec, UserContext
from etl_core.contract.figures import ungrounded_figures, unsupported_figures
from etl_core.testing import windows_from_exports, write_health_connect
from etl_sleep import night_text, plugin
from etl_sleep.metrics import session_metrics
from etl_sleep.phrasing import Writer
from etl_sleep.windows_process import NIGHT_RULE

# Minutes from sleep_builders.BASE_MS, Friday 2025-09-19 16:00 (-05:00).
FRI_2300, SAT_0700 = 420, 900
SAT_1400, SAT_1440 = 1320, 1360
SAT_2000, SUN_1000 = 1680, 2520
SUN_2300, MON_0700 = 3300, 3780
KEYS = [f"probe-{i}" for i in range(80)]
"""Writer keys: every phrasing choice is seeded by the key, so many keys reach every wording."""


def cycles(start: float, end: float, lead_awake: float, tail_awake: float) -> list[Any]:
    """AWAKE, then LIGHT 45 / DEEP 20 / REM 25 cycles, then AWAKE, touching."""
    stages: list[Any] = []
    if lead_awake:
        stages.append(("AWAKE", start, start + lead_awake))
    cursor, stop, k = start + lead_awake, end - tail_awake, 0
    pattern = (("LIGHT", 45), ("DEEP", 20), ("REM", 25))
    while cursor < stop:
        name, length = pattern[k % 3]
        stages.append((name, cursor, min(cursor + length, stop)))
        cursor, k = min(cursor + length, stop), k + 1
    if tail_awake:
        stages.append(("AWAKE", stop, end))
    return stages


NIGHT_A = cycles(FRI_2300, SAT_0700, 15, 10)
NAP = [("LIGHT", SAT_1400, SAT_1440)]
LONG_NIGHT = cycles(SAT_2000, SUN_1000, 15, 10)
# Stages cover 23:30 to 03:00 only: 210 min of sleep, no AWAKE before it, 270 min unstaged.
PATCHY = cycles(SUN_2300 + 30, SUN_2300 + 240, 0, 0)


def asleep(stages: list[Any]) -> int:
    return round(sum(b - a for name, a, b in stages if name in {"LIGHT", "DEEP", "REM"}))


def records() -> list[dict[str, Any]]:
    return [
        session(FRI_2300, SAT_0700, NIGHT_A),
        session(SAT_1400, SAT_1440, NAP),
        session(SAT_2000, SUN_1000, LONG_NIGHT),
        session(SUN_2300, MON_0700, PATCHY),
    ]


@pytest.fixture(scope="module")
def nights(spec: RecordTypeSpec) -> dict[str, ProcessResult]:
    export = write_health_connect("SleepSessionRecord", records())
    found = {}
    for window in windows_from_exports(spec, NIGHT_RULE, [export], user=UserContext(age_years=40)):
        result = plugin.etl_process_window(window, spec)
        assert result is not None
        for example in result.examples:  # the grounding core checks
            assert ungrounded_figures(example.output, result.summary, spec.reference_values) == []
            assert unsupported_figures(example.output, result.insights) == []
        found[window.key] = result
    return found


def every_wording(insights: dict[str, Any]) -> Iterator[str]:
    """The night's examples as many different windows would phrase them."""
    for key in KEYS:
        for example in night_text.night_examples(key, insights):
            yield example.output
        for kind in ("duration", "latency", "continuity", "nap"):
            if kind != "nap" or insights["naps"]:
                yield night_text._answer(Writer(key), kind, insights)


# -- 1. a nap answer states only the nap's figures -------------------------------------------------


def test_a_nap_answer_never_states_the_nights_stage_shares(
    nights: dict[str, ProcessResult],
) -> None:
    insights = nights["night:2025-09-20"].insights
    (nap,) = insights["naps"]
    assert (nap["start"], nap["end"], nap["total_sleep_min"]) == ("14:00", "14:40", 40)
    assert not any("percent" in key for key in nap)  # naps carry no stage figures
    night = insights["night"]
    architecture = sum(b - a for n, a, b in LONG_NIGHT if n in {"LIGHT", "DEEP", "REM"})
    light = round(100 * sum(b - a for n, a, b in LONG_NIGHT if n == "LIGHT") / architecture)
    assert night["light_percent"] == light != 100  # the night's split is not the nap's
    for key in KEYS:
        answer = night_text._answer(Writer(key), "nap", insights)
        assert "%" not in answer and not re.search(r"\b(light|deep|REM)\b", answer), answer
    question = next(e for e in nights["night:2025-09-20"].examples if "nap" in (e.question or ""))
    assert "%" not in question.output


# -- 2. above the NSF range; night-to-night swings ---------------------------------------------


def test_a_night_above_the_nsf_range_is_not_praised(nights: dict[str, ProcessResult]) -> None:
    insights = nights["night:2025-09-20"].insights
    row = insights["night"]
    assert row["total_sleep_min"] == asleep(LONG_NIGHT) == 815
    assert row["meets"]["duration"] is True  # at least 7 h ...
    assert row["duration_band"] == "above"  # ... and above the 7-9 h range for age 40
    assert insights["recommended_max_h"] == 9
    praise = re.compile(
        r"Nice work|Keep doing|worth repeating|suit you|clearing the 7|meets the 7|"
        r"satisf|reached the 7|enough to|7-hours-plus|comfortably",
        re.IGNORECASE,
    )
    for key in KEYS:
        summary = night_text.clinician_summary(Writer(key), insights)
        assert "recommended range" in summary and "NSF range for this age: 7-9 h" in summary
        note = night_text.personal_note(Writer(key), insights)
        assert re.search(r"more than the 7-9 hours|above the recommended 7-9 hours", note), note
    for text in every_wording(insights):
        assert not praise.search(text), text


def test_a_large_night_to_night_change_is_not_called_ordinary(
    nights: dict[str, ProcessResult],
) -> None:
    insights = nights["night:2025-09-20"].insights
    change = insights["change_from_previous_night"]["total_sleep_min"]
    assert change == {"difference": asleep(LONG_NIGHT) - asleep(NIGHT_A), "direction": "more"}
    assert insights["previous_night"]["duration_band"] == "within"
    for key in KEYS:
        text = night_text.comparison(Writer(key), insights)
        assert text is not None and "ordinary" not in text
        assert re.search(r"within the recommended range.*above the recommended range", text)


# -- 3. unstaged time: a caveat in every example, no verdict it could flip ----------------


def test_half_unstaged_night_carries_its_caveat_in_every_example(
    nights: dict[str, ProcessResult],
) -> None:
    insights = nights["night:2025-09-21"].insights
    row = insights["night"]
    tst, unstaged = asleep(PATCHY), (MON_0700 - SUN_2300) - asleep(PATCHY)
    assert (row["total_sleep_min"], row["unstaged_min"]) == (tst, unstaged) == (210, 270)
    # 210 + 270 >= 420 min and (210 + 270) / 480 >= 85%: neither verdict can be given
    assert row["meets"]["duration"] is None and row["meets"]["efficiency"] is None
    assert row["unjudged_for_stage_gaps"] == ["duration", "efficiency"]
    assert row["duration_band"] is None
    caveat = re.compile(
        r"no stage|no sleep data|unclassified|unstaged|(n't|without a) (stage|classified)"
    )
    states_sleep = re.compile(rf"\b{tst} min|\b{row['total_sleep_h']} h|efficiency|% of your time")
    verdicts = re.compile(
        r"missed the 7|short of|under the 7|below the 7|earlier|under the 85|misses the 85"
    )
    texts = list(every_wording(insights))
    for text in texts:
        if states_sleep.search(text):
            assert caveat.search(text), text
        assert not verdicts.search(text), text
    comparisons = [night_text.comparison(Writer(k), insights) for k in KEYS]
    for text in comparisons:
        assert text is not None and re.search(
            rf"{unstaged} min of Sunday night carry no stage|"
            rf"On Sunday night {unstaged} min in bed are unstaged",
            text,
        )


def test_unstaged_time_before_sleep_onset_is_not_onset_latency(
    nights: dict[str, ProcessResult],
) -> None:
    result = nights["night:2025-09-21"]
    row = result.insights["night"]
    assert row["latency_min"] is None and row["meets"]["latency"] is None
    assert row["latency_missing"] == "unstaged before onset"
    assert row["pre_onset_unstaged_min"] == PATCHY[0][1] - SUN_2300 == 30
    assert "onset latency: unknown (30 min before sleep onset carry no stage)" in result.summary
    for text in every_wording(result.insights):
        assert not re.search(r"took (you )?30 min|asleep 30 min|30 min(utes)? to fall", text)
        assert "within 30" not in text and "well within" not in text


def test_latency_needs_the_time_before_onset_recorded_as_wake() -> None:
    start, onset = 0, 30
    sleep = contiguous(onset, ("LIGHT", 200))
    awake = session_metrics(session(start, 300, [("AWAKE", start, onset), *sleep]))
    gap = session_metrics(session(start, 300, sleep))
    unknown = session_metrics(session(start, 300, [("UNKNOWN", start, onset), *sleep]))
    part = session_metrics(session(start, 300, [("AWAKE", 10, onset), *sleep]))
    assert awake.latency_ms == 30 * 60_000 and awake.pre_onset_unknown_ms == 0
    for metrics, unknown_min in ((gap, 30), (unknown, 30), (part, 10)):
        assert metrics.latency_ms is None
        assert metrics.pre_onset_unknown_ms == unknown_min * 60_000


# -- boundaries -------------------------------------------------------------------------------


def night_insights(spec: RecordTypeSpec, stages: list[Any], end: float) -> dict[str, Any]:
    export = write_health_connect("SleepSessionRecord", [session(FRI_2300, end, stages)])
    (window, *_) = windows_from_exports(spec, NIGHT_RULE, [export], user=UserContext(age_years=40))
    result = plugin.etl_process_window(window, spec)
    assert result is not None
    for example in result.examples:
        assert ungrounded_figures(example.output, result.summary, spec.reference_values) == []
    return result.insights


def test_a_latency_of_exactly_30_min_is_at_the_limit(spec: RecordTypeSpec) -> None:
    stages = [("AWAKE", FRI_2300, FRI_2300 + 30), *cycles(FRI_2300 + 30, SAT_0700, 0, 0)]
    insights = night_insights(spec, stages, SAT_0700)
    row = insights["night"]
    assert row["latency_min"] == 30 and row["meets"]["latency"] is True
    for key in KEYS:
        sentence = night_text._latency(Writer(key), row)
        assert re.search(r"at the 30 min limit|right at the 30 min", sentence), sentence
    for text in every_wording(insights):
        assert not re.search(r"well within|inside the usual 30|within the 30 minutes", text)


def test_sleep_just_under_7_h_is_not_written_as_7_0_hours(spec: RecordTypeSpec) -> None:
    # 61 min awake, then 419 min of sleep: 419 min rounds to 7.0 h but misses 420 min
    stages = [("AWAKE", FRI_2300, FRI_2300 + 61), ("LIGHT", FRI_2300 + 61, SAT_0700)]
    insights = night_insights(spec, stages, SAT_0700)
    row = insights["night"]
    assert (row["total_sleep_min"], row["total_sleep_h"]) == (419, 7.0)
    assert row["meets"]["duration"] is False
    for key in KEYS:
        for text in (
            night_text._duration(Writer(key), row, insights),
            night_text._note_duration(Writer(key), row, insights),
        ):
            assert "7.0" not in text and "419 min" in text, text
