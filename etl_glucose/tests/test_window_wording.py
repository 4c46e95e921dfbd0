"""Clinical wording of the window examples, over every phrasing a window can pick: readings
exactly at a threshold, dips a rounded 0.0% hides, sentence capitals, report windows short of
data (named by what their readings cover, never as "these two weeks") and the methods text on
excluded readings.

Wording is chosen per window key, so each window's insights are written out under many keys
(``examples(insights, key)``) to reach every phrasing, and each claim is checked against the
readings themselves."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from glucose_builders import glucose_record, process_records

from etl_core import ProcessResult, WindowRule
from etl_core.contract.figures import ungrounded_figures
from etl_core.testing import run_etl, write_avro
from etl_glucose.plugin import glucose_spec
from etl_glucose.window_process import DAY_RULE, REPORT_RULE, examples

ZONE = timezone(timedelta(hours=-4))
SPEC = glucose_spec()
MONDAY = date(2025, 9, 8)
WEDNESDAY = MONDAY + timedelta(days=2)
FIVE_MIN_MS = 300_000
KEYS = 150
"""Window keys each window is written under: enough to reach every phrasing."""

Slots = Sequence[float | None]


def day_with_blocks(blocks: dict[int, float], base: float = 110.0) -> Slots:
    """288 five-minute readings of one day at ``base``, the first half hour of each hour in
    ``blocks`` at that level (six readings, 30 minutes)."""
    return [
        blocks.get(i // 12, base) if (i % 12) < 6 else base  # i // 12: hour, i % 12: slot
        for i in range(288)
    ]


def records_from(first: date, slots: Slots) -> list[dict[str, Any]]:
    midnight = datetime.combine(first, datetime.min.time(), ZONE)
    start_ms = int(midnight.timestamp() * 1000)
    return [
        glucose_record(start_ms + i * FIVE_MIN_MS, value, record_id=f"w{i}")
        for i, value in enumerate(slots)
        if value is not None
    ]


def process(rule: WindowRule, first: date, records: list[dict[str, Any]]) -> ProcessResult:
    _, result = process_records(rule, first, records, ZONE)
    assert result is not None
    return result


def texts(result: ProcessResult) -> Iterator[str]:
    """Every output the window's insights give under ``KEYS`` window keys, each checked to be
    grounded in the window's summary."""
    for k in range(KEYS):
        for example in examples(result.insights, f"wording:{k}"):
            missing = ungrounded_figures(example.output, result.summary, SPEC.reference_values)
            assert missing == [], (missing, example.output)
            yield example.output


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def all_sentences(result: ProcessResult) -> set[str]:
    return {s for text in texts(result) for s in sentences(text)}


# Claims that every reading lies on one side of a threshold (sentences about sustained runs,
# which name their minutes, are checked separately). Each: a pattern for the threshold and
# whether it holds for the lowest and highest readings.
UNIVERSAL_CLAIMS: tuple[tuple[str, Any], ...] = (
    (r"never (?:went|dipped|fell|dropped) (?:under|below) (\d+)", lambda lo, hi, x: lo >= x),
    (r"[Nn]o reading fell below (\d+)", lambda lo, hi, x: lo >= x),
    (r"[Nn]ot a single reading under (\d+)", lambda lo, hi, x: lo >= x),
    (r"[Nn]o low readings.*minimum", lambda lo, hi, x: lo >= 70),
    (r"did not fall below the (\d+)", lambda lo, hi, x: lo >= x),
    (r"not below the (\d+)", lambda lo, hi, x: lo >= x),
    (r"stayed at or above (?:the )?(\d+)", lambda lo, hi, x: lo >= x),
    (r"(?<!or )(?:stayed|sat|was) above (?:the )?(\d+)", lambda lo, hi, x: lo > x),
    (r"out of the below-(\d+) zone", lambda lo, hi, x: lo >= x),
    (r"[Nn]o reading (?:exceeded|went above) (\d+)", lambda lo, hi, x: hi <= x),
    (r"never went over (\d+)", lambda lo, hi, x: hi <= x),
    (r"[Nn]othing (?:reached the very high range )?above (\d+)", lambda lo, hi, x: hi <= x),
    (r"[Nn]one (?:climbed past|went above) (\d+)", lambda lo, hi, x: hi <= x),
    (r"stayed at or below (\d+)", lambda lo, hi, x: hi <= x),
    (r"(?<!never )stayed (?:under|below) (\d+)", lambda lo, hi, x: hi < x),
    (r"within the (\d+) mg/dL limit", lambda lo, hi, x: hi <= x),
    (r"[Nn]o high readings.*maximum", lambda lo, hi, x: hi <= 180),
)


