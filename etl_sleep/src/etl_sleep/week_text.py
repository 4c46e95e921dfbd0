"""The examples of a week window: a clinician's summary, a note to the person, questions and
answers, and a comparison with the previous week. Written from the insights alone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from etl_core import ExampleKind, ExampleText
from etl_sleep.phrasing import Writer, clock_sentence, join, sentences

Insights = Mapping[str, Any]


def _week_values(insights: Insights) -> dict[str, object]:
    window = insights["window"]
    weekly = insights["weekly"] or {}
    return {
        "first": window["first_day"],
        "last": window["last_day"],
        "n": insights["nights_recorded"],
        "k": insights["nights_with_sleep_stages"],
        "m": weekly.get("mean_total_sleep_min"),
        "h": weekly.get("mean_total_sleep_h"),
        "e": weekly.get("mean_efficiency_percent"),
        "waso": weekly.get("mean_waso_min"),
        "x": weekly.get("nights_meeting_7h"),
        "j": weekly.get("nights_judged_7h"),
        "onset": weekly.get("mean_sleep_onset"),
        "onset_sd": weekly.get("sleep_onset_sd_min"),
        "mid": weekly.get("mean_mid_sleep"),
        "mid_sd": weekly.get("mid_sleep_sd_min"),
    }


def _missing_list(insights: Insights) -> str:
    return join([f"{n['weekday']} night ({n['night_of']})" for n in insights["missing_nights"]])


def _gap_nights(insights: Insights) -> list[Mapping[str, Any]]:
    return [r for r in insights["nights"] if r["has_sleep_stages"] and r["unstaged_min"]]


def _gap_caveat(w: Writer, insights: Insights) -> str:
    """The caveat of every week example that states sleep time: nights whose stages leave part
    of the time in bed unclassified have a sleep time that may be underestimated."""
    nights = _gap_nights(insights)
    if not nights:
        return ""
    listed = join([f"{r['weekday']} ({r['unstaged_min']} min)" for r in nights])
    return w.say(
        "week gap",
        (
            "Part of the time in bed carries no stage on {listed}, so sleep time on {those} "
            "may be underestimated.",
            "Unstaged time in bed on {listed} counts as neither sleep nor wake; sleep figures "
            "for {those} are lower bounds.",
        ),
        listed=listed,
        those="that night" if len(nights) == 1 else "those nights",
    )


def _note_gap(w: Writer, insights: Insights) -> str:
    """:func:`_gap_caveat` in the person's words."""
    nights = _gap_nights(insights)
    if not nights:
        return ""
    return w.say(
        "note week gap",
        (
            "On {days} part of your time in bed has no sleep data, so your real sleep on "
            "those nights may be higher than shown.",
            "Your tracker left part of the night unclassified on {days}, so those sleep "
            "figures may undercount.",
        ),
        days=join([r["weekday"] for r in nights]),
    )


def _above(w: Writer, insights: Insights) -> str:
    weekly = insights["weekly"]
    above = weekly["nights_above_range"] if weekly else None
    if not above:
        return ""
    return w.say(
        "week above",
        (
            "{a} of the nights ran above the recommended range (more than {top} h asleep).",
            "Nights with more than {top} h of sleep, above the recommended range: {a}.",
        ),
        a=above,
        top=insights["recommended_max_h"],
    )


def _coverage(w: Writer, insights: Insights) -> str:
    values = _week_values(insights)
    text = w.say(
        "week coverage",
        (
            "Week of {first} to {last}: {n} of 7 nights recorded.",
            "{n} of the week's 7 nights ({first} to {last}) have a sleep record.",
            "Sleep was recorded on {n} of 7 nights in the week {first} to {last}.",
            "For the week {first} to {last}, {n} of 7 nights carry a sleep record.",
        ),
        **values,
    )
    if insights["missing_nights"]:
        text += " " + w.say(
            "week missing nights",
            (
                "No record exists for {nights}.",
                "Missing: {nights}.",
                "Nothing was recorded for {nights}.",
            ),
            nights=_missing_list(insights),
        )
    if insights["nights_with_sleep_stages"] < insights["nights_recorded"]:
        text += " " + w.say(
            "week unstaged",
            (
                "Only {k} of them carry sleep stages.",
                "Of these, {k} have sleep stages; the rest show time in bed only.",
            ),
            **values,
        )
    return text


