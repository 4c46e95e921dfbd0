"""Focused questions on a window's salient findings, with their answers, and the comparison
of a sufficient report window with the sufficient 14 days before it.

Each answer is built from an opener, the finding and a sentence of context, each phrased
several ways, so that answers to the same question differ between windows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from etl_core import ExampleKind, ExampleText
from etl_glucose.phrasing import capital, clock, day, hour, level, number_word, one, weekday
from etl_glucose.window_examples import (
    Context,
    at,
    gap_sentences,
    high_sentences,
    low_sentences,
    partly_covered,
    profile_sentences,
    target_names,
)

MAX_QUESTIONS = 3

QUESTIONS: Mapping[str, Sequence[str]] = {
    "gaps": (
        "Were there any gaps in my sensor data?",
        "Did my sensor miss any readings?",
        "Is any of my glucose data missing?",
        "Were there times the CGM wasn't recording?",
        "Did my sensor drop out at any point?",
        "Are there holes in the data?",
        "Was my CGM data complete?",
        "Were there any sensor dropouts?",
    ),
    "lows": (
        "Did I have any lows?",
        "Were there any hypos in this period?",
        "Did my glucose go too low?",
        "Any low blood sugar episodes?",
        "How many lows did I have?",
        "Was there any hypoglycaemia?",
        "Did I drop below range at any point?",
        "Tell me about any lows in this data.",
    ),
    "overnight": (
        "Were there any lows overnight?",
        "Did my glucose drop too low during the night?",
        "Did I go low while I was asleep?",
        "Any overnight hypos?",
        "How did my glucose do overnight, any lows?",
        "Was there any night-time hypoglycaemia?",
        "Did I dip below range in the early hours?",
        "Were my overnight readings free of lows?",
    ),
    "highs": (
        "Did my glucose go high?",
        "Were there any highs above range?",
        "Any hyperglycaemia in this period?",
        "How often did I run high?",
        "Did I spike at any point?",
        "Were there any high glucose episodes?",
        "Did my sugar run high anywhere?",
        "Tell me about any highs.",
    ),
    "tir": (
        "How much of the time was I in range?",
        "What was my time in range?",
        "How did I do on time in range?",
        "What share of my readings were in the target range?",
        "Was I mostly in range?",
        "How much time did I spend in the target range?",
        "What does my time in range look like?",
        "How well did I stay in range?",
    ),
    "variability": (
        "How steady was my glucose?",
        "How much did my glucose swing?",
        "How variable were my readings?",
        "Was my glucose stable?",
        "What was my glucose variability?",
        "Did my glucose bounce around a lot?",
        "How consistent were my glucose levels?",
        "What were my SD and CV?",
    ),
    "average": (
        "What was my average glucose?",
        "What was my mean glucose?",
        "Where did my glucose sit on average?",
        "What's my average blood sugar for this period?",
        "How high was my glucose on average?",
        "What was my typical glucose level?",
        "Give me my average glucose.",
        "What did my glucose average out at?",
    ),
    "extremes": (
        "What were my highest and lowest readings?",
        "How low and how high did my glucose go?",
        "When was my glucose at its highest and lowest?",
        "What was my lowest reading, and my highest?",
        "What range did my readings cover?",
        "What were the extremes of my glucose?",
        "How far did my glucose swing, top to bottom?",
        "When did I hit my peak and my low point?",
    ),
    "sufficiency": (
        "Is there enough data for a full CGM report?",
        "Can I get a proper two-week report from this?",
        "Is this enough data to judge my glucose control?",
        "Do I have enough sensor data yet?",
        "Is this data sufficient for an AGP report?",
        "Can my doctor use this for a full CGM report?",
        "Are two full weeks of data covered here?",
        "Is my sensor wear good enough for a report?",
    ),
    "profile": (
        "What time of day is my glucose highest?",
        "When during the day do I tend to run high?",
        "What does my daily glucose pattern look like?",
        "At what hour is my glucose usually highest?",
        "Which part of the day runs highest for me?",
        "How does my glucose vary over the day?",
        "What does my ambulatory glucose profile show?",
        "When in the day is my glucose at its peak?",
    ),
}


def _where(c: Context) -> str:
    """The stretch an answer's figures describe: ``on Thursday``, ``over these two weeks``, or,
    when the readings cover less than the window, what they do cover (``on the 3 days with
    readings``, ``between 08:00 and 17:30 on Thursday``), never the whole window."""
    w = c.ins["window"]
    if c.report:
        if c.sufficient:
            return c.w.option(
                "where",
                (
                    f"between {w['first_day']} and {w['last_day']}",
                    f"from {w['first_day']} to {w['last_day']}",
                    "over these two weeks",
                    "in this 14-day window",
                ),
            )
        return _covered(c)
    name = w["first_weekday"]
    first, last = c.ins["first_reading"], c.ins["last_reading"]
    if c.ins["readings"] == 1 or _whole_day(c):
        return c.w.option("where", (f"on {name}", f"that {name}"))
    if partly_covered(c):
        a, b = clock(first), clock(last)
        return c.w.option(
            "where-day-part", (f"on {name} between {a} and {b}", f"from {a} to {b} on {name}")
        )
    readings = c.figures()["readings"]
    return c.w.option(
        "where-day-gappy",
        (f"in the {readings} readings from {name}", f"across {name}'s {readings} readings"),
    )


def _whole_day(c: Context) -> bool:
    """Whether a day's readings cover it: from its start to its end, with the wear a report
    needs."""
    wear = c.ins["wear_percent"]
    return not partly_covered(c) and wear is not None and wear >= c.t["sufficiency_wear_percent"]


def _covered(c: Context) -> str:
    """What the readings of a report window short of data cover: its days with readings."""
    first, last = c.ins["first_reading"], c.ins["last_reading"]
    worn = c.ins["days_worn"]
    if worn == 1:
        only = f"{weekday(first)} {day(first)}"
        return c.w.option(
            "where-one-day",
            (f"on {only} (the only day with readings)", f"on the one day with readings ({only})"),
        )
    if worn < c.t["report_days"]:
        return c.w.option(
            "where-days",
            (
                f"across the {worn} days with readings",
                f"on the {worn} days with readings ({day(first)} to {day(last)})",
            ),
        )
    return c.w.pick(
        "where-sparse",
        (
            "in the readings captured ({wear}% of those possible)",
            "in the readings the sensor captured",
        ),
        **c.figures(),
    )


def _night_where(c: Context) -> str:
    """The nights an overnight answer describes (``_where`` without the hours of a part day)."""
    w = c.ins["window"]
    if not c.report:
        return c.w.option("where", (f"on {w['first_weekday']}", f"that {w['first_weekday']}"))
    if c.sufficient or c.ins["days_worn"] == 1:
        return _where(c)
    return f"on the {c.ins['days_worn']} days with readings"


def _extra(c: Context, label: str, options: Sequence[str], **values: str) -> str:
    return c.w.pick(label, options, **(c.figures() | values))


def _limit(c: Context, label: str) -> str:
    """A sentence of context: what the window can and cannot say."""
    f = c.figures()
    if not c.report:
        return c.w.pick(
            label + "-day",
            (
                "That's one day ({weekday}), so it says nothing yet about other days.",
                "Keep in mind this covers {weekday} only.",
                "One {weekday} on its own isn't a pattern, though.",
                "It's a snapshot of {weekday}, not a trend.",
                "A single day like this {weekday} can differ a lot from the next one.",
                "Patterns only show over {days} days of wear, not one {weekday}.",
                "Over {days} days the picture could look different from this {weekday}.",
                "It's worth comparing this {weekday} with your other days before reading much "
                "into it.",
            ),
            **f,
        )
    if not c.sufficient and c.ins["days_worn"] < c.t["report_days"]:
        return c.w.pick(
            label + "-short",
            (
                "This rests on {worn} of {days} days, so it isn't a full report.",
                "With only {worn_days} of data, it's a partial view.",
                "More days of wear are needed before this says much about your usual pattern.",
                "It covers {worn} of {days} days, so read it as a first look.",
            ),
            **f,
        )
    if not c.sufficient:  # every day has readings, but too few of them
        return c.w.pick(
            label + "-thin",
            (
                "Only {wear}% of possible readings came through, so it isn't a full report.",
                "With {wear}% of readings captured, short of the {need}% a report needs, it's "
                "a partial view.",
                "The readings are too thin for a full report, so read it as a first look.",
                "Fuller wear is needed before this says much about your usual pattern.",
            ),
            **f,
        )
    return c.w.pick(
        label + "-report",
        (
            "That's across all {days} days, with {wear}% of readings captured.",
            "These {days} days have enough data ({wear}% of readings) to stand as a full report.",
            "The figure covers the whole fortnight, {readings} readings in all.",
            "It's based on {readings} readings over {days} days.",
        ),
        **f,
    )


def _answer(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _gaps_answer(c: Context) -> str:
    gaps = c.ins["sensor_gaps"]
    opener = c.w.option(
        "gaps-open",
        (
            ("Yes, one.", "Yes, there was one gap.", "One, yes.", "Yes.", "There was one, yes.")
            if gaps["count"] == 1
            else ("Yes, several.", "Yes.", "There were a few, yes.", "Yes, more than one.")
        ),
    )
    extra = _extra(
        c,
        "gaps-extra",
        (
            "Anything your glucose did in that stretch is unknown.",
            "Any low or high during that time would have gone unrecorded.",
            "Apart from that, the sensor captured {wear}% of possible readings.",
            "In all, {readings} of {possible} possible readings came through.",
            "Overall wear was {wear}%.",
            "Lows or highs in that time could not be seen.",
        ),
    )
    return _answer(opener, *gap_sentences(c, "person"), extra)


def _count_openers(amount: int, noun: str) -> Sequence[str]:
    """Openers that answer both "did I ..." and "how many / how often ..." questions."""
    word = number_word(amount)
    if amount == 1:
        return ("Once.", "Just once.", "Yes, once.", f"One {noun}.", f"Yes, one {noun}.")
    return (
        f"{capital(word)} times.",
        f"Yes, {word} times.",
        f"{capital(word)} {noun}s.",
        f"Yes: {word} {noun}s.",
    )


def _lows_answer(c: Context) -> str:
    events = c.ins["events"]
    lows = events["below_70"]
    if lows["count"]:
        opener = c.w.option("lows-open", _count_openers(lows["count"], "low"))
        body = low_sentences(c, "person")
        night = c.ins["overnight"]["lows"]
        context = ""
        if night:
            f = {"night": c.ins["overnight"]["window"], "n": number_word(night)}
            if lows["count"] == 1:
                options: Sequence[str] = (
                    "It started overnight ({night}).",
                    "It began in the night hours, {night}.",
                    "That one came overnight, between {night}.",
                )
            elif night == lows["count"]:
                options = (
                    "All of them started overnight ({night}).",
                    "Every one began in the night hours, {night}.",
                    "They all came overnight, between {night}.",
                )
            else:
                options = (
                    "{n_cap} of them started overnight ({night}).",
                    "Overnight ({night}) accounts for {n} of them.",
                    "{n_cap} began in the night hours, {night}.",
                )
            context = c.w.pick("lows-night", options, n_cap=capital(f["n"]), **f)
        return _answer(opener, *body, context, _limit(c, "lows-limit"))
    opener = c.w.option(
        "brief-open",
        (
            "Not really.",
            "Not by the usual definition.",
            "Only brief dips.",
            "No real lows.",
            "Not quite.",
        ),
    )
    return _answer(opener, *low_sentences(c, "person"), _limit(c, "brief-limit"))


def _overnight_answer(c: Context) -> str:
    night = c.ins["overnight"]
    f = c.figures() | {
        "nmin": level(night["min_mg_dl"]),
        "nreadings": f"{night['readings']:,}",
        "n0": night["window"][:5],
        "n6": night["window"][6:],
        "where": _night_where(c),
    }
    nights = c.report and c.ins["days_worn"] > 1
    opener = c.w.option(
        "night-open",
        (
            "No.",
            "No lows overnight.",
            "None.",
            "No, the nights were clear." if nights else "No, the night was clear.",
            "Nothing below range overnight.",
            "No overnight lows.",
            "All clear overnight.",
            "No, none at all.",
        ),
    )
    if nights:
        body = c.w.pick(
            "night-body-report",
            (
                "Across the nights {where}, your lowest reading between {n0} and {n6} was "
                "{nmin} mg/dL.",
                "Your lowest overnight reading {where} was {nmin} mg/dL.",
                "The {nreadings} readings taken {night} {where} never went below {nmin} mg/dL.",
                "{where_cap}, night-time readings ({night}) stayed at or above {lo} mg/dL, the "
                "lowest being {nmin}.",
            ),
            where_cap=f["where"][:1].upper() + f["where"][1:],
            **f,
        )
    else:
        body = c.w.pick(
            "night-body-day",
            (
                "Between {n0} and {n6} {where} your lowest reading was {nmin} mg/dL.",
                "Your lowest reading from {n0} to {n6} {where} was {nmin} mg/dL.",
                "From midnight to {n6} {where} you bottomed out at {nmin} mg/dL, not below the "
                "{lo} mg/dL line.",
                "Overnight {where} ({night}) your minimum was {nmin} mg/dL.",
                "In the early hours {where} your glucose stayed at or above {nmin} mg/dL.",
                "The {nreadings} readings taken {night} {where} never dropped below {nmin} mg/dL.",
                "Night-time readings ({night}) {where} stayed at or above {lo} mg/dL, the lowest "
                "being {nmin}.",
                "Your overnight low point {where} was {nmin} mg/dL.",
            ),
            **f,
        )
    extra = c.w.pick(
        "night-extra",
        (
            "Over the whole window you were in range {tir}% of the time.",
            "Across all hours your lowest reading was {min} mg/dL.",
            "Your sensor caught {wear}% of possible readings.",
            "For the whole period, your average was {mean} mg/dL.",
            "The night-time figures rest on {nreadings} readings.",
            "Time below {lo} mg/dL was {tbr70}% overall.",
        )
        if c.report and c.sufficient
        else (
            "Counting all hours, you were in range {tir}% of the time {all_where}.",
            "Across all hours your lowest reading was {min} mg/dL.",
            "Your sensor caught {wear}% of possible readings.",
            "Counting all hours {all_where}, your average was {mean} mg/dL.",
            "The night-time figures rest on {nreadings} readings.",
            "Time below {lo} mg/dL was {tbr70}% overall.",
        )
        if c.report
        else (
            "Over the whole day you were in range {tir}% of the time.",
            "Across the full day your lowest reading was {min} mg/dL.",
            "Your sensor caught {wear}% of the day's readings.",
            "For the day as a whole, your average was {mean} mg/dL.",
        )
        if _whole_day(c)
        else (
            "Counting all hours {all_where}, you were in range {tir}% of the time.",
            "Counting all hours, your lowest reading {all_where} was {min} mg/dL.",
            "Your sensor caught {wear}% of the day's readings.",
            "Counting all hours {all_where}, your average was {mean} mg/dL.",
            "The night-time figures rest on {nreadings} readings.",
            "Time below {lo} mg/dL for the whole day was {tbr70}%.",
            "That's one night, so it says nothing yet about other nights.",
            "Keep in mind this is a single night.",
        ),
        all_where=_where(c),
        **f,
    )
    return _answer(opener, body, extra)


def _highs_answer(c: Context) -> str:
    events = c.ins["events"]
    highs = events["above_180"]
    if highs["count"]:
        opener = c.w.option("highs-open", _count_openers(highs["count"], "high"))
        tail = (
            ""
            if events["above_250"]["count"]
            else _extra(
                c,
                "no-250",
                (
                    "No reading went above {vhi} mg/dL.",
                    "Nothing reached the very high range above {vhi} mg/dL.",
                    "You stayed at or below {vhi} mg/dL throughout.",
                    "None climbed past {vhi} mg/dL.",
                )
                if c.ins["max_mg_dl"] <= c.t["very_high_mg_dl"]
                else (
                    "None stayed above {vhi} mg/dL for {minutes} minutes.",
                    "Readings above {vhi} mg/dL (up to {max}) never lasted {minutes} minutes.",
                    "You didn't spend {minutes} minutes over {vhi} mg/dL at any point.",
                ),
            )
        )
        return _answer(opener, *high_sentences(c, "person"), tail, _limit(c, "highs-limit"))
    opener = c.w.pick(
        "no-highs-open",
        (
            "No.",
            "No highs {where}.",
            "Not really." if c.ins["max_mg_dl"] > c.t["high_mg_dl"] else "Not at all.",
            "No, none {where}.",
            "Nothing sustained above range {where}.",
            "No sustained highs.",
            "No high episodes {where}.",
            "None to speak of.",
        ),
        where=_where(c),
    )
    extra = _extra(
        c,
        "no-highs-extra",
        (
            "Time above {hi} mg/dL was {tar180}%.",
            "Your average was {mean} mg/dL.",
            "You were in range {tir}% of the time.",
            "Readings above {hi} mg/dL made up {tar180}% of the total.",
            "That's from {readings} readings.",
        ),
    )
    return _answer(opener, *high_sentences(c, "person"), extra, _limit(c, "no-highs-limit"))


def _tir_answer(c: Context) -> str:
    f = c.figures() | {"where": _where(c)}
    opener = c.w.pick(
        "tir-open",
        (
            "{tir}% {where}.",
            "You were in range {tir}% of the time {where}.",
            "{tir}% of your readings were in range {where}.",
            "{tir}% of readings sat between {lo} and {hi} mg/dL.",
            "Your time in range was {tir}% {where}.",
            "In range ({lo}-{hi} mg/dL) {tir}% of the time.",
        ),
        **f,
    )
    body = c.w.pick(
        "tir-body",
        (
            "{tbr70}% was below {lo} mg/dL and {tar180}% above {hi}.",
            "The rest split into {tbr70}% below range and {tar180}% above.",
            "Below range: {tbr70}%; above range: {tar180}%.",
            "You spent {tbr70}% under {lo} mg/dL and {tar180}% over {hi} mg/dL.",
            "Outside the range, {tar180}% of readings were high and {tbr70}% low.",
            "Time below {lo} was {tbr70}%, time above {hi} {tar180}%.",
        ),
        **f,
    )
    fact = c.w.pick(
        "tir-fact",
        (
            "Your average was {mean} mg/dL.",
            "Readings ranged from {min} to {max} mg/dL.",
            "Your lowest reading was {min} mg/dL and your highest {max}.",
            "That's out of {readings} readings.",
            "The sensor caught {wear}% of possible readings.",
            "Your glucose averaged {mean} mg/dL across those readings.",
        ),
        **f,
    )
    if c.sufficient:
        met = c.ins["targets_met"]["tir"]
        goal = f"{c.t['tir_above_percent']:g}"
        extra = c.w.pick(
            "tir-goal",
            (
                (
                    "That beats the consensus goal of more than {goal}%.",
                    "The consensus goal is above {goal}%, so you're there.",
                    "That's above the {goal}% target for a 14-day report.",
                    "It clears the {goal}% goal comfortably.",
                )
                if met
                else (
                    "The consensus goal is above {goal}%, so there's room to improve.",
                    "That's short of the {goal}% target.",
                    "The target is more than {goal}%, so it's worth working on.",
                    "It falls below the {goal}% goal.",
                )
            ),
            goal=goal,
        )
        return _answer(opener, body, fact, extra)
    return _answer(opener, body, fact, _limit(c, "tir-limit"))


def _sufficiency_answer(c: Context) -> str:
    f = c.figures() | {
        "first_reading": at(c.ins["first_reading"], True),
        "last_reading": at(c.ins["last_reading"], True),
    }
    opener = c.w.pick(
        "suff-open",
        (
            "Not yet.",
            "No, not yet.",
            "Not quite.",
            "No.",
            "Not enough yet.",
            "Not for the window {first} to {last}.",
            "Not for this window, no.",
            "Not from the data in this window, no.",
        ),
        **f,
    )
    if not c.continuous:
        body = c.w.pick(
            "suff-sparse",
            (
                "Readings about {interval} minutes apart can't make a CGM report, which needs "
                "{days} days of continuous monitoring with {need}% of readings.",
                "A CGM report needs {days} days of sensor data; {readings} readings about "
                "{interval} minutes apart are spot checks, not continuous monitoring.",
                "These are {readings} readings roughly every {interval} minutes over {worn} of "
                "{days} days, too sparse for a CGM report.",
            ),
            **f,
        )
        return _answer(opener, body)
    body = c.w.pick(
        "suff-body",
        (
            "A full CGM report needs {days} days with at least {need}% of possible readings; "
            "this window has readings on {worn} of {days} days and {wear}% of readings.",
            "You have {worn} of the {days} days a report needs, and {wear}% of readings "
            "against the {need}% required.",
            "The standard is {days} days of wear with {need}% of readings captured; here it's "
            "{worn} days and {wear}%.",
            "Only {worn} of {days} days have data ({readings} of {possible} possible readings, "
            "{wear}%), short of the {days} days and {need}% a report needs.",
            "With {worn} of {days} days and {wear}% of possible readings, the data fall short "
            "of the {days}-day, {need}% requirement.",
        ),
        **f,
    )
    extra = c.w.pick(
        "suff-extra",
        (
            "Until then there's no GMI or daily profile.",
            "Keep wearing the sensor and the coming weeks will fill in.",
            "The figures so far describe {worn_days} only.",
            "So for now the numbers are a first look, not a verdict.",
            "Targets can't be judged from this yet.",
            "Your average so far is {mean} mg/dL, but that's not a report figure.",
            "What there is shows {tir}% of readings in range, as a first look only.",
            "The readings run from {first_reading} to {last_reading}.",
        ),
        **f,
    )
    return _answer(opener, body, extra)


PARTS_OF_DAY = (
    (0, "overnight"),
    (6, "in the morning"),
    (12, "in the afternoon"),
    (18, "in the evening"),
)


def _part_of_day(hour_of_day: int) -> str:
    return [name for start, name in PARTS_OF_DAY if hour_of_day >= start][-1]


def _profile_answer(c: Context) -> str:
    agp = c.ins["agp"]
    part = _part_of_day(agp["median_highest"]["hour"])
    opener = c.w.option(
        "profile-open",
        (
            f"Mostly {part}.",
            f"It peaks {part}.",
            f"{capital(part)}, typically.",
            f"Your highs cluster {part}.",
            f"{capital(part)} is your highest stretch.",
            f"{capital(part)}, on most days.",
            f"Usually {part}.",
            f"The high point of your day comes {part}.",
        ),
        part,
    )
    f = {
        "p95": str(agp["p95_highest"]["mg_dl"]),
        "p95h": hour(agp["p95_highest"]["hour"]),
        "p5": str(agp["p5_lowest"]["mg_dl"]),
        "p5h": hour(agp["p5_lowest"]["hour"]),
        "iq": str(agp["iqr_widest"]["mg_dl"]),
        "iqh": hour(agp["iqr_widest"]["hour"]),
    }
    extra = c.w.pick(
        "profile-extra",
        (
            "At the top end, the 95th percentile reaches {p95} mg/dL around {p95h}.",
            "Your lowest readings tend to come around {p5h}, where the 5th percentile is {p5} "
            "mg/dL.",
            "Your glucose varies most around {iqh}, where the middle half of readings spans "
            "{iq} mg/dL.",
            "On your highest days, readings around {p95h} reach {p95} mg/dL (95th percentile).",
            "The low end of your profile is around {p5h}, at {p5} mg/dL for the 5th percentile.",
            "Your widest swings come around {iqh}, where the middle half spans {iq} mg/dL.",
            "At {p5h} the 5th percentile is {p5} mg/dL, the lowest of any hour.",
            "The 95th percentile peaks at {p95} mg/dL around {p95h}.",
        ),
        **f,
    )
    return _answer(opener, *profile_sentences(c, "person"), extra)


def _variability_answer(c: Context) -> str:
    f = c.figures() | {"where": _where(c)}
    if "sd" not in f:
        return _answer(
            c.w.pick(
                "var-single",
                (
                    "With a single reading there is no variability to measure {where}.",
                    "One reading {where} cannot show variability.",
                ),
                **f,
            )
        )
    body = c.w.pick(
        "var-body",
        (
            "Your SD was {sd} mg/dL and your CV {cv}% {where}.",
            "Your glucose varied with an SD of {sd} mg/dL, a CV of {cv}%.",
            "{where_cap}, the standard deviation was {sd} mg/dL and the coefficient of "
            "variation {cv}%.",
            "The CV came to {cv}% (SD {sd} mg/dL) {where}.",
            "Variability {where}: SD {sd} mg/dL, CV {cv}%.",
            "Your readings had a CV of {cv}% around an average of {mean} mg/dL.",
        ),
        where_cap=capital(f["where"]),
        **f,
    )
    fact = c.w.pick(
        "var-fact",
        (
            "They ranged from {min} to {max} mg/dL.",
            "Your lowest was {min} mg/dL and your highest {max}.",
            "The spread ran from {min} up to {max} mg/dL.",
            "Readings went as low as {min} and as high as {max} mg/dL.",
            "Your average was {mean} mg/dL.",
        ),
        **f,
    )
    if c.sufficient:
        met = c.ins["targets_met"]["cv"]
        verdict = c.w.pick(
            "var-verdict",
            (
                (
                    "That's within the {target}% line for stable glucose.",
                    "A CV at or under {target}% counts as stable, so you're there.",
                    "That meets the consensus stability target of {target}% or less.",
                )
                if met
                else (
                    "That's above the {target}% line for stable glucose.",
                    "A CV over {target}% counts as unstable, so it's worth a look.",
                    "That misses the consensus stability target of {target}% or less.",
                )
            ),
            target=f"{c.t['cv_at_most_percent']:g}",
        )
        return _answer(body, fact, verdict)
    return _answer(body, fact, _limit(c, "var-limit"))


def _average_answer(c: Context) -> str:
    f = c.figures() | {"where": _where(c)}
    opener = c.w.pick(
        "avg-open",
        (
            "{mean} mg/dL.",
            "Your average was {mean} mg/dL {where}.",
            "It averaged {mean} mg/dL.",
            "{where_cap}, your mean glucose was {mean} mg/dL.",
            "Your mean was {mean} mg/dL.",
            "On average, {mean} mg/dL {where}.",
        ),
        where_cap=capital(f["where"]),
        **f,
    )
    fact = c.w.pick(
        "avg-fact",
        (
            "That's from {readings} readings.",
            "Around it, readings ran from {min} to {max} mg/dL.",
            "You were in range {tir}% of the time.",
            "The sensor captured {wear}% of possible readings.",
            "Your readings spread from {min} to {max} mg/dL around it.",
        )
        + (("The SD was {sd} mg/dL.",) if "sd" in f else ()),
        **f,
    )
    if c.sufficient:
        extra = c.w.pick(
            "avg-gmi",
            (
                "That gives a GMI of {gmi}%.",
                "It corresponds to a GMI of {gmi}%.",
                "Your GMI, estimated from it, is {gmi}%.",
                "As a GMI, that's {gmi}%.",
            ),
            **f,
        )
        return _answer(opener, fact, extra, _limit(c, "avg-limit"))
    extra = c.w.pick(
        "avg-no-gmi",
        (
            "A GMI needs {days} days with {need}% of readings, so none is given here.",
            "It's too little data for a GMI, which needs {days} days of wear.",
            "No GMI yet: that takes {days} days with at least {need}% of readings.",
            "That's not enough for a GMI, which rests on {days} days of data.",
        ),
        **f,
    )
    return _answer(opener, fact, extra, _limit(c, "avg-limit"))


def _extremes_answer(c: Context) -> str:
    ins = c.ins
    f = c.figures() | {
        "min_at": at(ins["min_at"], c.report),
        "max_at": at(ins["max_at"], c.report),
        "where": _where(c),
    }
    body = c.w.pick(
        "extremes-body",
        (
            "Your lowest reading was {min} mg/dL at {min_at} and your highest {max} mg/dL at "
            "{max_at}.",
            "You bottomed out at {min} mg/dL at {min_at} and peaked at {max} mg/dL at {max_at}.",
            "Low point: {min} mg/dL at {min_at}. High point: {max} mg/dL at {max_at}.",
            "{where_cap}, readings ran from {min} mg/dL (at {min_at}) to {max} mg/dL (at "
            "{max_at}).",
            "The peak was {max} mg/dL at {max_at}; the lowest, {min} mg/dL at {min_at}.",
            "Your glucose went as low as {min} mg/dL at {min_at} and as high as {max} mg/dL at "
            "{max_at}.",
        ),
        where_cap=capital(f["where"]),
        **f,
    )
    fact = c.w.pick(
        "extremes-fact",
        (
            "In between, you averaged {mean} mg/dL.",
            "Most of the time, {tir}%, you were between {lo} and {hi} mg/dL.",
            "Your average sat at {mean} mg/dL.",
            "Time in range was {tir}%.",
            "Those are single readings; your average was {mean} mg/dL.",
        ),
        **f,
    )
    return _answer(body, fact, _limit(c, "extremes-limit"))


ANSWERS: Mapping[str, Callable[[Context], str]] = {
    "gaps": _gaps_answer,
    "lows": _lows_answer,
    "overnight": _overnight_answer,
    "highs": _highs_answer,
    "tir": _tir_answer,
    "sufficiency": _sufficiency_answer,
    "profile": _profile_answer,
    "variability": _variability_answer,
    "average": _average_answer,
    "extremes": _extremes_answer,
}


def salient(c: Context) -> list[str]:
    """Up to three questions: the window's salient findings first (gaps, lows, highs, data
    sufficiency or the daily profile), then routine ones in an order fixed by the window."""
    ins = c.ins
    found: list[str] = []
    routine = ["tir", "average"] + (["extremes"] if ins["readings"] > 1 else [])
    if ins["sensor_gaps"] and ins["sensor_gaps"]["count"]:
        found.append("gaps")
    events = ins["events"]
    if events is not None:
        if events["below_70"]["count"]:
            found.append("lows")
        elif ins["min_mg_dl"] < ins["targets"]["low_mg_dl"]:
            # brief dips (read from the lowest reading: a rounded 0.0% can still hold one)
            routine.append("lows")
        elif ins["overnight"]["readings"]:
            routine.append("overnight")
        (found if events["above_180"]["count"] else routine).append("highs")
    if ins["sd_mg_dl"] is not None:
        routine.append("variability")
    if c.report:
        found.append("profile" if c.sufficient else "sufficiency")
    found += c.w.shuffled("questions", routine)
    return found[:MAX_QUESTIONS]


def questions(c: Context) -> list[ExampleText]:
    return [
        ExampleText(
            ExampleKind.QUESTION,
            ANSWERS[kind](c),
            question=c.w.option(f"question-{kind}", QUESTIONS[kind]),
        )
        for kind in salient(c)
    ]


# -- comparison ------------------------------------------------------------------------------

MOVES = {
    "higher": (
        "rose from {a} to {b}",
        "went up from {a} to {b}",
        "increased from {a} to {b}",
        "climbed from {a} to {b}",
    ),
    "lower": (
        "fell from {a} to {b}",
        "went down from {a} to {b}",
        "decreased from {a} to {b}",
        "dropped from {a} to {b}",
    ),
    "unchanged": ("held at {b}", "was unchanged at {b}", "stayed at {b}", "did not change, at {b}"),
}


def _move(c: Context, key: str, unit: str) -> str:
    entry = c.ins["comparison"][key]
    return c.w.pick(
        f"move-{key}",
        MOVES[entry["direction"]],
        a=one(entry["from"]) + unit,
        b=one(entry["to"]) + unit,
    )


def comparison(c: Context) -> str | None:
    change = c.ins["comparison"]
    previous = c.ins["previous"]
    if change is None or previous is None:
        return None
    f = c.figures() | {
        "pf": previous["first_day"],
        "pl": previous["last_day"],
        "mean_move": _move(c, "mean_mg_dl", " mg/dL"),
        "gmi_move": _move(c, "gmi_percent", "%"),
        "tir_move": _move(c, "tir_percent", "%"),
        "tbr70_move": _move(c, "tbr70_percent", "%"),
        "tbr54_move": _move(c, "tbr54_percent", "%"),
        "tar180_move": _move(c, "tar180_percent", "%"),
        "tar250_move": _move(c, "tar250_percent", "%"),
        "cv_move": _move(c, "cv_percent", "%"),
        "tir_by": one(change["tir_percent"]["by"]),
    }
    sentences = [
        c.w.pick(
            "cmp-intro",
            (
                "Compared with the previous {days} days ({pf} to {pl}), mean glucose {mean_move} "
                "and GMI {gmi_move}.",
                "Against {pf} to {pl}, mean glucose {mean_move}, and GMI {gmi_move}.",
                "Relative to the {days} days before ({pf} to {pl}), the mean {mean_move} and the "
                "GMI {gmi_move}.",
                "Set against the prior fortnight ({pf} to {pl}), mean glucose {mean_move} while "
                "GMI {gmi_move}.",
                "From the previous window ({pf} to {pl}) to this one, mean glucose {mean_move}; "
                "GMI {gmi_move}.",
            ),
            **f,
        ),
        c.w.pick(
            "cmp-tir",
            (
                "Time in range {tir_move}.",
                "Time in range ({lo}-{hi} mg/dL) {tir_move}, a difference of {tir_by} points.",
                "The share of readings in range {tir_move}.",
                "In-range time {tir_move} ({tir_by} percentage points).",
            ),
            **f,
        ),
        c.w.pick(
            "cmp-out",
            (
                "Time below {lo} mg/dL {tbr70_move} (below {vlo}: {tbr54_move}), and time "
                "above {hi} mg/dL {tar180_move} (above {vhi}: {tar250_move}).",
                "Below range, the share {tbr70_move} and the share under {vlo} mg/dL "
                "{tbr54_move}; above range, the share {tar180_move} and the share over {vhi} "
                "{tar250_move}.",
                "Time above {hi} mg/dL {tar180_move} and above {vhi} {tar250_move}; time below "
                "{lo} {tbr70_move} and below {vlo} {tbr54_move}.",
            ),
            **f,
        ),
        c.w.pick(
            "cmp-cv",
            (
                "The CV {cv_move}.",
                "Glucose variability (CV) {cv_move}.",
                "The coefficient of variation {cv_move}.",
                "Variability, as CV, {cv_move}.",
            ),
            **f,
        ),
    ]
    sentences.append(_targets_change(c, previous["targets_met"], c.ins["targets_met"]))
    sentences.append(
        c.w.pick(
            "cmp-caveat",
            (
                "Both windows meet the data requirements, so the figures compare like with "
                "like; two fortnights are not yet a trend.",
                "Each window has enough data for a full report, which makes the comparison fair, "
                "though two periods alone do not make a trend.",
                "Both periods are sufficient ({days} days, at least {need}% of readings), so the "
                "comparison holds; a longer run of windows would show whether it lasts.",
                "The comparison is like for like, both windows being sufficient; it describes "
                "two periods, not a trend.",
                "Since both fortnights are fully covered, the differences are real differences "
                "between them, not gaps in the data.",
            ),
            **f,
        )
    )
    return " ".join(sentences)


def _targets_change(
    c: Context, before: Mapping[str, bool] | None, after: Mapping[str, bool] | None
) -> str:
    names = target_names(c)
    before = before or {}
    after = after or {}
    newly_missed = [names[k] for k in names if before.get(k) and after.get(k) is False]
    newly_met = [names[k] for k in names if before.get(k) is False and after.get(k)]
    if not newly_missed and not newly_met:
        all_met = all(after.get(k) for k in names)
        return c.w.option(
            "cmp-targets-same",
            (
                (
                    "Both windows meet every consensus target.",
                    "Every consensus target is met in both periods.",
                    "The consensus targets are met throughout, before and now.",
                    "Both fortnights meet all consensus targets.",
                )
                if all_met
                else (
                    "The same consensus targets are met and missed in both windows.",
                    "Target by target, the two windows agree.",
                    "No consensus target changed status between the windows.",
                )
            ),
        )
    parts = []
    if newly_missed:
        parts.append(f"now missed: {', '.join(newly_missed)}")
    if newly_met:
        parts.append(f"now met: {', '.join(newly_met)}")
    return c.w.pick(
        "cmp-targets-changed",
        (
            "Consensus targets that changed status ({changes}).",
            "Target changes since the previous window: {changes}.",
            "Against the consensus targets, {changes}.",
        ),
        changes="; ".join(parts),
    )