def check_threshold_claims(
    result: ProcessResult, lowest: float, highest: float, some: bool = True
) -> None:
    """Every claim about a threshold holds for the readings (``lowest``/``highest`` computed
    from the trace, not from the insights); with ``some``, at least one claim is made."""
    checked = 0
    for sentence in all_sentences(result):
        # "reached 54 mg/dL for 15 minutes" denies nothing true: levels 1 and 2 are strict
        assert not re.search(r"\breach(?:ed)? \d+ mg/dL for", sentence), sentence
        if "minutes" in sentence:
            continue
        for pattern, holds in UNIVERSAL_CLAIMS:
            for match in re.finditer(pattern, sentence):
                x = float(match.group(1)) if match.groups() else 0.0
                assert holds(lowest, highest, x), sentence
                checked += 1
    assert checked or not some, "no threshold claim was checked"


def values(slots: Slots) -> list[float]:
    return [v for v in slots if v is not None]


# -- readings exactly at a threshold -----------------------------------------------------------

THRESHOLD_DAY = {2: 54.0, 5: 70.0, 10: 180.0, 13: 250.0, 16: 180.4, 19: 250.4}
"""The probe's day: half an hour exactly at each threshold, and just above 180 and 250."""


@pytest.mark.parametrize("rule", [DAY_RULE, REPORT_RULE], ids=["day", "report"])
def test_a_level_exactly_at_a_threshold_is_worded_by_the_strict_definitions(
    rule: WindowRule,
) -> None:
    slots = day_with_blocks(THRESHOLD_DAY)
    result = process(
        rule, WEDNESDAY if rule is DAY_RULE else MONDAY, records_from(WEDNESDAY, slots)
    )
    events = result.insights["events"]
    # level 1 is 54-69 and level 2 below 54: half an hour at exactly 54 is one level-1 event
    assert events["below_70"]["count"] == 1 and events["below_54"]["count"] == 0
    assert events["below_70"]["events"][0]["nadir_mg_dl"] == 54.0
    # above 180: 250, 180.4 and 250.4 (not 180 itself); above 250: only 250.4
    assert events["above_180"]["count"] == 3 and events["above_250"]["count"] == 1
    check_threshold_claims(result, min(values(slots)), max(values(slots)))
    every = all_sentences(result)
    assert "None reached 54 mg/dL for 15 minutes." not in every
    assert "None went below 54 mg/dL for 15 minutes." in every
    assert not any("Nothing reached the more serious" in s for s in every)


@pytest.mark.parametrize(
    "blocks",
    [{2: 70.0, 13: 180.0}, {2: 70.0, 13: 250.0}, {3: 54.0}],
    ids=["70-and-180", "70-and-250", "54"],
)
def test_no_text_denies_a_reading_at_or_beyond_a_threshold(blocks: dict[int, float]) -> None:
    slots = day_with_blocks(blocks)
    for rule, first in ((DAY_RULE, MONDAY), (REPORT_RULE, MONDAY)):
        result = process(rule, first, records_from(MONDAY, slots))
        check_threshold_claims(result, min(values(slots)), max(values(slots)))


def test_a_brief_dip_hidden_by_a_rounded_0_percent_is_not_denied() -> None:
    """One reading of 65 and one of 185 among 4,032: each is 0.0% of readings once rounded,
    yet neither "no reading below 70" nor "no reading above 180" is true."""
    slots: list[float | None] = [110.0] * (14 * 288)
    slots[30], slots[500] = 65.0, 185.0
    result = process(REPORT_RULE, MONDAY, records_from(MONDAY, slots))
    ins = result.insights
    assert round(100 / 4032, 1) == 0.0
    assert (ins["tbr70_percent"], ins["tar180_percent"]) == (0.0, 0.0)
    assert ins["data_sufficient"] is True
    check_threshold_claims(result, 65.0, 185.0, some=False)
    every = all_sentences(result)
    assert any(re.search(r"(?:below|under) 70 mg/dL.*\b65\b", s) for s in every)
    assert any(re.search(r"(?:above|over) 180 mg/dL.*\b185\b", s) for s in every)
    brief = re.compile(r"brief|short-lived|never lasted|didn't last|came and went|dips|spikes")
    for sentence in every:
        if brief.search(sentence):
            assert "0.0%" not in sentence, sentence  # "0.0% of readings fell below" reads as none


# -- sentence capitals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "blocks",
    [THRESHOLD_DAY, {1: 60.0, 2: 60.0, 3: 50.0, 14: 260.0, 15: 300.0, 20: 200.0, 22: 200.0}],
    ids=["thresholds", "many-events"],
)
def test_every_sentence_starts_with_a_capital_or_a_figure(blocks: dict[int, float]) -> None:
    slots = day_with_blocks(blocks)
    for rule in (DAY_RULE, REPORT_RULE):
        result = process(rule, MONDAY, records_from(MONDAY, slots))
        for sentence in all_sentences(result):
            assert sentence[0].isupper() or sentence[0].isdigit(), sentence


# -- report windows short of data ---------------------------------------------------------------

WHOLE_WINDOW = re.compile(
    r"these two weeks|this 14-day window|(?:this|the whole|the prior) fortnight|these 14 days|"
    r"the whole (?:window|period)|only 14 of (?:the )?14 days"
)