def _duration(w: Writer, insights: Insights) -> str:
    values = _week_values(insights)
    weekly = insights["weekly"]
    text = w.say(
        "week duration",
        (
            "Mean total sleep was {m} min ({h} h) over {k} nights with sleep stages.",
            "Across {k} nights with stages, sleep averaged {h} h ({m} min).",
            "Average sleep time came to {m} min, or {h} h, over {k} nights.",
            "The {k} staged nights averaged {h} h of sleep ({m} min).",
        ),
        **values,
    )
    if weekly["nights_meeting_7h"] is None:
        return text + " Adult duration targets are not applied at the recorded age."
    x, j = weekly["nights_meeting_7h"], weekly["nights_judged_7h"]
    if j == 0:
        return sentences(
            text,
            "No night could be judged against 7 h: unstaged time in bed could make up the "
            "difference on each.",
            _gap_caveat(w, insights),
        )
    if x == j:
        options: tuple[str, ...] = (
            "Every one of the {j} nights reached 7 h.",
            "All {j} nights met the adult recommendation of at least 7 h.",
        )
    elif x == 0:
        options = (
            "None of the {j} nights reached 7 h.",
            "Not one of the {j} nights met the 7 h adult recommendation.",
        )
    else:
        options = (
            "{x} of {j} nights reached the adult recommendation of at least 7 h.",
            "Nights at or above 7 h: {x} of {j}.",
            "{x} of the {j} nights met the 7 h mark; the others fell short.",
        )
    return sentences(
        text,
        w.say("week nights meeting", options, **values),
        _above(w, insights),
        _gap_caveat(w, insights),
    )


def _quality(w: Writer, insights: Insights) -> str:
    return w.say(
        "week quality",
        (
            "Mean efficiency was {e}% and mean WASO {waso} min (per-night markers: 85% or more, "
            "20 min or less).",
            "Efficiency averaged {e}% and wake after sleep onset {waso} min a night.",
            "On average {e}% of time in bed was sleep, with {waso} min of WASO per night.",
            "Continuity over the week: mean efficiency {e}%, mean WASO {waso} min.",
        ),
        **_week_values(insights),
    )


def _timing(w: Writer, insights: Insights) -> str:
    return w.say(
        "week timing",
        (
            "Sleep onset averaged {onset} with an SD of {onset_sd} min, and mid-sleep {mid} "
            "with an SD of {mid_sd} min.",
            "Night-to-night timing: sleep onset SD {onset_sd} min (mean {onset}), mid-sleep SD "
            "{mid_sd} min (mean {mid}).",
            "The person fell asleep at {onset} on average (SD {onset_sd} min); mid-sleep fell "
            "at {mid} (SD {mid_sd} min).",
            "Onset times spread with an SD of {onset_sd} min around {onset}; mid-sleep times "
            "with an SD of {mid_sd} min around {mid}.",
        ),
        **_week_values(insights),
    )


def _sri(w: Writer, insights: Insights) -> str:
    sri = insights["sleep_regularity_index"]
    if sri is None:
        return w.say(
            "week sri missing",
            (
                "The Sleep Regularity Index is not given: {p} pairs of consecutive nights with "
                "stages, and at least 4 are needed.",
                "With only {p} pairs of back-to-back staged nights (4 needed), no Sleep "
                "Regularity Index is reported.",
            ),
            p=insights["consecutive_staged_night_pairs"],
        )
    return w.say(
        "week sri",
        (
            "The Sleep Regularity Index was {v} over {p} pairs of consecutive nights (0 would "
            "be chance, 100 identical days).",
            "Sleep Regularity Index: {v}, from {p} pairs of consecutive nights, on a scale "
            "where 100 means identical days.",
            "Comparing each day with the next ({p} pairs), the Sleep Regularity Index came to {v}.",
        ),
        v=sri["value"],
        p=sri["day_pairs"],
    )


