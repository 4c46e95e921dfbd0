"""One window -> its ``ProcessResult``: insights, the summary every example takes as input,
the examples, and the definitions behind the figures (``methods``, never in the text)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from etl_core import ExampleKind, ExampleText, ProcessResult, Window
from etl_glucose.phrasing import Writer
from etl_glucose.rules import DEFAULT_RULES, PLAUSIBLE_MG_DL, GlucoseRules
from etl_glucose.window_analysis import analyse_window
from etl_glucose.window_examples import Context, clinician_summary, personal_note
from etl_glucose.window_questions import comparison, questions
from etl_glucose.window_rules import DAY_RULE as DAY_RULE
from etl_glucose.window_rules import REPORT_RULE as REPORT_RULE
from etl_glucose.window_summary import window_summary

SOURCES = {
    "consensus": "International Consensus on Time in Range (Battelino et al., Diabetes Care "
    "2019;42:1593)",
    "events": "Danne et al., Diabetes Care 2017;40:1631; Battelino et al., Lancet Diabetes "
    "Endocrinol 2023",
    "gmi": "Bergenstal et al., Diabetes Care 2018;41:2275",
    "agp": "Johnson et al., Diabetes Technol Ther 2019;21:S2-17",
}


def methods(rules: GlucoseRules = DEFAULT_RULES) -> dict[str, str]:
    """The definition behind every insight of a window (``metadata.methods``)."""
    consensus, events = SOURCES["consensus"], SOURCES["events"]
    return {
        "window": "day: one local calendar day; cgm_14d: the 14 local days ending on a Sunday, "
        "the consensus report period (most recent 14 days)",
        "clock": "a reading's own zone offset when real; readings with 'Z' or no offset are "
        "read in the person's zone (inferred from their other records, else configured), "
        "else UTC; 'source' says which",
        "readings": "distinct readings in the window (newest version per record id, one per "
        f"instant); a level the plugin receives outside {PLAUSIBLE_MG_DL.low:g}-"
        f"{PLAUSIBLE_MG_DL.high:g} mg/dL is left out and counted in excluded_readings. Records "
        "that core's file validation already excluded (e.g. a level outside the record type's "
        "range) never reach the plugin: they are neither used nor counted here",
        "sampling_interval_min": "median spacing of consecutive readings, snapped to whole minutes",
        "possible_readings": "window length / sampling interval (a 14-day window of 5-minute "
        "readings holds 4032)",
        "wear_percent": f"readings / possible readings, capped at 100 ({consensus}: % of time "
        "CGM is active)",
        "days_worn": f"local days of the window with at least one reading ({consensus}: number "
        "of days CGM worn)",
        "data_sufficient": f">= {rules.sufficiency_days:g} days worn and >= "
        f"{rules.sufficiency_wear_percent:g}% of possible readings in a {rules.report_days}-day "
        f"window, judged on the displayed figures ({consensus})",
        "mean_sd_cv": "mean and SD (ddof 1) of the readings, CV = 100 x SD / mean; CV target "
        f"<= {rules.cv_target_at_most:g}% ({consensus})",
        "ranges": f"percent of readings: below {rules.very_low:g}, {rules.very_low:g}-"
        f"{rules.low - 1:g}, {rules.low:g}-{rules.high:g} inclusive (TIR), {rules.high + 1:g}-"
        f"{rules.very_high:g}, above {rules.very_high:g}; TBR70 and TAR180 include the extreme "
        f"bands ({consensus})",
        "targets_met": "TIR > 70%, TBR70 < 4%, TBR54 < 1%, TAR180 < 25%, TAR250 < 5%, "
        f"CV <= 36%, judged on displayed figures and only for a sufficient window ({consensus})",
        "gmi_percent": f"3.31 + 0.02392 x mean mg/dL, one decimal, only for a sufficient window "
        f"({SOURCES['gmi']})",
        "events": f"a run of >= {rules.event_minutes} consecutive minutes beyond the threshold "
        f"(at least {rules.event_min_readings} readings) starts an event; >= "
        f"{rules.event_minutes} consecutive minutes back ends it; below 70 and below 54 are "
        f"counted separately; extended: > {rules.extended_hypo_minutes} min below 70; "
        f"durations in sampling slots; a gap over {rules.max_gap_minutes} min breaks "
        f"continuity ({events})",
        "open": "an event whose end was not observed (it runs into a gap or the end of the "
        "window's data) is open and its duration is a lower bound; start_observed is false "
        "when it was already under way at the first reading after a gap or the window's start",
        "sensor_gaps": f"stretches of >= {rules.sensor_gap_minutes} min without readings "
        "between two readings of the window: from one interval after the last reading to the "
        "next reading",
        "overnight": f"readings from {rules.overnight_start_hour:02d}:00 to "
        f"{rules.overnight_end_hour:02d}:00 local; lows counts events starting then",
        "agp": "per local hour of the day, the 5th/25th/50th/75th/95th percentiles of the "
        "window's readings in that hour (Hyndman-Fan type 7, R's and NumPy's default), "
        f"rounded to whole mg/dL; only for a sufficient window ({SOURCES['agp']})",
        "variability": "LBGI/HBGI (Kovatchev), GRI = 3.0 VLow + 2.4 Low + 1.6 VHigh + 0.8 High "
        "capped at 100 (Klonoff 2023), J-index = 0.001 x (mean + SD)^2; only for a sufficient "
        "window",
        "comparison": "the previous 14 days (the report window ending two Sundays earlier); "
        "compared only when both windows are sufficient; changes are differences of the "
        f"displayed figures ({consensus})",
    }


def examples(insights: Mapping[str, Any], key: str) -> list[ExampleText]:
    """Every example of one window, from its rounded insights."""
    c = Context(insights, Writer(key))
    found = [
        ExampleText(ExampleKind.SUMMARY, clinician_summary(c)),
        ExampleText(ExampleKind.NOTE, personal_note(c)),
        *questions(c),
    ]
    compared = comparison(c)
    if compared is not None:
        found.append(ExampleText(ExampleKind.COMPARISON, compared))
    return found


def process_window(window: Window, rules: GlucoseRules = DEFAULT_RULES) -> ProcessResult | None:
    analysis = analyse_window(window, rules)
    if analysis is None:
        return None
    insights = analysis.insights
    found = examples(insights, window.key)
    return ProcessResult(
        narrative=found[0].output,
        insights=insights,
        summary=window_summary(insights),
        events=analysis.event_counts,
        data_start=analysis.start,
        data_end=analysis.end,
        examples=found,
        methods=methods(rules),
    )