def _one_day_of_readings() -> Slots:
    """115 readings from 08:00 to 17:30 on one day (the probe's partial day)."""
    slots: list[float | None] = [None] * 288
    for i in range(115):
        slots[96 + i] = 120.0 + 20 * math.sin(i / 10)
    return slots


def test_a_report_window_with_one_day_of_readings_is_named_by_that_day() -> None:
    result = process(REPORT_RULE, MONDAY, records_from(WEDNESDAY, _one_day_of_readings()))
    ins = result.insights
    assert (ins["days_worn"], ins["data_sufficient"]) == (1, False)
    every = all_sentences(result)
    for sentence in every:
        assert not WHOLE_WINDOW.search(sentence), sentence
    assert "Over these two weeks, your mean glucose was 121.0 mg/dL." not in every
    named = [s for s in every if "Wednesday 2025-09-10 (the only day with readings)" in s]
    assert any(s.endswith("your mean glucose was 121.0 mg/dL.") for s in named), named


def test_a_report_window_with_some_days_of_readings_is_named_by_its_days() -> None:
    slots: Slots = [110.0 + (i % 50) for i in range(3 * 288)]
    result = process(REPORT_RULE, MONDAY, records_from(MONDAY, slots))
    assert (result.insights["days_worn"], result.insights["data_sufficient"]) == (3, False)
    every = all_sentences(result)
    for sentence in every:
        assert not WHOLE_WINDOW.search(sentence), sentence
    assert any("the 3 days with readings" in s for s in every)


def test_a_report_window_worn_every_day_but_thinly_is_named_by_its_readings() -> None:
    """Readings on all 14 days, but half of each day missing: 50% wear, not sufficient."""
    slots: Slots = [110.0 + (i % 50) if (i // 144) % 2 == 0 else None for i in range(14 * 288)]
    result = process(REPORT_RULE, MONDAY, records_from(MONDAY, slots))
    ins = result.insights
    assert (ins["days_worn"], ins["wear_percent"], ins["data_sufficient"]) == (14, 50.0, False)
    every = all_sentences(result)
    for sentence in every:
        assert not WHOLE_WINDOW.search(sentence), sentence
        assert "14 of 14 days" not in sentence or "isn't" not in sentence, sentence
    assert any("in the readings captured (50.0% of those possible)" in s for s in every)


def test_a_sufficient_report_window_may_still_say_these_two_weeks() -> None:
    slots: Slots = [110.0 + (i % 50) for i in range(14 * 288)]
    result = process(REPORT_RULE, MONDAY, records_from(MONDAY, slots))
    assert result.insights["data_sufficient"] is True
    assert any("over these two weeks" in s for s in all_sentences(result))


def test_a_part_day_is_named_by_the_hours_its_readings_cover() -> None:
    result = process(DAY_RULE, WEDNESDAY, records_from(WEDNESDAY, _one_day_of_readings()))
    every = all_sentences(result)
    for sentence in every:
        assert "whole day" not in sentence and "the day as a whole" not in sentence, sentence
    assert any("on Wednesday between 08:00 and 17:30" in s for s in every)


# -- what excluded_readings counts --------------------------------------------------------------


def test_methods_count_only_the_levels_the_plugin_receives(tmp_path: Path) -> None:
    """A day of mmol/L-like values (3.5-12.0) in the mg/dL field: core's validation drops them
    before the plugin sees them, so ``excluded_readings`` is 0 and the methods text must not
    promise they are counted there."""
    plausible = records_from(MONDAY, [120.0] * 288)
    mmol = [
        {**r, "levelInMilligramsPerDeciliter": round(7.0 + 4 * math.sin(i / 20), 1)}
        for i, r in enumerate(records_from(MONDAY + timedelta(days=1), [1.0] * 288))
    ]
    mmol = [{**r, "metadata": {**r["metadata"], "id": f"mmol-{i}"}} for i, r in enumerate(mmol)]
    assert all(3.0 <= r["levelInMilligramsPerDeciliter"] <= 11.0 for r in mmol)
    assert SPEC.reader_schema is not None
    source = tmp_path / "BloodGlucoseRecord_1758400000000.avro"
    source.write_bytes(write_avro(SPEC.reader_schema, plausible + mmol))
    out = tmp_path / "out"
    run_etl([source], out, "--timezone", "America/New_York")
    journals = list((out / "training").rglob("*.jsonl"))
    assert journals
    import json

    metas = [json.loads(line)["metadata"] for path in journals for line in path.open()]
    assert metas
    for meta in metas:
        assert meta["clinical_insights"]["excluded_readings"] == 0
        method = meta["methods"]["readings"]
        assert "levels outside 20-600 mg/dL are left out (excluded_readings)" not in method
        assert "never reach the plugin" in method and "neither used nor counted" in method

    # a level the plugin does receive outside its range is counted, as the text says
    result = process(DAY_RULE, MONDAY, records_from(MONDAY, [120.0] * 10 + [9999.0] + [120.0] * 10))
    assert result.insights["excluded_readings"] == 1
    assert "a level the plugin receives outside 20-600 mg/dL" in (result.methods or {})["readings"]