def _jet_lag(w: Writer, insights: Insights) -> str:
    lag = insights["social_jet_lag"]
    if lag is None:
        return w.pick(
            "week jet lag missing",
            (
                "Social jet lag cannot be assessed: free (Friday, Saturday) and work nights "
                "are not both recorded.",
                "Without both free and work nights on record, social jet lag is not assessed.",
            ),
            insights["nights_recorded"],
        )
    values = {
        "m": lag["minutes"],
        "dir": lag["direction"],
        "free": lag["free_mean_mid_sleep"],
        "work": lag["work_mean_mid_sleep"],
    }
    if lag["direction"] == "same":
        return w.say(
            "week jet lag none",
            ("Mid-sleep fell at {free} on free and work nights alike: no social jet lag.",),
            **values,
        )
    return w.say(
        "week jet lag",
        (
            "Mid-sleep on free nights (Friday and Saturday) was {m} min {dir} than on work "
            "nights ({free} against {work}), a social jet lag of {m} min.",
            "Social jet lag was {m} min: mid-sleep at {free} on Friday and Saturday nights "
            "against {work} on work nights.",
            "On free nights sleep was centred {m} min {dir} ({free}) than on work nights ({work}).",
        ),
        **values,
    )


def _naps(w: Writer, insights: Insights) -> str:
    naps = insights["naps"]
    others = insights["other_sleep"]
    if not naps:
        text = w.pick(
            "week no naps",
            ("No naps were recorded.", "There were no recorded naps.", "No naps appear."),
            insights["nights_recorded"],
        )
    else:
        listed = join([f"{nap['weekday']} {nap['start']}" for nap in naps])
        options: tuple[str, ...] = (
            (
                "One nap ({listed}) was counted apart from the nights.",
                "A nap was kept separate from the nights: {listed}.",
                "One nap was recorded ({listed}) and not added to any night.",
            )
            if len(naps) == 1
            else (
                "{count} naps ({listed}) were counted apart from the nights.",
                "Naps were kept separate: {count} of them, {listed}.",
                "{count} naps were recorded ({listed}), none of them added to a night.",
            )
        )
        text = w.say("week naps", options, count=len(naps), listed=listed)
    if others:
        text += (
            " Another night-length sleep period is reported apart."
            if len(others) == 1
            else " Further night-length sleep periods are reported apart."
        )
    return text


def _corroborated(w: Writer, insights: Insights) -> str:
    count = insights["corroborated_nights"]
    if not count:
        return ""
    return w.say(
        "week corroborated",
        (
            "{c} of the nights also had a record from a second device; each counts once.",
            "A second device corroborated {c} {nights}, never adding or averaging them.",
            "On {c} {nights} two devices overlapped; one record per night is used.",
        ),
        c=count,
        nights="night" if count == 1 else "nights",
    )


def _limits(w: Writer, insights: Insights) -> str:
    return w.pick(
        "week limits",
        (
            "These figures describe this week only.",
            "One week of consumer-device data describes that week, not a lasting pattern.",
            "A single week is a short window; habits show over several.",
            "Read as one week's picture rather than a long-term pattern.",
        ),
        insights["nights_recorded"],
        insights["weekly"] is None,
    )


def _night_list(insights: Insights) -> str:
    parts = []
    for row in insights["nights"]:
        if row["has_sleep_stages"]:
            parts.append(f"{row['weekday']} {row['total_sleep_min']} min asleep")
        else:
            parts.append(f"{row['weekday']} {row['time_in_bed_min']} min in bed without stages")
    return join(parts)


def _insufficient(w: Writer, insights: Insights) -> str:
    values = _week_values(insights)
    reason = w.say(
        "week insufficient",
        (
            "A weekly figure needs at least 5 of the 7 nights with sleep stages, so no weekly "
            "means, spreads or regularity index are given.",
            "With {k} of 7 nights carrying sleep stages (at least 5 are needed), this week has "
            "no weekly averages or regularity figures.",
            "Weekly figures need 5 nights or more; with {k} there are none for this week.",
        ),
        **values,
    )
    nights = (
        w.say(
            "week night list",
            (
                "The recorded nights, one by one: {nights}.",
                "Night by night: {nights}.",
                "What was recorded: {nights}.",
            ),
            nights=_night_list(insights),
        )
        if insights["nights"]
        else ""
    )
    return sentences(reason, nights, _gap_caveat(w, insights))


def clinician_summary(w: Writer, insights: Insights) -> str:
    if insights["weekly"] is None:
        return sentences(
            _coverage(w, insights),
            _insufficient(w, insights),
            _naps(w, insights),
            _corroborated(w, insights),
            _clock(w, insights),
        )
    return sentences(
        _coverage(w, insights),
        _duration(w, insights),
        _quality(w, insights),
        _timing(w, insights),
        _sri(w, insights),
        _jet_lag(w, insights),
        _naps(w, insights),
        _corroborated(w, insights),
        _limits(w, insights),
        _clock(w, insights),
    )


