"""A window in, a ProcessResult out (pure): the work behind ``etl_process_window``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from etl_core import ExampleKind, ProcessResult, RecordTypeSpec, Window
from etl_core.contract.model import Record
from etl_core.contract.windows import clock_of, record_span
from etl_sleep.declared import NIGHT_RULE as NIGHT_RULE
from etl_sleep.declared import RULES as RULES
from etl_sleep.declared import WEEK_RULE as WEEK_RULE
from etl_sleep.night_text import night_examples
from etl_sleep.periods import WindowSleep, window_sleep
from etl_sleep.settings import SleepSettings
from etl_sleep.week_text import week_examples
from etl_sleep.window_insights import data_bounds, night_window_insights, week_window_insights
from etl_sleep.window_summary import night_summary, week_summary

METHODS: dict[str, str] = {
    "night": "a noon-to-noon local window named by its evening's date; a sleep period "
    "(sessions chained by overlap) belongs to the night its earliest session starts in; the "
    "longest night-length period (>= ETL_SLEEP_MIN_NIGHT_MINUTES in bed, 180 by default) is "
    "the night's sleep, shorter periods are naps reported apart (project convention)",
    "primary_source": "one session per period is primary (ETL_SLEEP_SOURCE_PRIORITY, default "
    "staged then most stage coverage); other sources corroborate and are never averaged or "
    "summed (clinical.md, Sleep: two sources)",
    "time_in_bed": "session end - start (clinical.md, Sleep)",
    "total_sleep": "LIGHT + DEEP + REM + SLEEPING (clinical.md, Sleep)",
    "efficiency": "total sleep / time in bed (clinical.md, Sleep)",
    "waso": "AWAKE + OUT_OF_BED between the first and the last sleep stage (clinical.md, Sleep)",
    "onset_latency": "first sleep stage start - session start; not recorded when the session "
    "starts with a sleep stage (issue 17; clinical.md, Sleep)",
    "stage_percent": "stage / (LIGHT + DEEP + REM) (clinical.md, Sleep)",
    "targets": ">= 7 h (AASM/SRS, Watson 2015; NSF 7-9 h 18-64, 7-8 h 65+); efficiency >= 85%, "
    "latency <= 30 min, WASO <= 20 min (NSF, Ohayon 2017); adult targets not applied under 18",
    "week": "the seven nights of an ISO week, Monday night to Sunday night (Monday noon to the "
    "next Monday noon, local)",
    "weekly_minimum": "a weekly figure needs at least 5 of the 7 nights with sleep stages "
    "(clinical.md, Longitudinal windows)",
    "weekly_means": "means over the week's nights with sleep stages, primary records only; "
    "naps and other sleep periods are counted apart",
    "sleep_onset_sd": "SD (ddof = 1) of sleep-onset clock times (first sleep stage) around "
    "their circular mean, in minutes (clinical.md, Longitudinal windows)",
    "mid_sleep_sd": "mid-sleep = halfway between sleep onset and the end of the last sleep "
    "stage; SD (ddof = 1) around the circular mean, in minutes (clinical.md, Longitudinal "
    "windows)",
    "sleep_regularity_index": "Phillips et al. 2017: -100 + 200 x share of 30-s epoch pairs "
    "24 h apart in the same state (asleep in a sleep stage, else awake; stage gaps unknown and "
    "left out), over pairs of consecutive nights recorded with stages, naps included; needs "
    "5 nights with stages and at least 4 such pairs (project convention)",
    "social_jet_lag": "Wittmann 2006: |mean mid-sleep on free nights - mean mid-sleep on work "
    "nights| on the 24-hour circle; free nights are Friday and Saturday nights (before "
    "Saturday and Sunday), the others work nights; needs the weekly minimum and both kinds",
    "comparison": "with the previous window: nights when both have sleep stages; weeks when "
    "both meet the weekly minimum; differences of the printed values",
    "precision": "minutes whole, hours to 0.1, percentages whole; night clock times "
    "truncated to the minute, mean clock times rounded",
}


def _touching(
    records: Sequence[Record], window: Window, time_fields: Sequence[str]
) -> list[Record]:
    start, end = window.local_start, window.local_end
    found = []
    for record in records:
        span = record_span(record, time_fields, window.user.timezone)
        if span is None:
            continue
        first, last = span[0].replace(tzinfo=None), span[1].replace(tzinfo=None)
        if first < end and (last > start or first == last >= start):
            found.append(record)
    return found


def previous_window(window: Window, time_fields: Sequence[str]) -> Window | None:
    """The window before ``window``, from its lookback records (and those of its own that
    started earlier), as core would build it; ``None`` without a lookback."""
    if window.rule.lookback_days < window.rule.days:
        return None
    first_day = window.first_day - timedelta(days=window.rule.days)
    shell = replace(window, first_day=first_day, records=(), earlier=())
    records = _touching([*window.earlier, *window.records], shell, time_fields)
    return replace(
        shell, records=records, clock=clock_of(records, time_fields, window.user.timezone)
    )


def process_window(
    window: Window, spec: RecordTypeSpec, settings: SleepSettings
) -> ProcessResult | None:
    """The insights and examples of a night or week window; ``None`` when the window owns no
    sleep (e.g. it only sees the end of a session that began in the window before)."""
    sleep = window_sleep(window, settings)
    if not sleep.nights:
        return None
    before = previous_window(window, spec.time_fields)
    previous: WindowSleep | None = None if before is None else window_sleep(before, settings)
    if window.rule.name == WEEK_RULE.name:
        insights = week_window_insights(window, sleep, previous, before, settings)
        summary = week_summary(insights)
        examples = week_examples(window.key, insights)
        nights = insights["nights_recorded"]
        short = sum(1 for row in insights["nights"] if row["meets"]["duration"] is False)
    else:
        insights = night_window_insights(window, sleep, previous, before, settings)
        summary = night_summary(insights)
        examples = night_examples(window.key, insights)
        nights = 0 if insights["night"] is None else 1
        short = int(nights == 1 and insights["night"]["meets"]["duration"] is False)
    bounds = data_bounds(window, sleep)
    narrative = next(e.output for e in examples if e.kind is ExampleKind.SUMMARY)
    return ProcessResult(
        narrative=narrative,
        insights=insights,
        summary=summary,
        events={"nights": nights, "naps": len(insights["naps"]), "short_sleep_nights": short},
        data_start=None if bounds is None else bounds[0],
        data_end=None if bounds is None else bounds[1],
        examples=examples,
        methods=METHODS,
    )
