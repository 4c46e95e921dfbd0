"""A window's training examples: a clinician's summary, a note to the person, focused
questions with their answers and, for two sufficient report windows, a comparison.

Every figure is read from the rounded insights and also appears in the window's summary (the
example's input) or is a fixed reference value (thresholds, targets, the 14-day window).
Wording varies by window (``Writer.pick``), never by chance: the same window reads the same.
Definitions and method notes stay out of the text (they are in ``ProcessResult.methods``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from etl_glucose.phrasing import (
    Writer,
    capital,
    clock,
    count,
    day,
    hour,
    join,
    level,
    number_word,
    one,
    plural,
    weekday,
)

Insights = Mapping[str, Any]
EVENTS_NAMED = 3
"""Events described one by one; more are summarised by count, longest and extreme."""
EDGE_MINUTES = 20
"""Readings starting this late (or ending this early) in a window make it partly covered."""


@dataclass(frozen=True, slots=True)
class Context:
    ins: Insights
    w: Writer

    @property
    def report(self) -> bool:
        return bool(self.ins["window"]["kind"] == "report")

    @property
    def continuous(self) -> bool:
        return bool(self.ins["continuous"])

    @property
    def sufficient(self) -> bool:
        return bool(self.ins["data_sufficient"])

    @property
    def t(self) -> Mapping[str, Any]:
        return self.ins["targets"]  # type: ignore[no-any-return]

    def figures(self) -> dict[str, str]:
        """The figures most sentences use, formatted once."""
        ins, t, w = self.ins, self.t, self.ins["window"]
        values = {
            "first": w["first_day"],
            "last": w["last_day"],
            "weekday": w["first_weekday"],
            "days": str(t["report_days"]),
            "worn": str(ins["days_worn"]),
            "worn_days": f"{ins['days_worn']} {plural(ins['days_worn'], 'day')}",
            "need": f"{t['sufficiency_wear_percent']:g}",
            "readings": count(ins["readings"]),
            "interval": str(ins["sampling_interval_min"]),
            "mean": one(ins["mean_mg_dl"]),
            "lo": f"{t['low_mg_dl']:g}",
            "vlo": f"{t['very_low_mg_dl']:g}",
            "hi": f"{t['high_mg_dl']:g}",
            "vhi": f"{t['very_high_mg_dl']:g}",
            "minutes": f"{t['event_minutes']}",
            "gap": f"{t['sensor_gap_hours']:g}",
            "night": ins["overnight"]["window"],
        }
        for key in ("tir", "tbr70", "tbr54", "tar180", "tar250"):
            values[key] = one(ins[f"{key}_percent"])
        values["tbr5469"] = one(ins["tbr54_69_percent"])
        values["tar181"] = one(ins["tar181_250_percent"])
        values["band_low"] = t["bands"]["low"]
        values["band_high"] = t["bands"]["high"]
        # figures a window may lack are left out: only phrasings without them fit
        if ins["possible_readings"] is not None:
            values["possible"] = count(ins["possible_readings"])
            values["wear"] = one(ins["wear_percent"])
        if ins["readings"] > 1:
            values["min"] = level(ins["min_mg_dl"])
            values["max"] = level(ins["max_mg_dl"])
        if ins["sd_mg_dl"] is not None:
            values["sd"] = one(ins["sd_mg_dl"])
            values["cv"] = one(ins["cv_percent"])
        if ins["gmi_percent"] is not None:
            values["gmi"] = one(ins["gmi_percent"])
        return values


def at(moment: str, report: bool) -> str:
    """When an event or gap began, as outputs say it."""
    if report:
        return f"{weekday(moment)} {day(moment)} at {clock(moment)}"
    return clock(moment)


def span(start: str, end: str, report: bool) -> str:
    """``from 02:30 to 03:25`` (a day) or ``on Thursday 2025-06-05 from 02:30 to 03:25``."""
    same_day = day(start) == day(end)
    if report:
        head = f"on {weekday(start)} {day(start)} from {clock(start)}"
        tail = clock(end) if same_day else f"{day(end)} {clock(end)}"
        return f"{head} to {tail}"
    tail = clock(end) if same_day else f"{day(end)} {clock(end)}"
    return f"from {clock(start)} to {tail}"


def duration(event: Mapping[str, Any]) -> str:
    """``55 minutes``, or a lower bound for an event whose start or end was not seen."""
    minutes = f"{event['duration_min']} minutes"
    if event["open"] or not event["start_observed"]:
        return f"at least {minutes}"
    return minutes


def open_note(c: Context, event: Mapping[str, Any], label: str) -> str:
    """A clause for an event whose end (or start) was not observed, else ``""``."""
    if event["open"]:
        return c.w.option(
            label + "-open",
            (
                ", still under way when the readings stop, so its end was not observed",
                "; the readings break off before it ended, so it is an open event",
                ", open at the end of the available data",
                "; its end falls in missing data, so the duration is a lower bound",
            ),
            event["start"],
        )
    if not event["start_observed"]:
        return c.w.option(
            label + "-began",
            (
                ", already under way when the readings begin",
                "; it started before the first reading of this stretch",
                ", begun before the data start",
            ),
            event["start"],
        )
    return ""


# -- the clinician's summary ------------------------------------------------------------------


def _coverage(c: Context) -> list[str]:
    f = c.figures()
    ins = c.ins
    if not c.continuous:
        sentences = [
            c.w.pick(
                "sparse-coverage",
                (
                    "{readings} readings from {first} to {last}, about {interval} minutes apart, "
                    "are too sparse for continuous-monitoring figures: no wear, events or CGM "
                    "report, and percentages are shares of single readings.",
                    "The {readings} readings ({first} to {last}) are spaced about {interval} "
                    "minutes apart, like meter checks rather than a sensor, so wear, events and "
                    "a CGM report cannot be assessed; percentages are of readings.",
                    "Readings ({readings}, {first} to {last}) come about every {interval} "
                    "minutes: too sparse for wear, {minutes}-minute events or a CGM report, "
                    "and time-in-range figures here are shares of readings.",
                ),
                **f,
            ),
            c.w.pick(
                "sparse-days",
                (
                    "They fall on {worn} of the {days} days a report would span.",
                    "Readings exist on {worn} of {days} days.",
                    "{worn} of {days} days have a reading.",
                ),
                **f,
            ),
        ]
        return sentences + _partial_coverage(c)
    if not c.report:
        sentences = [
            c.w.pick(
                "day-coverage",
                (
                    "On {weekday} {first} the sensor recorded {readings} of {possible} possible "
                    "readings ({wear}% wear).",
                    "{weekday} {first}: {readings} CGM readings, {wear}% of the {possible} a "
                    "full day holds.",
                    "Sensor wear on {weekday} {first} was {wear}% ({readings} of {possible} "
                    "possible readings).",
                    "The CGM captured {readings} readings on {weekday} {first}, {wear}% of the "
                    "{possible} possible.",
                    "For {weekday} {first} there are {readings} readings out of a possible "
                    "{possible}, a wear of {wear}%.",
                    "{readings} of {possible} possible readings were captured on {weekday} "
                    "{first} ({wear}%).",
                ),
                **f,
            )
        ]
    elif c.sufficient:
        sentences = [
            c.w.pick(
                "report-coverage",
                (
                    "The report covers the {days} days from {first} to {last}; the sensor was "
                    "worn on all {worn} days and captured {wear}% of possible readings "
                    "({readings} of {possible}), enough for a full CGM report.",
                    "Over the {days} days {first} to {last}, wear was {wear}% ({readings} of "
                    "{possible} possible readings) with data on {worn} of {days} days, which "
                    "meets the consensus requirement for a full report.",
                    "Data sufficiency is met for {first} to {last}: {worn} of {days} days worn "
                    "and {wear}% of possible readings captured ({readings} of {possible}).",
                    "This {days}-day report ({first} to {last}) rests on {readings} readings, "
                    "{wear}% of the {possible} possible, with the sensor worn on each of the "
                    "{worn} days.",
                    "From {first} to {last} the CGM was worn on {worn} of {days} days and "
                    "recorded {wear}% of possible readings ({readings} of {possible}); the "
                    "window qualifies for a full report.",
                ),
                **f,
            )
        ]
    else:
        short_of_days = ins["days_worn"] < c.t["report_days"]
        sentences = [
            c.w.pick(
                "report-short-days" if short_of_days else "report-short-wear",
                (
                    "Readings exist on only {worn} of the {days} days from {first} to {last} "
                    "({readings} of {possible} possible, {wear}%), short of the {days} days and "
                    "{need}% of readings a full CGM report needs.",
                    "The window {first} to {last} holds readings on {worn} of {days} days, "
                    "{wear}% of those possible ({readings} of {possible}); a full report needs "
                    "{days} days and at least {need}%, so this is not one.",
                    "Data are insufficient for a CGM report: {worn} of {days} days worn and "
                    "{wear}% of possible readings ({readings} of {possible}) between {first} "
                    "and {last}, against {days} days and {need}% required.",
                    "With readings on just {worn} of {days} days ({first} to {last}) and {wear}% "
                    "of possible readings captured ({readings} of {possible}), the window falls "
                    "short of the {days}-day, {need}% standard for a full report.",
                )
                if short_of_days
                else (
                    "The sensor was worn on {worn} of {days} days from {first} to {last} but "
                    "captured only {wear}% of possible readings ({readings} of {possible}), below "
                    "the {need}% a full CGM report needs.",
                    "Readings exist on {worn} of {days} days ({first} to {last}), yet wear was "
                    "{wear}% ({readings} of {possible}), under the {need}% required for a full "
                    "report.",
                    "Wear of {wear}% ({readings} of {possible} possible readings) over {first} "
                    "to {last} is below the {need}% a CGM report needs, although {worn} of "
                    "{days} days have data.",
                ),
                **f,
            ),
            c.w.pick(
                "report-withheld",
                (
                    "GMI, target verdicts and the daily glucose profile are therefore withheld.",
                    "So no GMI, no verdict against the consensus targets and no daily profile "
                    "are given.",
                    "For that reason the figures below are descriptive only: no GMI, target "
                    "verdicts or daily profile.",
                    "The figures describe these readings only; GMI, target checks and the daily "
                    "profile wait for fuller data.",
                    "Until then, GMI and the daily profile are not reported and the consensus "
                    "targets are not judged.",
                ),
            ),
        ]
    sentences += _partial_coverage(c)
    return sentences


def partly_covered(c: Context) -> bool:
    """Whether the readings begin late in the window or stop early (a partial first day, a
    window still running)."""
    ins = c.ins
    first, last = ins["first_reading"], ins["last_reading"]
    w = ins["window"]
    late_start = day(first) != w["first_day"] or _minute_of_day(first) > EDGE_MINUTES
    early_end = day(last) != w["last_day"] or _minute_of_day(last) < 24 * 60 - EDGE_MINUTES
    return late_start or early_end


def _partial_coverage(c: Context) -> list[str]:
    """Say so when readings begin late in the window or stop early (a partial first day, a
    window still running)."""
    ins = c.ins
    first, last = ins["first_reading"], ins["last_reading"]
    if not partly_covered(c):
        return []
    if c.report:
        first_text = f"{weekday(first)} {day(first)} {clock(first)}"
        last_text = f"{weekday(last)} {day(last)} {clock(last)}"
    else:
        first_text, last_text = clock(first), clock(last)
    if first == last:
        return [
            c.w.pick(
                "only-reading",
                (
                    "The only reading was taken at {a}.",
                    "There is a single reading, at {a}.",
                    "One reading exists, at {a}.",
                ),
                a=first_text,
            )
        ]
    return [
        c.w.pick(
            "partial",
            (
                "Readings run only from {a} to {b}.",
                "The data start at {a} and end at {b}.",
                "Only the stretch from {a} to {b} is covered.",
                "Coverage is limited to {a} through {b}.",
                "The first reading is at {a}, the last at {b}.",
            ),
            a=first_text,
            b=last_text,
        )
    ]


def _minute_of_day(moment: str) -> int:
    return int(moment[11:13]) * 60 + int(moment[14:16])


def gap_sentences(c: Context, voice: str) -> list[str]:
    gaps = c.ins["sensor_gaps"]
    if not gaps or not gaps["count"]:
        return []
    f = {"gap": f"{c.t['sensor_gap_hours']:g}", "n": number_word(gaps["count"])}
    if gaps["count"] == 1:
        gap = gaps["gaps"][0]
        f |= {
            "s": at(gap["start"], c.report),
            "e": clock(gap["end"])
            if day(gap["end"]) == day(gap["start"])
            else at(gap["end"], True),
            "hours": one(gap["duration_hours"]),
            "mins": str(gap["duration_min"]),
        }
        options: Sequence[str] = (
            (
                "One sensor gap of {gap} hours or more: no readings from {s} to {e} ({hours} "
                "hours).",
                "The record is empty from {s} to {e}, a gap of {hours} hours.",
                "There is a {hours}-hour gap in the data, from {s} to {e}.",
                "Readings stop from {s} to {e} ({mins} minutes), the only gap of {gap} hours or "
                "more.",
                "No data were recorded between {s} and {e} ({hours} hours).",
            )
            if voice == "clinician"
            else (
                "There are no readings from {s} to {e} ({hours} hours), so that stretch is a "
                "blank.",
                "There's a {hours}-hour hole in your data, from {s} to {e}.",
                "Nothing came through between {s} and {e} ({hours} hours).",
                "Heads-up: no readings arrived from {s} to {e}, {mins} minutes in all, so we "
                "can't tell what your glucose did then.",
                "From {s} to {e} ({hours} hours) no readings came in.",
            )
        )
        return [c.w.pick(f"gap-{voice}", options, **f)]
    f |= {
        "count": str(gaps["count"]),
        "hours": one(gaps["longest_hours"]),
        "s": at(gaps["longest_start"], c.report),
    }
    options = (
        (
            "{count} sensor gaps of {gap} hours or more occurred, the longest {hours} hours "
            "from {s}.",
            "The data have {n} gaps of at least {gap} hours; the longest, {hours} hours, began "
            "{s}.",
            "There were {count} stretches of {gap} hours or more without readings, the longest "
            "lasting {hours} hours from {s}.",
        )
        if voice == "clinician"
        else (
            "Your readings stopped {n} times for {gap} hours or more; the longest break, "
            "{hours} hours, started at {s}.",
            "There are {n} holes of {gap} hours or more in your data, the biggest {hours} hours "
            "long from {s}.",
            "{count} times no readings came in for {gap} hours or longer, the longest "
            "{hours} hours from {s}.",
        )
    )
    return [c.w.pick(f"gaps-{voice}", options, **f)]


CLOCK_WORDS: Mapping[str, Mapping[str, Sequence[str]]] = {
    "configured": {
        "clinician": (
            "Times are local ({offset}), read in the configured time zone because the sensor's "
            "readings carry no offset.",
            "Clock times use the configured time zone ({offset}); the CGM records carry no "
            "offset of their own.",
            "The readings carry no zone offset, so times are given in the person's configured "
            "zone ({offset}).",
            "All times are local ({offset}), from the configured time zone.",
            "Local times ({offset}) come from the configured time zone, not from the readings "
            "themselves.",
        ),
        "person": (
            "Times are in your local time ({offset}), using the time zone set for you.",
            "All times are your local time ({offset}), from the time zone in your settings.",
            "The sensor doesn't record a time zone, so times use the one set for you ({offset}).",
            "Clock times follow your configured time zone ({offset}).",
            "You'll see times in your set time zone ({offset}), since the sensor leaves it out.",
        ),
    },
    "inferred": {
        "clinician": (
            "Times are local ({offset}), taken from the person's other devices' records because "
            "the CGM readings carry no offset.",
            "The CGM writes no zone offset, so local times ({offset}) are inferred from the "
            "person's other records.",
            "Clock times are local ({offset}), inferred from the offsets of the person's other "
            "devices.",
            "Local times ({offset}) come from the person's other records; the sensor's own "
            "readings carry none.",
            "Times are shown in local time ({offset}) as inferred from other devices' records.",
        ),
        "person": (
            "Times are your local time ({offset}), worked out from your other devices because "
            "the sensor doesn't record a time zone.",
            "Your sensor leaves out the time zone, so times ({offset}) come from your other "
            "devices' records.",
            "All times are local ({offset}), borrowed from your other devices.",
            "Clock times ({offset}) are taken from your phone and watch records, since the "
            "sensor has none.",
            "We matched the times to your other devices' time zone ({offset}).",
        ),
    },
    "utc": {
        "clinician": (
            "Times are UTC: the readings carry no offset and no local zone is known, so "
            "overnight hours may not match the person's night.",
            "No local time zone is known and the readings carry none, so clock times are UTC "
            "and overnight figures may be shifted.",
            "Clock times are in UTC for lack of any local offset; night-time statements may not "
            "match the person's night.",
            "Without a known zone the times are UTC, which may misplace overnight hours.",
        ),
        "person": (
            "Times are in UTC because we don't know your time zone, so 'overnight' may not "
            "match your actual night.",
            "We don't know your time zone, so times are UTC and the night hours may be off.",
            "Heads-up: times are UTC, not your local time, since no time zone is known.",
            "Your time zone isn't known, so clock times here are UTC.",
        ),
    },
}


def _clock(c: Context, voice: str) -> list[str]:
    kind = c.ins["clock"]["kind"]
    if kind == "record_offsets":  # every reading carried its own offset: nothing to explain
        return []
    # a clock source this version does not know is described like a configured zone
    options = CLOCK_WORDS.get(kind, CLOCK_WORDS["configured"])
    offset = "UTC" if kind == "utc" else join(c.ins["clock"]["offsets"])
    return [c.w.pick(f"clock-{voice}", options[voice], offset=offset)]


def _cv_verdict(c: Context) -> str:
    met = c.ins["targets_met"]["cv"]
    target = f"{c.t['cv_at_most_percent']:g}"
    options: Sequence[str] = (
        (
            "within the {target}% stability target",
            "at or under the {target}% target for stable glucose",
            "inside the stability threshold of {target}%",
        )
        if met
        else (
            "above the {target}% stability target",
            "over the {target}% threshold for stable glucose",
            "beyond the {target}% stability limit",
        )
    )
    return c.w.pick("cv-verdict", options, target=target)


def _level(c: Context) -> list[str]:
    f = c.figures()
    if "sd" not in f:
        return [
            c.w.pick(
                "single",
                (
                    "The only reading was {mean} mg/dL.",
                    "A single reading of {mean} mg/dL was recorded.",
                ),
                **f,
            )
        ]
    if c.sufficient:
        f["verdict"] = _cv_verdict(c)
        return [
            c.w.pick(
                "level-report",
                (
                    "Mean glucose was {mean} mg/dL (GMI {gmi}%), with an SD of {sd} mg/dL and a "
                    "CV of {cv}%, {verdict}.",
                    "Mean glucose {mean} mg/dL gives a GMI of {gmi}%; SD {sd} mg/dL, CV {cv}% "
                    "({verdict}).",
                    "Glucose averaged {mean} mg/dL (GMI {gmi}%) with a CV of {cv}% and an SD of "
                    "{sd} mg/dL, {verdict}.",
                    "The mean of {mean} mg/dL corresponds to a GMI of {gmi}%; variability was "
                    "{cv}% CV (SD {sd} mg/dL), {verdict}.",
                    "Average glucose {mean} mg/dL, GMI {gmi}%, SD {sd} mg/dL and CV {cv}%: "
                    "{verdict}.",
                ),
                **f,
            )
        ]
    return [
        c.w.pick(
            "level",
            (
                "Mean glucose was {mean} mg/dL with an SD of {sd} mg/dL (CV {cv}%); readings "
                "ranged from {min} to {max} mg/dL.",
                "Glucose averaged {mean} mg/dL (SD {sd} mg/dL, CV {cv}%), between {min} and "
                "{max} mg/dL.",
                "Readings ran from {min} to {max} mg/dL around a mean of {mean} mg/dL (SD {sd} "
                "mg/dL, CV {cv}%).",
                "The mean was {mean} mg/dL, the SD {sd} mg/dL and the CV {cv}%, with a range of "
                "{min} to {max} mg/dL.",
                "Average glucose {mean} mg/dL; SD {sd} mg/dL; CV {cv}%; lowest {min} and highest "
                "{max} mg/dL.",
            ),
            **f,
        )
    ]


def _ranges(c: Context) -> list[str]:
    f = c.figures()
    sentences = [
        c.w.pick(
            "ranges",
            (
                "Time in range ({lo}-{hi} mg/dL) was {tir}%, below {lo} {tbr70}% ({tbr54}% "
                "below {vlo}) and above {hi} {tar180}% ({tar250}% above {vhi}).",
                "{tir}% of readings were in range, {tbr70}% below {lo} mg/dL (including "
                "{tbr54}% below {vlo}) and {tar180}% above {hi} mg/dL (including {tar250}% "
                "above {vhi}).",
                "In range {lo}-{hi} mg/dL: {tir}%; below range: {tbr70}%, of which {tbr54}% "
                "under {vlo}; above range: {tar180}%, of which {tar250}% over {vhi}.",
                "Readings were in the {lo}-{hi} mg/dL range {tir}% of the time, under {lo} for "
                "{tbr70}% (under {vlo} for {tbr54}%) and over {hi} for {tar180}% (over {vhi} "
                "for {tar250}%).",
                "Across the consensus bands: {tbr54}% below {vlo}, {tbr5469}% at {band_low}, "
                "{tir}% at {lo}-{hi}, {tar181}% at {band_high} and {tar250}% above {vhi} mg/dL.",
                "Of the readings, {tir}% sat between {lo} and {hi} mg/dL, {tbr70}% below {lo} "
                "and {tar180}% above {hi}; the very low (below {vlo}) and very high (above "
                "{vhi}) shares were {tbr54}% and {tar250}%.",
            ),
            **f,
        )
    ]
    if c.sufficient:
        sentences.append(_targets_verdict(c))
    return sentences


def target_names(c: Context) -> dict[str, str]:
    t = c.t
    return {
        "tir": f"time in range (target above {t['tir_above_percent']:g}%)",
        "tbr70": f"time below {t['low_mg_dl']:g} mg/dL (target under "
        f"{t['tbr70_below_percent']:g}%)",
        "tbr54": f"time below {t['very_low_mg_dl']:g} mg/dL (target under "
        f"{t['tbr54_below_percent']:g}%)",
        "tar180": f"time above {t['high_mg_dl']:g} mg/dL (target under "
        f"{t['tar180_below_percent']:g}%)",
        "tar250": f"time above {t['very_high_mg_dl']:g} mg/dL (target under "
        f"{t['tar250_below_percent']:g}%)",
        "cv": f"glucose variability (CV target {t['cv_at_most_percent']:g}% or less)",
    }


def _missed(c: Context) -> list[str]:
    met = c.ins["targets_met"] or {}
    names = target_names(c)
    return [names[key] for key in names if met.get(key) is False]


def _targets_verdict(c: Context) -> str:
    missed = _missed(c)
    t = c.t
    if not missed:
        return c.w.pick(
            "targets-met",
            (
                "All consensus targets are met: time in range above {tir}%, below {lo} under "
                "{tbr70}%, below {vlo} under {tbr54}%, above {hi} under {tar180}% and above "
                "{vhi} under {tar250}%.",
                "Each of the international consensus targets for adults with diabetes is met.",
                "Every consensus target (in range above {tir}%, below {lo} under {tbr70}%, "
                "below {vlo} under {tbr54}%, above {hi} under {tar180}%, above {vhi} under "
                "{tar250}%) is met.",
                "Against the consensus time-in-range targets, nothing is missed.",
                "The window meets every time-in-range target of the international consensus.",
            ),
            tir=f"{t['tir_above_percent']:g}",
            tbr70=f"{t['tbr70_below_percent']:g}",
            tbr54=f"{t['tbr54_below_percent']:g}",
            tar180=f"{t['tar180_below_percent']:g}",
            tar250=f"{t['tar250_below_percent']:g}",
            lo=f"{t['low_mg_dl']:g}",
            vlo=f"{t['very_low_mg_dl']:g}",
            hi=f"{t['high_mg_dl']:g}",
            vhi=f"{t['very_high_mg_dl']:g}",
        )
    verb = "misses its" if len(missed) == 1 else "miss their"
    return c.w.pick(
        "targets-missed",
        (
            "{Missed} {verb} consensus {targets}; the others are met.",
            "Against the international consensus, {missed} {verb} {targets}.",
            "The consensus targets are met except for {missed}.",
            "Not every consensus target is met: {missed} {verb} {targets}.",
        ),
        missed=join(missed),
        Missed=capital(join(missed)),
        verb=verb,
        targets=plural(len(missed), "target"),
    )


def _event_phrases(
    c: Context, group: Mapping[str, Any], extreme_key: str, label: str
) -> list[dict[str, str]]:
    return [
        {
            "when": span(event["start"], event["end"], c.report),
            "dur": duration(event),
            "x": level(event[extreme_key]),
            "note": open_note(c, event, label),
        }
        for event in group["events"]
    ]


def low_sentences(c: Context, voice: str) -> list[str]:
    events = c.ins["events"]
    f = c.figures()
    if events is None:
        return []
    lows = events["below_70"]
    if not lows["count"]:
        # Whether any reading fell below the threshold is read from the lowest reading: a
        # share rounded to 0.0% can still hold a reading below it.
        brief = c.ins["min_mg_dl"] < c.t["low_mg_dl"]
        label = f"no-lows-{voice}" + ("-brief" if brief else "")
        if brief:
            if not c.ins["tbr70_percent"]:
                del f["tbr70"]  # "0.0% of readings fell below" reads as none
            options: Sequence[str] = (
                (
                    "Glucose dipped below {lo} mg/dL (lowest {min} mg/dL), but never for the "
                    "{minutes} minutes that make a hypoglycaemic event.",
                    "Some readings ({tbr70}%) fell below {lo} mg/dL, but none for the {minutes} "
                    "minutes that make a hypoglycaemic event; the lowest was {min} mg/dL.",
                    "Brief dips below {lo} mg/dL ({tbr70}% of readings, lowest {min} mg/dL) "
                    "never lasted {minutes} minutes, so no hypoglycaemic event occurred.",
                    "No hypoglycaemic event: readings below {lo} mg/dL ({tbr70}%, down to {min} "
                    "mg/dL) were too short-lived to count.",
                    "Glucose touched {min} mg/dL, but time below {lo} ({tbr70}%) never formed "
                    "a run of {minutes} minutes.",
                )
                if voice == "clinician"
                else (
                    "Readings under {lo} mg/dL ({tbr70}% of them, down to {min}) never lasted "
                    "{minutes} minutes, so they don't count as a low.",
                    "You brushed below {lo} mg/dL briefly (lowest {min}), not long enough to be "
                    "a real low.",
                    "No true lows: the dips under {lo} mg/dL, as low as {min}, were over in "
                    "less than {minutes} minutes.",
                    "Your lowest reading was {min} mg/dL, but you didn't stay under {lo} for "
                    "{minutes} minutes at any point.",
                )
            )
        else:
            options = (
                (
                    "No reading fell below {lo} mg/dL; the lowest was {min} mg/dL.",
                    "There was no hypoglycaemia: the lowest reading was {min} mg/dL.",
                    "Glucose never went under {lo} mg/dL (lowest {min} mg/dL).",
                    "No low readings: the minimum was {min} mg/dL.",
                    "The lowest reading, {min} mg/dL, did not fall below the {lo} mg/dL threshold.",
                )
                if voice == "clinician"
                else (
                    "No lows at all: you never dipped under {lo} mg/dL.",
                    "You stayed clear of lows; your lowest reading was {min} mg/dL.",
                    "Good news on lows: none, and your lowest was {min} mg/dL.",
                    "Not a single reading under {lo} mg/dL; the lowest was {min}.",
                    "You never went low: {min} mg/dL was the bottom.",
                )
            )
        return [c.w.pick(label, options, **f)]
    sentences = [event_sentence(c, lows, "nadir_mg_dl", "low", voice)]
    deep = events["below_54"]
    extended = events["extended_below_70"]
    if deep["count"]:
        sentences.append(event_sentence(c, deep, "nadir_mg_dl", "very-low", voice))
    else:
        sentences.append(
            c.w.pick(
                f"no-very-low-{voice}",
                (
                    (
                        "None went below {vlo} mg/dL for {minutes} minutes.",
                        "No run below {vlo} mg/dL lasted {minutes} minutes.",
                        "Glucose did not stay below {vlo} mg/dL for {minutes} minutes at any "
                        "point.",
                        "There was no clinically significant (below {vlo} mg/dL) event.",
                    )
                    if voice == "clinician"
                    else (
                        "It never stayed under {vlo} mg/dL (the more serious level) for "
                        "{minutes} minutes.",
                        "You didn't spend {minutes} minutes under {vlo} mg/dL at any point.",
                        "Nothing stayed in the more serious below-{vlo} range for {minutes} "
                        "minutes.",
                    )
                    + (
                        ("You stayed out of the below-{vlo} zone.",)
                        if c.ins["min_mg_dl"] >= c.t["very_low_mg_dl"]
                        else ()
                    )
                ),
                **f,
            )
        )
    if extended["count"]:
        sentences.append(event_sentence(c, extended, "nadir_mg_dl", "extended", voice))
    return sentences


def high_sentences(c: Context, voice: str) -> list[str]:
    events = c.ins["events"]
    f = c.figures()
    if events is None:
        return []
    highs = events["above_180"]
    if not highs["count"]:
        # read from the highest reading: a share rounded to 0.0% can still hold one above
        brief = c.ins["max_mg_dl"] > c.t["high_mg_dl"]
        label = f"no-highs-{voice}" + ("-brief" if brief else "")
        if brief:
            if not c.ins["tar180_percent"]:
                del f["tar180"]  # "0.0% of readings" above the threshold reads as none
            options: Sequence[str] = (
                (
                    "Readings above {hi} mg/dL ({tar180}%, up to {max} mg/dL) never lasted "
                    "{minutes} minutes, so no hyperglycaemic event occurred.",
                    "There was no hyperglycaemic event; short rises above {hi} mg/dL made up "
                    "{tar180}% of readings, peaking at {max} mg/dL.",
                    "Glucose went above {hi} mg/dL for {tar180}% of readings (highest {max} "
                    "mg/dL), never for {minutes} minutes in a row.",
                    "No event above {hi} mg/dL: the brief excursions, up to {max} mg/dL, were "
                    "under {minutes} minutes each.",
                )
                if voice == "clinician"
                else (
                    "You went over {hi} mg/dL only briefly (highest {max}), never for "
                    "{minutes} minutes.",
                    "A few quick spikes over {hi} mg/dL, topping out at {max}, didn't last long "
                    "enough to count as a high.",
                    "No real highs: readings above {hi} mg/dL, up to {max}, came and went in "
                    "under {minutes} minutes.",
                    "Your highest was {max} mg/dL, but you didn't stay above {hi} for {minutes} "
                    "minutes.",
                )
            )
        else:
            options = (
                (
                    "No reading exceeded {hi} mg/dL; the highest was {max} mg/dL.",
                    "There was no hyperglycaemia: the highest reading was {max} mg/dL.",
                    "Glucose stayed at or below {hi} mg/dL throughout (highest {max} mg/dL).",
                    "No high readings: the maximum was {max} mg/dL.",
                    "The highest reading, {max} mg/dL, stayed within the {hi} mg/dL limit.",
                )
                if voice == "clinician"
                else (
                    "No highs: you never went over {hi} mg/dL.",
                    "You stayed at or below {hi} mg/dL the whole time; your highest was {max}.",
                    "Your peak was {max} mg/dL, so no highs.",
                    "Nothing above {hi} mg/dL; the top reading was {max}.",
                    "Highs weren't an issue: {max} mg/dL was as high as it got.",
                )
            )
        return [c.w.pick(label, options, **f)]
    sentences = [event_sentence(c, highs, "peak_mg_dl", "high", voice)]
    very = events["above_250"]
    if very["count"]:
        sentences.append(event_sentence(c, very, "peak_mg_dl", "very-high", voice))
    return sentences


EVENT_NOUNS = {
    # label: (the clinician's noun, the person's noun)
    "low": ("hypoglycaemic event below {lo} mg/dL", "low (under {lo} mg/dL)"),
    "very-low": ("event below {vlo} mg/dL", "stretch under {vlo} mg/dL"),
    "extended": (
        "extended hypoglycaemic event (more than {ext} minutes below {lo} mg/dL)",
        "long low (more than {ext} minutes under {lo} mg/dL)",
    ),
    "high": ("hyperglycaemic event above {hi} mg/dL", "high (over {hi} mg/dL)"),
    "very-high": ("event above {vhi} mg/dL", "stretch over {vhi} mg/dL"),
}


def event_sentence(
    c: Context, group: Mapping[str, Any], extreme_key: str, label: str, voice: str
) -> str:
    f = c.figures() | {"ext": str(c.t["extended_hypo_minutes"])}
    clinician, person = EVENT_NOUNS[label]
    noun = (clinician if voice == "clinician" else person).format(**f)
    low = extreme_key == "nadir_mg_dl"
    extreme = ("nadir", "lowest") if low else ("peak", "highest")
    n = group["count"]
    if n <= EVENTS_NAMED:
        phrases = _event_phrases(c, group, extreme_key, label)
        if n == 1:
            one_event = phrases[0]
            options: Sequence[str] = (
                (
                    "One {noun} occurred {when} ({dur}, {ex} {x} mg/dL){note}.",
                    "There was one {noun} {when}, lasting {dur} with a {ex} of {x} mg/dL{note}.",
                    "A single {noun}: {when}, {dur}, {ex} {x} mg/dL{note}.",
                    "{Noun}: one, {when}, for {dur} ({ex} {x} mg/dL){note}.",
                )
                if voice == "clinician"
                else (
                    "You had one {noun} {when}, lasting {dur} and reaching {x} mg/dL{note}.",
                    "There was a {noun} {when}: {dur}, {word} {x} mg/dL{note}.",
                    "One {noun} showed up {when} ({dur}, {word} {x} mg/dL){note}.",
                    "{when_cap}, you had a {noun} of {dur} that {verb} {x} mg/dL{note}.",
                )
            )
            return c.w.pick(
                f"{label}-one-{voice}",
                options,
                noun=noun,
                Noun=capital(noun),
                ex=extreme[0],
                word="bottoming out at" if low else "peaking at",
                verb="dipped to" if low else "climbed to",
                when_cap=capital(one_event["when"]),
                **{k: v for k, v in one_event.items()},
            )
        listed = join(
            [f"{p['when']} ({p['dur']}, {extreme[0]} {p['x']} mg/dL{p['note']})" for p in phrases]
        )
        options = (
            (
                "{Count} {nouns} occurred: {listed}.",
                "There were {count} {nouns}: {listed}.",
                "{Count} {nouns} were recorded, {listed}.",
            )
            if voice == "clinician"
            else (
                "You had {count} {nouns}: {listed}.",
                "{Count} {nouns} showed up: {listed}.",
                "There were {count} {nouns}, {listed}.",
            )
        )
        return c.w.pick(
            f"{label}-list-{voice}",
            options,
            count=number_word(n),
            Count=capital(number_word(n)),
            nouns=_plural_noun(noun),
            listed=listed,
        )
    extreme_value = group["lowest_mg_dl" if low else "highest_mg_dl"]
    open_count = group["open_count"]
    options = (
        (
            "{count} {nouns} occurred; the longest lasted {longest} minutes and the {sup} {ex} "
            "was {x} mg/dL{opens}.",
            "There were {count} {nouns}, the longest {longest} minutes, with a {sup} {ex} of "
            "{x} mg/dL{opens}.",
            "{count} {nouns} were recorded (longest {longest} minutes, {sup} {ex} {x} "
            "mg/dL){opens}.",
        )
        if voice == "clinician"
        else (
            "You had {count} {nouns}; the longest lasted {longest} minutes and the {sup} "
            "reading was {x} mg/dL{opens}.",
            "There were {count} {nouns}, the longest {longest} minutes, going as far as {x} "
            "mg/dL{opens}.",
            "{count} {nouns} in all, up to {longest} minutes long and reaching {x} mg/dL{opens}.",
        )
    )
    opens = (
        f"; {number_word(open_count)} {plural(open_count, 'was', 'were')} still under way when "
        "the readings stop, so their durations are lower bounds"
        if open_count
        else ""
    )
    return c.w.pick(
        f"{label}-many-{voice}",
        options,
        count=count(n),
        nouns=_plural_noun(noun),
        longest=str(group["longest_min"]),
        sup=extreme[1],
        ex=extreme[0],
        x=level(extreme_value),
        opens=opens,
    )


def _plural_noun(noun: str) -> str:
    """``hypoglycaemic event below 70 mg/dL`` -> ``hypoglycaemic events below 70 mg/dL``."""
    for word in ("event", "low", "high", "stretch"):
        if f"{word} " in noun or noun.endswith(word):
            suffix = "es" if word == "stretch" else "s"
            return noun.replace(word, word + suffix, 1)
    return noun


def profile_sentences(c: Context, voice: str) -> list[str]:
    agp = c.ins["agp"]
    if agp is None:
        return []
    f = {
        "mh": str(agp["median_highest"]["mg_dl"]),
        "mhh": hour(agp["median_highest"]["hour"]),
        "ml": str(agp["median_lowest"]["mg_dl"]),
        "mlh": hour(agp["median_lowest"]["hour"]),
        "p5": str(agp["p5_lowest"]["mg_dl"]),
        "p5h": hour(agp["p5_lowest"]["hour"]),
        "p95": str(agp["p95_highest"]["mg_dl"]),
        "p95h": hour(agp["p95_highest"]["hour"]),
        "iq": str(agp["iqr_widest"]["mg_dl"]),
        "iqh": hour(agp["iqr_widest"]["hour"]),
    }
    if voice == "person":
        return [
            c.w.pick(
                "agp-person",
                (
                    "Across the two weeks your glucose tends to run highest around {mhh} "
                    "(typically {mh} mg/dL) and lowest around {mlh} ({ml} mg/dL).",
                    "Your typical day peaks around {mhh}, at a median of {mh} mg/dL, and is "
                    "lowest around {mlh}, at {ml} mg/dL.",
                    "On a typical day you run highest at about {mhh} ({mh} mg/dL) and lowest at "
                    "about {mlh} ({ml} mg/dL).",
                    "Put all 14 days on one clock and your median tops out at {mh} mg/dL around "
                    "{mhh}, bottoming at {ml} mg/dL around {mlh}.",
                    "Your glucose usually sits lowest around {mlh} ({ml} mg/dL) and climbs to "
                    "its daily high around {mhh} ({mh} mg/dL).",
                ),
                **f,
            )
        ]
    return [
        c.w.pick(
            "agp-median",
            (
                "On the daily profile the median peaks at {mh} mg/dL around {mhh} and is "
                "lowest, {ml} mg/dL, around {mlh}.",
                "The AGP median runs from {ml} mg/dL at {mlh} to {mh} mg/dL at {mhh}.",
                "Folded onto one day, median glucose is highest at {mhh} ({mh} mg/dL) and lowest "
                "at {mlh} ({ml} mg/dL).",
                "By time of day, the median reaches {mh} mg/dL at {mhh} and falls to {ml} mg/dL "
                "at {mlh}.",
            ),
            **f,
        ),
        c.w.pick(
            "agp-spread",
            (
                "The 5th percentile is lowest at {p5h} ({p5} mg/dL), the 95th highest at {p95h} "
                "({p95} mg/dL), and the 25th-75th band is widest at {iqh} ({iq} mg/dL).",
                "The lowest 5th percentile, {p5} mg/dL, falls at {p5h}; the 95th percentile "
                "tops out at {p95} mg/dL around {p95h}.",
                "Spread is greatest at {iqh}, with an interquartile range of {iq} mg/dL; the "
                "profile's extremes are a 5th percentile of {p5} mg/dL at {p5h} and a 95th of "
                "{p95} mg/dL at {p95h}.",
                "The profile's outer band spans from {p5} mg/dL (5th percentile, {p5h}) to "
                "{p95} mg/dL (95th percentile, {p95h}).",
            ),
            **f,
        ),
    ]


def _risk(c: Context) -> list[str]:
    v = c.ins["variability"]
    if v is None:
        return []
    return [
        c.w.pick(
            "risk",
            (
                "Risk indices: LBGI {lbgi}, HBGI {hbgi}, GRI {gri}.",
                "LBGI was {lbgi} and HBGI {hbgi}; the glycaemia risk index was {gri}.",
                "Low and high blood glucose indices were {lbgi} and {hbgi}, with a GRI of {gri}.",
                "The glycaemia risk index came to {gri} (LBGI {lbgi}, HBGI {hbgi}).",
            ),
            lbgi=one(v["lbgi"]),
            hbgi=one(v["hbgi"]),
            gri=one(v["gri"]),
        )
    ]


def _previous_note(c: Context) -> list[str]:
    """Why a sufficient report is not compared with the 14 days before it."""
    previous = c.ins["previous"]
    if previous is None or c.ins["comparison"] is not None or not c.sufficient:
        return []
    f = {
        "pf": previous["first_day"],
        "pl": previous["last_day"],
        "days": str(c.t["report_days"]),
    }
    if not previous["readings"]:
        return [
            c.w.pick(
                "no-previous",
                (
                    "There is nothing to compare with: the previous {days} days ({pf} to {pl}) "
                    "hold no readings.",
                    "No comparison is possible, as {pf} to {pl} has no readings.",
                    "The {days} days before ({pf} to {pl}) have no readings to compare with.",
                    "This is the first report window with data; {pf} to {pl} holds none.",
                ),
                **f,
            )
        ]
    f |= {"pworn": str(previous["days_worn"]), "pwear": one(previous["wear_percent"])}
    return [
        c.w.pick(
            "previous-short",
            (
                "No comparison with the previous {days} days ({pf} to {pl}): they hold only "
                "{pworn} of {days} days and {pwear}% of possible readings.",
                "The previous window ({pf} to {pl}) is not sufficient ({pworn} of {days} days, "
                "{pwear}% wear), so no comparison is made.",
                "A comparison would need the {days} days before to be sufficient too; {pf} to "
                "{pl} has {pworn} of {days} days and {pwear}% of readings.",
                "With {pworn} of {days} days and {pwear}% wear, {pf} to {pl} cannot serve as a "
                "comparison.",
            ),
            **f,
        )
    ]


def _limits(c: Context, voice: str) -> list[str]:
    f = c.figures()
    if not c.report:
        options: Sequence[str] = (
            (
                "One day is a snapshot, not a report: it holds {worn} of the {days} days a full "
                "CGM report needs (with at least {need}% of possible readings), so no targets "
                "are judged and no GMI is given.",
                "As a single day this is {worn} of the {days} days a CGM report needs; the "
                "figures describe the day, with no target verdict or GMI.",
                "A single day cannot stand for glycaemic control: with {worn} of the {days} days "
                "the consensus asks for (and {need}% of readings), targets and GMI are not "
                "judged.",
                "These figures cover one day only, {worn} of the {days} days a report needs; "
                "targets and GMI are reserved for full windows with at least {need}% of "
                "readings.",
                "Read this as one day's snapshot: with {worn} of {days} days, the window is far "
                "from the data a CGM report requires, so no verdicts are drawn.",
                "This is a day view, {worn} of the {days} days needed; judging the consensus "
                "targets or quoting a GMI would need {days} days of wear at {need}% or more.",
            )
            if voice == "clinician"
            else (
                "One day is just a snapshot; patterns show up over {days} days of wear.",
                "Remember this is a single day, so don't read too much into it on its own.",
                "A single day can't tell you much about the bigger picture; {days} days of data "
                "can.",
                "Treat this as one day's story; a full picture takes {days} days with the "
                "sensor on.",
                "Days vary, so look at this alongside your other days.",
                "It's one day out of many: the {days}-day report is where patterns show.",
            )
        )
        return [c.w.pick(f"limits-day-{voice}", options, **f)]
    if not c.sufficient and c.ins["days_worn"] >= c.t["report_days"]:
        # every day has readings, but too few of them
        options = (
            (
                "These figures describe the readings captured, not a pattern.",
                "With {wear}% of possible readings, the figures are a partial view, not a trend.",
                "Nothing here should be read as a trend: too few of the possible readings were "
                "captured.",
            )
            if voice == "clinician"
            else (
                "Keep the sensor on: {days} days with at least {need}% of readings will give "
                "you a full report.",
                "This is a first look; with fuller wear you'll get the full picture.",
                "Wearing the sensor more steadily will turn this into a proper report; aim for "
                "{need}% of readings.",
                "With {wear}% of readings so far, it's too early to spot patterns.",
            )
        )
        return [c.w.pick(f"limits-thin-{voice}", options, **f)]
    if not c.sufficient:
        options = (
            (
                "These figures describe only the {worn_days} with readings, not a pattern.",
                "With {worn} of {days} days covered, the figures are a partial view, not a trend.",
                "Nothing here should be read as a trend: it rests on {worn_days} of data.",
                "The description is limited to {worn_days} and says nothing about the rest of "
                "the window.",
            )
            if voice == "clinician"
            else (
                "Keep the sensor on: {days} days with at least {need}% of readings will give "
                "you a full report.",
                "This is a first look from {worn_days}; after {days} days of wear you'll get "
                "the full picture.",
                "More days of wear will turn this into a proper report; aim for {days} days and "
                "{need}% of readings.",
                "With {worn} of {days} days so far, it's too early to spot patterns.",
            )
        )
        return [c.w.pick(f"limits-short-{voice}", options, **f)]
    missed = _missed(c)
    if voice == "clinician":
        if not missed:
            return []
        return [
            c.w.pick(
                "review",
                (
                    "Reviewing {missed} with the care team may be worthwhile.",
                    "{Missed} may merit a review with the clinician.",
                    "A clinical review of {missed} is suggested.",
                    "Discussing {missed} at the next visit could be useful.",
                ),
                missed=join(missed),
                Missed=capital(join(missed)),
            )
        ]
    if not missed:
        return [
            c.w.pick(
                "well-done",
                (
                    "Every consensus target was met over these two weeks.",
                    "All the standard targets were met across the {days} days.",
                    "You hit every consensus target for these {days} days.",
                    "Over these {days} days, each time-in-range goal was met.",
                    "Every target in the international consensus was met this fortnight.",
                ),
                **f,
            )
        ]
    return [
        c.w.pick(
            "talk",
            (
                "It may be worth talking through {missed} with your care team.",
                "Consider raising {missed} at your next appointment.",
                "Your care team can help with {missed}.",
                "{Missed} would be a good thing to bring up with your clinician.",
            ),
            missed=join(missed),
            Missed=capital(join(missed)),
        )
    ]


def _note_level(c: Context) -> list[str]:
    f = c.figures()
    if "sd" not in f:
        return []
    if c.sufficient:
        met = c.ins["targets_met"]["tir"]
        f["goal"] = c.w.option(
            "tir-goal",
            (
                (f", above the {c.t['tir_above_percent']:g}% goal", ", comfortably over the goal")
                if met
                else (f", under the {c.t['tir_above_percent']:g}% goal", ", short of the goal")
            ),
        )
        options: Sequence[str] = (
            "Your average glucose was {mean} mg/dL, which puts your GMI at {gmi}%, and you spent "
            "{tir}% of the time between {lo} and {hi} mg/dL{goal}.",
            "You averaged {mean} mg/dL (GMI {gmi}%) and were in range ({lo}-{hi} mg/dL) "
            "{tir}% of the time{goal}.",
            "Time in range came to {tir}%{goal}; your average was {mean} mg/dL and your GMI "
            "{gmi}%.",
            "With an average of {mean} mg/dL your GMI works out at {gmi}%, and {tir}% of your "
            "readings were in the {lo}-{hi} range{goal}.",
            "You were in range {tir}% of the time{goal}, averaging {mean} mg/dL for a GMI of "
            "{gmi}%.",
        )
    else:
        options = (
            "Your average was {mean} mg/dL, and {tir}% of your readings were between {lo} and "
            "{hi} mg/dL.",
            "You averaged {mean} mg/dL and spent {tir}% of the time in range ({lo}-{hi} mg/dL).",
            "In range ({lo}-{hi} mg/dL) {tir}% of the time, with an average of {mean} mg/dL.",
            "Your glucose averaged {mean} mg/dL, ranging from {min} to {max}, and stayed in "
            "range {tir}% of the time.",
            "{tir}% of your readings sat in the {lo}-{hi} mg/dL range; your average was {mean}.",
            "On average you were at {mean} mg/dL, with {tir}% of readings in range.",
        )
    return [c.w.pick("note-level", options, **f)]


def _note_opening(c: Context) -> list[str]:
    f = c.figures()
    if not c.continuous:
        options: Sequence[str] = (
            "You have {readings} readings from {first} to {last}, about {interval} minutes "
            "apart: enough for a few figures, not for the full sensor picture.",
            "Your {readings} readings ({first} to {last}) are spaced about {interval} minutes "
            "apart, so they show moments rather than the whole day.",
            "There are {readings} readings here, roughly every {interval} minutes, so lows or "
            "highs between them can't be seen.",
        )
        return [c.w.pick("note-sparse", options, **f)]
    if not c.report:
        options = (
            "Your sensor caught {wear}% of {weekday}'s readings ({readings} of {possible}).",
            "On {weekday} {first} your CGM logged {readings} readings, {wear}% of the day.",
            "{weekday} {first}: your sensor was on the job for {wear}% of the day ({readings} "
            "readings).",
            "Here's your {weekday}, {first}: {readings} readings, {wear}% of what a full day "
            "can hold.",
            "Your CGM recorded {readings} of a possible {possible} readings on {weekday} {first} "
            "({wear}%).",
        )
        label = "note-day"
    elif c.sufficient:
        options = (
            "You wore your sensor on all {worn} days from {first} to {last}, and it caught "
            "{wear}% of readings ({readings} of {possible}), plenty for a full two-week picture.",
            "Great wear: {wear}% of possible readings over {first} to {last}, with data on each "
            "of the {worn} days.",
            "Your sensor was on for all {worn} days between {first} and {last} and logged "
            "{readings} readings ({wear}%), enough for a full report.",
            "From {first} to {last} you have {readings} readings, {wear}% of the maximum, "
            "across all {worn} days.",
        )
        label = "note-report"
    elif c.ins["days_worn"] >= c.t["report_days"]:
        options = (
            "Your sensor sent readings on all {worn} days from {first} to {last}, but only "
            "{wear}% of the possible ones, so treat this as a first look rather than a full "
            "report.",
            "This two-week window ({first} to {last}) has data on every day, yet only {readings} "
            "readings or {wear}% of the total, so it's not a full report yet.",
            "Every day from {first} to {last} has some readings, but only {wear}% of the "
            "possible ones came through, so this is a partial view.",
        )
        label = "note-thin"
    else:
        options = (
            "So far there are readings from only {worn} of the {days} days between {first} and "
            "{last} ({wear}% of what a full {days} days would hold), so treat this as a first "
            "look rather than a full report.",
            "This two-week window ({first} to {last}) has data on just {worn} of {days} days, "
            "{readings} readings or {wear}% of the total, so it's not a full report yet.",
            "Sensor data cover only {worn} of the {days} days from {first} to {last} ({wear}% of "
            "possible readings), so this is a partial view.",
            "Your sensor data cover {worn} of {days} days ({first} to {last}), {wear}% of a full "
            "fortnight's readings: a first look, not a report.",
        )
        label = "note-short"
    return [c.w.pick(label, options, **f)]


def clinician_summary(c: Context) -> str:
    sentences = (
        _coverage(c)
        + gap_sentences(c, "clinician")
        + _clock(c, "clinician")
        + _level(c)
        + _ranges(c)
        + low_sentences(c, "clinician")
        + high_sentences(c, "clinician")
        + profile_sentences(c, "clinician")
        + _risk(c)
        + _previous_note(c)
        + _limits(c, "clinician")
    )
    return " ".join(sentences)


def personal_note(c: Context) -> str:
    sentences = (
        _note_opening(c)
        + gap_sentences(c, "person")
        + _note_level(c)
        + low_sentences(c, "person")
        + high_sentences(c, "person")
        + profile_sentences(c, "person")
        + _clock(c, "person")
        + _limits(c, "person")
    )
    return " ".join(sentences)