def _clock(w: Writer, insights: Mapping[str, Any]) -> str:
    return clock_sentence(w, insights["clock"], insights["clock_is_record_offsets"])


# -- note to the person -------------------------------------------------------------------------


def _note_duration(w: Writer, insights: Insights) -> str:
    values = _week_values(insights)
    weekly = insights["weekly"]
    if weekly["nights_meeting_7h"] is None:
        return w.say(
            "note week duration plain",
            ("This week you slept {h} hours a night on average, over {k} nights.",),
            **values,
        )
    x, j = weekly["nights_meeting_7h"], weekly["nights_judged_7h"]
    above = weekly["nights_above_range"]
    if j == 0:
        options: tuple[str, ...] = (
            "This week you averaged {h} hours of recorded sleep a night, but no night can be "
            "judged against 7 hours because part of each went unclassified.",
        )
    elif x == j and above:
        values["a"] = above
        values["top"] = insights["recommended_max_h"]
        options = (
            "You averaged {h} hours of sleep this week and every night reached 7 hours, but "
            "{a} of them went past {top} hours, more than the recommended range.",
        )
    elif x == j:
        options = (
            "Great week: you averaged {h} hours of sleep, and all {j} nights reached 7 hours.",
            "You slept {h} hours a night on average this week, with every night at 7 hours or "
            "more.",
        )
    elif x == 0:
        options = (
            "This week you averaged {h} hours of sleep a night, and none of the {j} nights "
            "reached 7 hours.",
            "Your nights this week came in at {h} hours on average; not one got to 7 hours.",
        )
    else:
        options = (
            "This week you averaged {h} hours of sleep a night, and {x} of {j} nights reached "
            "7 hours.",
            "You got {h} hours a night on average this week; {x} of your {j} nights hit the "
            "7-hour mark.",
            "On average you slept {m} minutes ({h} h) a night, with {x} of {j} nights at 7 "
            "hours or more.",
        )
    return w.say("note week duration", options, **values)


def _note_timing(w: Writer, insights: Insights) -> str:
    values = _week_values(insights)
    return w.say(
        "note week timing",
        (
            "Your time of falling asleep moved around by about {onset_sd} minutes from night "
            "to night (standard deviation), centred on {onset}.",
            "You usually fell asleep around {onset}, give or take about {onset_sd} minutes.",
            "Your sleep start varied by roughly {onset_sd} minutes across the week, around "
            "{onset} on average.",
        ),
        **values,
    )


def _note_sri(w: Writer, insights: Insights) -> str:
    sri = insights["sleep_regularity_index"]
    if sri is None:
        return ""
    return w.say(
        "note week sri",
        (
            "Your sleep regularity score was {v} out of 100 (100 means the same sleep times "
            "every day).",
            "On the regularity scale, where 100 is identical days, you scored {v}.",
            "Your Sleep Regularity Index came out at {v}; the closer to 100, the steadier your "
            "schedule.",
        ),
        v=sri["value"],
    )


def _note_jet_lag(w: Writer, insights: Insights) -> str:
    lag = insights["social_jet_lag"]
    if lag is None or lag["direction"] == "same":
        return ""
    return w.say(
        "note week jet lag",
        (
            "On Friday and Saturday nights the middle of your sleep came {m} minutes {dir} "
            "than on work nights; that shift is called social jet lag.",
            "Your weekend nights ran {m} minutes {dir} than your work nights (mid-sleep "
            "{free} against {work}).",
            "Weekends shifted your sleep {m} minutes {dir}, a gap known as social jet lag.",
        ),
        m=lag["minutes"],
        dir=lag["direction"],
        free=lag["free_mean_mid_sleep"],
        work=lag["work_mean_mid_sleep"],
    )


def _note_naps(w: Writer, insights: Insights) -> str:
    naps = insights["naps"]
    if not naps:
        return ""
    options = (
        (
            "Your nap ({days}) is counted separately from your nights.",
            "The nap you took ({days}) doesn't change your nightly numbers.",
            "Your {days} nap stays out of your nightly totals.",
        )
        if len(naps) == 1
        else (
            "Your {count} naps ({days}) are counted separately from your nights.",
            "The {count} naps you took ({days}) don't change your nightly numbers.",
        )
    )
    return w.say(
        "note week naps", options, count=len(naps), days=join([n["weekday"] for n in naps])
    )


def _note_tip(w: Writer, insights: Insights) -> str:
    weekly = insights["weekly"]
    lag = insights["social_jet_lag"]
    if lag is not None and lag["direction"] == "later":
        options: tuple[str, ...] = (
            "Keeping weekend bedtimes a little closer to weekday ones can make Mondays easier.",
            "Try not to let weekend nights drift too far from your weekday routine.",
        )
    elif weekly["nights_meeting_7h"] is not None and (
        weekly["nights_meeting_7h"] < weekly["nights_judged_7h"]
    ):
        options = (
            "Aim for 7 hours on a few more nights next week.",
            "An earlier lights-out on short nights would lift more of them to 7 hours.",
        )
    elif weekly["nights_above_range"]:
        options = (
            "If very long nights keep coming up, it's worth mentioning to a doctor.",
            "Long nights now and then often follow short ones; if they become common, bring "
            "them up with your doctor.",
        )
    elif weekly["nights_meeting_7h"] is not None and not weekly["nights_judged_7h"]:
        return ""
    else:
        options = ("Keep it up.", "A steady week; keep the routine going.")
    return w.pick("note week tip", options, weekly["mean_total_sleep_min"])


def personal_note(w: Writer, insights: Insights) -> str:
    values = _week_values(insights)
    if insights["weekly"] is None:
        return sentences(
            w.say(
                "note week insufficient",
                (
                    "Only {n} of 7 nights were recorded this week ({first} to {last}), so "
                    "there's no weekly average yet; that needs at least 5 nights.",
                    "Your tracker caught {n} of the week's 7 nights, too few for weekly "
                    "averages (5 are needed).",
                    "With only {n} of 7 nights recorded, this week is too patchy for averages; "
                    "5 nights are the minimum.",
                ),
                **values,
            ),
            w.say(
                "note week night list",
                ("Here's what was recorded: {nights}.", "Recorded nights: {nights}."),
                nights=_night_list(insights),
            )
            if insights["nights"]
            else "",
            _note_gap(w, insights),
            _note_naps(w, insights),
            w.pick(
                "note week insufficient tip",
                (
                    "Wearing your tracker every night will make next week's picture complete.",
                    "More recorded nights next week will give you a proper weekly view.",
                ),
                insights["nights_recorded"],
            ),
        )
    return sentences(
        _note_duration(w, insights),
        _note_gap(w, insights),
        _note_timing(w, insights),
        _note_sri(w, insights),
        _note_jet_lag(w, insights),
        _note_naps(w, insights),
        _note_tip(w, insights),
    )


# -- comparison -------------------------------------------------------------------------------


def _moved(moved: Mapping[str, Any] | None, unit: str) -> str:
    if moved is None:
        return "not comparable"
    if moved["direction"] == "same":
        return "unchanged"
    if unit == " points" and moved["difference"] == 1:
        unit = " point"
    return f"{moved['difference']}{unit} {moved['direction']}"


def comparison(w: Writer, insights: Insights) -> str | None:
    moved = insights["change_from_previous_week"]
    before = insights["previous_week"]
    if moved is None or before is None:
        return None
    now, then = insights["weekly"], before["weekly"]
    head = w.say(
        "week comparison head",
        (
            "Compared with the week of {p_first} to {p_last}, mean total sleep was {tst} "
            "({m} against {p_m} min), mean efficiency {eff} ({e}% against {p_e}%) and mean "
            "WASO {waso} ({wa} against {p_wa} min).",
            "Against the previous week ({p_first} to {p_last}): mean sleep {p_m} to {m} min "
            "({tst}), efficiency {p_e}% to {e}% ({eff}), WASO {p_wa} to {wa} min ({waso}).",
            "From the week of {p_first} to this one, mean total sleep moved from {p_m} to {m} "
            "min ({tst}); mean efficiency from {p_e}% to {e}% ({eff}); mean WASO from {p_wa} "
            "to {wa} min ({waso}).",
        ),
        p_first=before["first_day"],
        p_last=before["last_day"],
        tst=_moved(moved["mean_total_sleep_min"], " min"),
        eff=_moved(moved["mean_efficiency_percent"], " points"),
        waso=_moved(moved["mean_waso_min"], " min"),
        m=now["mean_total_sleep_min"],
        p_m=then["mean_total_sleep_min"],
        e=now["mean_efficiency_percent"],
        p_e=then["mean_efficiency_percent"],
        wa=now["mean_waso_min"],
        p_wa=then["mean_waso_min"],
    )
    timing = w.say(
        "week comparison timing",
        (
            "Sleep onset SD went from {p_sd} to {sd} min ({sd_change}) and mid-sleep SD from "
            "{p_msd} to {msd} min ({msd_change}).",
            "Timing spread: onset SD {sd} min against {p_sd} ({sd_change}), mid-sleep SD {msd} "
            "min against {p_msd} ({msd_change}).",
            "Night-to-night timing varied with an onset SD of {sd} min (previously {p_sd}) and "
            "a mid-sleep SD of {msd} min (previously {p_msd}).",
        ),
        sd=now["sleep_onset_sd_min"],
        p_sd=then["sleep_onset_sd_min"],
        msd=now["mid_sleep_sd_min"],
        p_msd=then["mid_sleep_sd_min"],
        sd_change=_moved(moved["sleep_onset_sd_min"], " min"),
        msd_change=_moved(moved["mid_sleep_sd_min"], " min"),
    )
    sri = ""
    if moved["sleep_regularity_index"] is not None:
        sri = w.say(
            "week comparison sri",
            (
                "The Sleep Regularity Index was {v} against {p_v} ({change}).",
                "Sleep Regularity Index: {p_v} the week before, {v} this week.",
            ),
            v=insights["sleep_regularity_index"]["value"],
            p_v=before["sleep_regularity_index"]["value"],
            change=_moved(moved["sleep_regularity_index"], " points"),
        )
    nights = ""
    if now["nights_meeting_7h"] is not None and then["nights_meeting_7h"] is not None:
        nights = w.say(
            "week comparison nights",
            (
                "Nights reaching 7 h: {x} of {j} against {p_x} of {p_j}.",
                "{x} of {j} nights reached 7 h, after {p_x} of {p_j} the week before.",
            ),
            x=now["nights_meeting_7h"],
            j=now["nights_judged_7h"],
            p_x=then["nights_meeting_7h"],
            p_j=then["nights_judged_7h"],
        )
    limit = w.pick(
        "week comparison limit",
        (
            "Two weeks are two data points, not a trend.",
            "A change between two weeks does not yet show a direction.",
            "One week against another cannot establish a trend.",
        ),
        now["mean_total_sleep_min"],
    )
    return sentences(
        head, timing, sri, nights, _gap_caveat(w, insights), limit, _clock(w, insights)
    )


# -- questions --------------------------------------------------------------------------------

QUESTIONS: dict[str, tuple[str, ...]] = {
    "regularity": (
        "How regular was my sleep schedule this week?",
        "How consistent was my bedtime this week?",
        "Did I go to sleep at the same time each night this week?",
        "How much did my sleep timing vary this week?",
        "Was my sleep timing steady this week?",
        "How regular was my bedtime this week?",
        "Did my sleep times jump around this week?",
        "How consistent were my sleep hours from night to night this week?",
    ),
    "duration": (
        "How many nights did I get 7 hours of sleep this week?",
        "Did I sleep enough this week?",
        "What was my average sleep this week?",
        "How much did I sleep on average this week?",
        "Was I getting 7 hours a night this week?",
        "How did my sleep duration look this week?",
        "How many hours a night did I sleep this week?",
        "On how many nights did I reach 7 hours this week?",
    ),
    "jet_lag": (
        "Do I sleep later at weekends?",
        "How different is my weekend sleep from my weekday sleep?",
        "Do I have social jet lag?",
        "Did my sleep shift on Friday and Saturday nights?",
        "How much later do I sleep on free nights?",
        "Is my weekend sleep schedule out of line with my work nights?",
        "How big is the gap between my weekend and weekday sleep times?",
        "Did the weekend throw off my sleep timing?",
    ),
    "sri": (
        "What was my sleep regularity index this week?",
        "What's my SRI for this week?",
        "How did I score on sleep regularity this week?",
        "Can you give me my Sleep Regularity Index for the week?",
        "How similar were my days to each other in terms of sleep?",
        "What does my sleep regularity score say this week?",
        "How regular was my sleep-wake pattern day to day?",
        "What was my regularity score this week?",
    ),
    "naps": (
        "How many naps did I take this week?",
        "Did I nap this week?",
        "Are my naps counted in my nightly sleep?",
        "When did I nap this week?",
        "Were any naps recorded this week?",
        "How were my naps handled this week?",
        "Do naps change my weekly sleep numbers?",
        "Tell me about my naps this week.",
    ),
    "missing": (
        "Which nights are missing this week?",
        "Why can't I see a weekly average?",
        "Is my sleep data complete for this week?",
        "Were all my nights recorded this week?",
        "What sleep data is missing this week?",
        "Why are some nights absent from my week?",
        "How many nights were recorded this week?",
        "Can I trust this week's sleep summary?",
    ),
}


Fact = tuple[str, tuple[str, ...], dict[str, object]]


def _facts(insights: Insights, skip: set[str]) -> list[Fact]:
    """Weekly findings an answer may add beside the one it is about."""
    weekly = insights["weekly"]
    facts: list[Fact] = [
        ("coverage", ("{n} of the week's 7 nights were recorded.",
                      "Your tracker recorded {n} of 7 nights this week."),
         {"n": insights["nights_recorded"]}),
    ]  # fmt: skip
    if weekly is not None:
        values = _week_values(insights)
        facts += [
            ("mean", ("You averaged {h} hours of sleep a night.",
                      "Your nights averaged {m} minutes of sleep."), values),
            ("efficiency", ("Your sleep efficiency averaged {e}%.",
                            "On average {e}% of your time in bed was sleep."), values),
            ("waso", ("You were awake {waso} minutes a night on average after falling asleep.",
                      "Night-time wakefulness averaged {waso} minutes."), values),
            ("onset", ("You usually fell asleep around {onset}.",
                       "Your typical sleep onset was {onset}."), values),
            ("mid", ("The middle of your sleep fell around {mid} on average.",
                     "Your average mid-sleep time was {mid}."), values),
        ]  # fmt: skip
        if weekly["nights_meeting_7h"] is not None:
            facts.append(
                ("nights7", ("{x} of {j} nights reached 7 hours.",
                             "You got 7 hours or more on {x} of {j} nights."), values)
            )  # fmt: skip
        if insights["sleep_regularity_index"] is not None:
            facts.append(
                ("sri", ("Your Sleep Regularity Index was {v}.",
                         "Your regularity score came to {v} out of 100."),
                 {"v": insights["sleep_regularity_index"]["value"]})
            )  # fmt: skip
        lag = insights["social_jet_lag"]
        if lag is not None and lag["direction"] != "same":
            facts.append(
                ("lag", ("Your sleep sat {m} minutes {dir} on Friday and Saturday nights.",
                         "Weekend nights ran {m} minutes {dir} than work nights."),
                 {"m": lag["minutes"], "dir": lag["direction"]})
            )  # fmt: skip
    if insights["naps"]:
        facts.append(
            ("naps", ("Naps, counted apart, were recorded on {days}.",
                      "You also napped on {days}; naps stay out of the nightly figures."),
             {"days": join([nap["weekday"] for nap in insights["naps"]])})
        )  # fmt: skip
    return [fact for fact in facts if fact[0] not in skip]


def _extremes(w: Writer, insights: Insights) -> str:
    staged = [row for row in insights["nights"] if row["has_sleep_stages"]]
    if len(staged) < 2:
        return ""
    shortest = min(staged, key=lambda row: (row["total_sleep_min"], row["night_of"]))
    longest = max(staged, key=lambda row: (row["total_sleep_min"], row["night_of"]))
    return w.say(
        "answer week extremes",
        (
            "Your shortest night was {s_day} ({s_tst} min) and your longest {l_day} ({l_tst} min).",
            "Sleep ranged from {s_tst} minutes on {s_day} to {l_tst} on {l_day}.",
            "{l_day} was your longest night at {l_tst} minutes; {s_day} the shortest at {s_tst}.",
        ),
        s_day=shortest["weekday"],
        s_tst=shortest["total_sleep_min"],
        l_day=longest["weekday"],
        l_tst=longest["total_sleep_min"],
    )


def _answer(w: Writer, kind: str, insights: Insights) -> str:
    body = _answer_body(w, kind, insights)
    if kind == "missing" and insights["weekly"] is None:
        return body  # the night list carries the caveat already
    return sentences(body, _note_gap(w, insights))


def _answer_body(w: Writer, kind: str, insights: Insights) -> str:
    if kind == "missing":
        text = _coverage(w, insights)
        if insights["weekly"] is None:
            return sentences(text, _insufficient(w, insights))
        return sentences(
            text,
            w.pick(
                "answer week missing enough",
                (
                    "That is still enough for weekly figures, which need at least 5 nights.",
                    "Weekly averages need 5 nights or more, so the week still has them.",
                ),
                insights["nights_recorded"],
            ),
            _sri(w, insights) if insights["sleep_regularity_index"] is None else "",
            w.one_of("answer week missing also", _facts(insights, {"coverage"})),
        )
    if kind == "naps":
        return sentences(
            _naps(w, insights),
            _note_naps(w, insights),
            w.one_of("answer week naps also", _facts(insights, {"naps"})),
        )
    weekly = insights["weekly"]
    if kind == "duration":
        return sentences(
            _note_duration(w, insights),
            _extremes(w, insights),
            w.one_of("answer week duration also", _facts(insights, {"mean", "nights7"})),
        )
    if kind == "regularity":
        return sentences(
            _note_timing(w, insights),
            w.say(
                "answer week mid-sleep",
                (
                    "The midpoint of your sleep varied with an SD of {mid_sd} minutes around "
                    "{mid}.",
                    "Mid-sleep, halfway between falling asleep and waking, sat around {mid} "
                    "with an SD of {mid_sd} minutes.",
                ),
                mid=weekly["mean_mid_sleep"],
                mid_sd=weekly["mid_sleep_sd_min"],
            ),
            _note_sri(w, insights),
            w.one_of("answer week regularity also", _facts(insights, {"onset", "mid", "sri"})),
        )
    if kind == "sri":
        sri = insights["sleep_regularity_index"]
        return sentences(
            _note_sri(w, insights),
            w.say(
                "answer week sri basis",
                (
                    "It compares whether you were asleep or awake at the same clock times on "
                    "consecutive days, here over {p} pairs of nights.",
                    "It is based on {p} pairs of back-to-back recorded nights this week.",
                    "The score pairs each day with the next; {p} such pairs were available.",
                ),
                p=sri["day_pairs"],
            ),
            w.one_of("answer week sri also", _facts(insights, {"sri"})),
        )
    lag = insights["social_jet_lag"]
    return sentences(
        _note_jet_lag(w, insights),
        w.say(
            "answer week jet lag basis",
            (
                "Free nights here are Friday and Saturday nights ({f} recorded), compared with "
                "{k} work nights.",
                "That compares {f} Friday and Saturday nights with {k} work nights.",
            ),
            f=lag["free_nights"],
            k=lag["work_nights"],
        ),
        w.one_of("answer week jet lag also", _facts(insights, {"lag"})),
        _note_tip(w, insights),
    )


def questions(w: Writer, insights: Insights) -> list[ExampleText]:
    salient: list[str] = []
    optional: list[str] = []
    if insights["weekly"] is None:
        salient.append("missing")
    else:
        lag = insights["social_jet_lag"]
        if lag is not None and lag["direction"] != "same":
            salient.append("jet_lag")
        optional += ["regularity", "duration"]
        if insights["sleep_regularity_index"] is not None:
            optional.append("sri")
        if insights["missing_nights"]:
            optional.append("missing")
    if insights["naps"]:
        optional.append("naps")
    chosen: Sequence[str] = (salient + w.order("week question order", optional))[:3]
    return [
        ExampleText(
            ExampleKind.QUESTION,
            _answer(w, kind, insights),
            question=w.pick(f"week question {kind}", QUESTIONS[kind], insights["window"]["key"]),
        )
        for kind in chosen
    ]


def week_examples(key: str, insights: Insights) -> list[ExampleText]:
    w = Writer(key)
    examples = [
        ExampleText(ExampleKind.SUMMARY, clinician_summary(w, insights)),
        ExampleText(ExampleKind.NOTE, personal_note(w, insights)),
        *questions(w, insights),
    ]
    compared = comparison(w, insights)
    if compared is not None:
        examples.append(ExampleText(ExampleKind.COMPARISON, compared))
    return examples
