"""The examples of a night window: a clinician's summary, a note to the person, questions and
answers, and a comparison with the previous night. Written from the insights alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from etl_core import ExampleKind, ExampleText
from etl_sleep.phrasing import Writer, capital, clock_sentence, sentences

Row = Mapping[str, Any]


def _values(row: Row) -> dict[str, object]:
    """The figures of a night row, formatted for templates."""
    return {
        "weekday": row["weekday"],
        "date": row["night_of"],
        "source": row["source_name"],
        "bed": row["bedtime"],
        "out": row["out_of_bed"],
        "tib": row["time_in_bed_min"],
        "tib_h": row["time_in_bed_h"],
        "tst": row["total_sleep_min"],
        "tst_h": row["total_sleep_h"],
        "eff": row["efficiency_percent"],
        "waso": row["waso_min"],
        "lat": row["latency_min"],
        "onset": row["sleep_onset"],
        "wake": row["final_awakening"],
        "gap": row["unstaged_min"],
        "pre": row["pre_onset_unstaged_min"],
    }


def _hours_blurred(row: Row, insights: Mapping[str, Any]) -> bool:
    """Whether the hours, rounded to one decimal, land on a bound the minutes lie strictly
    beyond (419 min reads 7.0 h; 541 min reads 9.0 h): then the verdict is said in minutes."""
    hours, tst = row["total_sleep_h"], row["total_sleep_min"]
    if hours is None or tst is None:
        return False
    if hours == 7 and tst < 420:
        return True
    top = insights["recommended_max_h"]
    return top is not None and hours == top and tst > top * 60


def _range_note(insights: Mapping[str, Any]) -> str:
    """The NSF range the duration is judged against, as a parenthesis."""
    if insights["nsf_recommended_h"]:
        return f" (NSF range for this age: {insights['nsf_recommended_h']} h)"
    if insights["recommended_max_h"] and insights["age_years"] is None:
        return f" (the NSF ranges for adults top out at {insights['recommended_max_h']} h)"
    return ""


def _with_range(text: str, insights: Mapping[str, Any]) -> str:
    return text[:-1] + _range_note(insights) + "." if _range_note(insights) else text


def _unjudged(row: Row, target: str) -> bool:
    return target in row["unjudged_for_stage_gaps"]


# -- clinician ---------------------------------------------------------------------------------


def _opening(w: Writer, row: Row) -> str:
    return w.say(
        "night opening",
        (
            "{weekday} night, {date}: {source} recorded {tib} min in bed ({tib_h} h), from "
            "{bed} to {out}.",
            "On the night of {weekday} {date}, the primary record ({source}) runs from {bed} "
            "to {out}, {tib} min in bed.",
            "Night of {date} ({weekday}), primary source {source}: in bed from {bed} until "
            "{out} ({tib} min).",
            "{source} provides the primary record for {weekday} night ({date}), with {tib} min "
            "in bed between {bed} and {out}.",
            "For {weekday} night, {date}, {source} logged time in bed from {bed} to {out}, "
            "{tib_h} h in all.",
        ),
        **_values(row),
    )


def _duration(w: Writer, row: Row, insights: Mapping[str, Any]) -> str:
    values = _values(row)
    if not row["has_sleep_stages"]:
        return w.say(
            "night no stages",
            (
                "The record carries no sleep stages, so total sleep time, efficiency and WASO "
                "cannot be determined, and time in bed alone does not show whether 7 h of "
                "sleep was reached.",
                "Without sleep stages only time in bed is known; sleep time, efficiency and "
                "WASO are not measured, and the 7 h recommendation cannot be judged.",
                "No stage data accompany this session: it shows time in bed, not sleep, so "
                "duration against 7 h, efficiency and WASO stay unknown.",
            ),
            **values,
        )
    if _unjudged(row, "duration"):
        return w.say(
            "night duration gap",
            (
                "Recorded sleep was {tst} min ({tst_h} h), but {gap} min of the time in bed "
                "carry no stage, so whether the adult minimum of 7 h was reached cannot be "
                "determined.",
                "Staged sleep came to {tst_h} h ({tst} min); with {gap} min of the time in bed "
                "unstaged, the true sleep time may be higher and is not judged against 7 h.",
            ),
            **values,
        )
    met = row["meets"]["duration"]
    if met is None:
        return w.say(
            "night duration unjudged",
            (
                "Total sleep time was {tst} min ({tst_h} h); adult targets are not applied at "
                "the recorded age.",
                "Sleep time came to {tst_h} h ({tst} min); the adult thresholds do not apply "
                "at this age.",
            ),
            **values,
        )
    blurred = _hours_blurred(row, insights)
    if row["duration_band"] == "above":
        options: tuple[str, ...] = (
            ("Total sleep time was {tst} min, just past the top of the recommended range.",)
            if blurred
            else (
                "Total sleep time was {tst} min ({tst_h} h), above the recommended range.",
                "At {tst_h} h ({tst} min), sleep ran past the top of the recommended range.",
                "Measured sleep was {tst} min, or {tst_h} h, more than the recommended range.",
            )
        )
        text = _with_range(w.say("night duration above", options, **values), insights)
        return sentences(
            text,
            w.pick(
                "night duration above meaning",
                (
                    "A single long night can follow earlier sleep loss; one night does not "
                    "establish long sleep as a pattern.",
                    "Long sleep on one night is not a finding in itself; whether it recurs is "
                    "what matters.",
                ),
                row["total_sleep_min"],
            ),
        )
    if met:
        options = (
            "Total sleep time was {tst} min ({tst_h} h), meeting the adult recommendation of "
            "at least 7 h.",
            "Sleep time reached {tst_h} h ({tst} min), within the 7 h or more advised for adults.",
            "{tst} min of sleep ({tst_h} h) satisfies the adult minimum of 7 h.",
            "The night yielded {tst_h} h of sleep ({tst} min), at or above the 7 h adult target.",
            "Measured sleep was {tst} min, or {tst_h} h, clearing the 7 h recommended for adults.",
        )
    elif blurred:
        options = (
            "Total sleep time was {tst} min, just short of the 7 h (420 min) adult minimum.",
        )
    else:
        options = (
            "Total sleep time was {tst} min ({tst_h} h), below the adult recommendation of at "
            "least 7 h.",
            "Sleep time came to {tst_h} h ({tst} min), short of the 7 h adults need.",
            "At {tst} min ({tst_h} h), sleep fell under the adult minimum of 7 h.",
            "The night yielded {tst_h} h of sleep ({tst} min), less than the 7 h recommended "
            "for adults.",
            "Measured sleep was {tst} min, or {tst_h} h, under the 7 h advised for adults.",
        )
    return _with_range(w.say("night duration", options, **values), insights)


def _quality(w: Writer, row: Row) -> str:
    if not row["has_sleep_stages"]:
        return ""
    values = _values(row)
    meets = row["meets"]
    unjudged = [t for t in ("efficiency", "waso") if _unjudged(row, t)]
    if unjudged:
        markers = (
            "either continuity marker"
            if len(unjudged) == 2
            else "the efficiency marker"
            if unjudged == ["efficiency"]
            else "the WASO marker"
        )
        return w.say(
            "night quality gap",
            (
                "Recorded efficiency was {eff}% and WASO {waso} min; the {gap} min without a "
                "stage could be sleep or wake, so {markers} cannot be applied.",
                "With {gap} min of the time in bed unstaged, efficiency ({eff}%) and WASO "
                "({waso} min) are bounds rather than measurements, and {markers} cannot be "
                "applied.",
            ),
            markers=markers,
            **values,
        )
    if meets["efficiency"] is None:
        return w.say(
            "night quality plain",
            (
                "Efficiency was {eff}% and wake after sleep onset {waso} min.",
                "Sleep efficiency {eff}%, WASO {waso} min.",
            ),
            **values,
        )
    state = (bool(meets["efficiency"]), bool(meets["waso"]))
    options = {
        (True, True): (
            "Sleep was consolidated: efficiency {eff}% (the marker is 85% or more) and WASO "
            "{waso} min (20 min or less).",
            "Efficiency of {eff}% and {waso} min awake after sleep onset both sit within the "
            "quality markers of at least 85% and at most 20 min.",
            "Continuity was good, with {eff}% efficiency and {waso} min of WASO.",
            "Both continuity markers were met: efficiency {eff}%, WASO {waso} min.",
        ),
        (True, False): (
            "Efficiency was {eff}%, meeting the 85% marker, but WASO reached {waso} min, more "
            "than the 20 min marker.",
            "WASO of {waso} min exceeds the 20 min marker even though efficiency held at "
            "{eff}% (85% or more).",
            "Continuity was mixed: {eff}% efficiency meets the marker, {waso} min of WASO "
            "does not (20 min or less).",
        ),
        (False, True): (
            "Efficiency was {eff}%, under the 85% marker, although WASO stayed at {waso} min "
            "(20 min or less).",
            "At {eff}%, efficiency misses the 85% marker; WASO of {waso} min is within 20 min.",
            "Continuity was mixed: WASO of {waso} min meets the marker, efficiency of {eff}% "
            "does not (85% or more).",
        ),
        (False, False): (
            "Sleep was fragmented: efficiency {eff}% (below 85%) and WASO {waso} min (above "
            "20 min).",
            "Neither continuity marker was met, with efficiency at {eff}% and {waso} min "
            "awake after sleep onset.",
            "Efficiency of {eff}% and WASO of {waso} min both fall outside the markers of at "
            "least 85% and at most 20 min.",
        ),
    }[state]
    return w.say("night quality", options, **values)


def _latency(w: Writer, row: Row) -> str:
    if not row["has_sleep_stages"]:
        return ""
    values = _values(row)
    if row["latency_missing"] == "unstaged before onset":
        return w.say(
            "night latency unstaged",
            (
                "Onset latency is unknown: the {pre} min between the start of the session "
                "({bed}) and sleep onset ({onset}) carry no stage, so they cannot be counted as "
                "time awake.",
                "The {pre} min before sleep onset ({onset}) are unstaged, so onset latency is "
                "unknown rather than measured.",
            ),
            **values,
        )
    if not row["latency_recorded"]:
        return w.say(
            "night latency missing",
            (
                "Onset latency is not recorded: the session begins with a sleep stage, so no "
                "time awake in bed was captured.",
                "The record starts asleep, so onset latency cannot be measured from it; it is "
                "unknown, not zero.",
                "No in-bed-awake period precedes the first sleep stage, so onset latency is "
                "not recorded.",
                "Onset latency is unknown for this night: the session opens at sleep onset "
                "({onset}).",
            ),
            **values,
        )
    met = row["meets"]["latency"]
    if met is None:
        return w.say("night latency plain", ("Onset latency was {lat} min.",), **values)
    at_limit = row["latency_min"] == 30
    options = (
        (
            "Sleep onset came {lat} min after the session began ({onset}), at the 30 min limit "
            "of the marker.",
            "Onset latency was {lat} min, right at the 30 min marker.",
        )
        if met and at_limit
        else (
            "Sleep onset came {lat} min after the session began ({onset}), within the 30 min "
            "marker.",
            "Onset latency was {lat} min, inside the 30 min marker.",
            "It took {lat} min to fall asleep, within 30 min.",
        )
        if met
        else (
            "Onset latency was {lat} min, longer than the 30 min marker.",
            "Falling asleep took {lat} min (sleep onset {onset}), beyond the 30 min marker.",
            "At {lat} min, onset latency exceeds 30 min.",
        )
    )
    return w.say("night latency", options, **values)


def _stages(w: Writer, row: Row) -> str:
    if not row["has_sleep_stages"]:
        return ""
    if row["light_percent"] is None:
        return "The stages do not separate light, deep and REM sleep."
    return w.say(
        "night stages",
        (
            "Stage shares were light {l}%, deep {d}% and REM {r}% (typical adult ranges "
            "45-55%, 15-20% and 20-25%; consumer staging is approximate).",
            "Of staged sleep, {l}% was light, {d}% deep and {r}% REM, against typical adult "
            "shares of about 45-55%, 15-20% and 20-25%.",
            "Light, deep and REM sleep made up {l}%, {d}% and {r}%; wearable staging estimates "
            "these less precisely than polysomnography.",
            "Architecture: {l}% light, {d}% deep, {r}% REM, as estimated by a consumer device.",
        ),
        l=row["light_percent"],
        d=row["deep_percent"],
        r=row["rem_percent"],
    )


def _coverage(w: Writer, row: Row) -> str:
    if not row["has_sleep_stages"] or not row["unstaged_min"]:
        return ""
    return w.say(
        "night coverage",
        (
            "{gap} min of the time in bed carry no stage, so sleep time may be underestimated.",
            "Stages cover {cov}% of the time in bed; the {gap} min without a stage count as "
            "neither sleep nor wake.",
        ),
        gap=row["unstaged_min"],
        cov=row["stage_coverage_percent"],
    )


def _corroboration(w: Writer, row: Row) -> list[str]:
    texts = []
    for other in row["corroboration"]:
        values = {
            "other": other["source_name"],
            "source": row["source_name"],
            "o_bed": other["bedtime"],
            "o_out": other["out_of_bed"],
            "o_tib": other["time_in_bed_min"],
            "o_tst": other["total_sleep_min"],
            "diff": other["total_sleep_difference_min"],
            "dir": other["total_sleep_direction"],
        }
        if other["total_sleep_min"] is None or row["total_sleep_min"] is None:
            options: tuple[str, ...] = (
                "{other} also logged the night ({o_tib} min in bed); it corroborates the "
                "primary record and is not a second night.",
                "A second record from {other} ({o_bed} to {o_out}) covers the same night and "
                "only corroborates it.",
            )
        elif other["total_sleep_direction"] == "same":
            options = (
                "{other} recorded the same night with the same sleep time ({o_tst} min); it "
                "corroborates the primary record.",
                "A second device, {other}, agrees exactly on sleep time ({o_tst} min); the "
                "two records are one night.",
            )
        else:
            options = (
                "{other} recorded the same night ({o_bed} to {o_out}, {o_tst} min asleep, "
                "{diff} min {dir}); it corroborates the primary record and is not counted as "
                "a second night.",
                "A second device, {other}, saw the same night with {o_tst} min asleep ({diff} "
                "min {dir} than the primary); the two are one night, never averaged or added.",
                "{other} corroborates the night with {o_tst} min of sleep, {diff} min {dir} "
                "than {source}; only the primary record's figures are used.",
                "The {other} record of the same night ({o_tst} min asleep) differs by {diff} "
                "min ({dir}); it serves as corroboration, not as another night.",
            )
        texts.append(w.say("night corroboration", options, **values))
    return texts


def _nap_values(nap: Row) -> dict[str, object]:
    return {
        "nap_weekday": nap["weekday"],
        "start": nap["start"],
        "end": nap["end"],
        "nap_tib": nap["time_in_bed_min"],
        "nap_tst": nap["total_sleep_min"],
        "nap_source": nap["source_name"],
    }


def _naps(w: Writer, insights: Mapping[str, Any]) -> list[str]:
    texts = []
    for nap in insights["naps"]:
        values = _nap_values(nap)
        if nap["total_sleep_min"] is not None:
            options: tuple[str, ...] = (
                "A {nap_tib}-min nap on {nap_weekday} at {start} ({nap_tst} min asleep) is "
                "reported on its own and not added to the night.",
                "Separately, {nap_source} logged a nap from {start} to {end} on {nap_weekday} "
                "({nap_tst} min asleep); it is kept out of the night's figures.",
                "The {nap_weekday} nap ({start} to {end}, {nap_tib} min in bed) counts apart "
                "from the night.",
            )
        else:
            options = (
                "A nap on {nap_weekday} from {start} to {end} ({nap_tib} min in bed, no "
                "stages) is reported apart from the night.",
            )
        texts.append(w.say("night nap", options, **values))
    for other in insights["other_sleep"]:
        texts.append(
            w.say(
                "night other sleep",
                (
                    "Another night-length sleep period, {start} to {end} ({nap_tib} min in "
                    "bed), is reported apart from the main night.",
                    "A further long sleep period ({start} to {end}) is kept apart from the "
                    "main night's figures.",
                ),
                **_nap_values(other),
            )
        )
    return texts


def _limits(w: Writer, row: Row | None) -> str:
    return w.pick(
        "night limits",
        (
            "This describes one night only; it is a snapshot, not a pattern.",
            "A single night cannot show a pattern; the weekly view is the place for that.",
            "As a single night, this says nothing yet about habits.",
            "One night is a snapshot and should be read alongside other nights.",
            "Taken alone, one night does not establish a trend in either direction.",
        ),
        None if row is None else row["total_sleep_min"],
    )


def _clock(w: Writer, insights: Mapping[str, Any]) -> str:
    return clock_sentence(w, insights["clock"], insights["clock_is_record_offsets"])


def _no_night(w: Writer, insights: Mapping[str, Any]) -> str:
    window = insights["window"]
    return w.say(
        "night missing",
        (
            "No night-length sleep was recorded for {weekday} night ({date}).",
            "The records hold no night's sleep for {weekday} {date}.",
            "For the night of {weekday} {date} there is no night-length sleep session.",
            "{weekday} night ({date}) has no recorded night's sleep.",
        ),
        weekday=window["weekday"],
        date=window["night_of"],
    )


def clinician_summary(w: Writer, insights: Mapping[str, Any]) -> str:
    row = insights["night"]
    if row is None:
        return sentences(
            _no_night(w, insights),
            *_naps(w, insights),
            w.pick(
                "night missing meaning",
                (
                    "Whether the person slept without a device or did not sleep cannot be told "
                    "from these records.",
                    "The absence of a record is not evidence of a sleepless night; the device "
                    "may not have been worn.",
                    "Nothing can be concluded about that night's sleep from missing data.",
                ),
                len(insights["naps"]),
            ),
            _clock(w, insights),
        )
    return sentences(
        _opening(w, row),
        _duration(w, row, insights),
        _quality(w, row),
        _latency(w, row),
        _stages(w, row),
        "" if row["unjudged_for_stage_gaps"] else _coverage(w, row),
        *_corroboration(w, row),
        *_naps(w, insights),
        _limits(w, row),
        _clock(w, insights),
    )


# -- note to the person ---------------------------------------------------------------------------


def _note_duration(w: Writer, row: Row, insights: Mapping[str, Any]) -> str:
    values = _values(row)
    if not row["has_sleep_stages"]:
        return w.say(
            "note no stages",
            (
                "{source} logged {tib_h} hours in bed on {weekday} night, but without sleep "
                "stages it can't tell how much of that was sleep.",
                "On {weekday} night you spent {tib_h} hours in bed; this recording has no sleep "
                "stages, so your actual sleep time isn't known.",
            ),
            **values,
        )
    if _unjudged(row, "duration"):
        return w.say(
            "note duration gap",
            (
                "Your tracker recorded {tst_h} hours of sleep on {weekday} night, but {gap} "
                "minutes of your time in bed have no sleep data, so it can't tell whether you "
                "reached 7 hours.",
                "On {weekday} night {tst} minutes of sleep were recorded; another {gap} minutes "
                "in bed weren't classified at all, so whether you got 7 hours isn't known.",
            ),
            **values,
        )
    met = row["meets"]["duration"]
    blurred = _hours_blurred(row, insights)
    if met is None:
        options: tuple[str, ...] = (
            "You slept {tst_h} hours on {weekday} night ({tst} minutes).",
            "On {weekday} night you got {tst} minutes of sleep, about {tst_h} hours.",
        )
    elif row["duration_band"] == "above":
        values["range"] = insights["nsf_recommended_h"] or f"7-{insights['recommended_max_h']}"
        options = (
            ("On {weekday} night you slept {tst} minutes, just past the {range} hours "
             "recommended.",)
            if blurred
            else (
                "You slept {tst_h} hours on {weekday} night ({tst} minutes), more than the "
                "{range} hours recommended.",
                "On {weekday} night you got {tst} minutes of sleep ({tst_h} h), above the "
                "recommended {range} hours.",
            )
        )  # fmt: skip
    elif met:
        options = (
            "You slept {tst_h} hours on {weekday} night ({tst} minutes), which meets the 7 "
            "hours adults need.",
            "{tst_h} hours of sleep on {weekday} night: you reached the 7-hour mark.",
            "On {weekday} night you got {tst} minutes of sleep ({tst_h} h), enough to reach "
            "the 7-hour goal.",
            "{weekday} night gave you {tst_h} hours asleep, in the 7-hours-plus range.",
        )
    elif blurred:
        options = ("On {weekday} night you got {tst} minutes of sleep, just short of 7 hours.",)
    else:
        options = (
            "You slept {tst_h} hours on {weekday} night ({tst} minutes), under the 7 hours "
            "adults need.",
            "On {weekday} night you got {tst} minutes of sleep ({tst_h} h), short of the "
            "7-hour goal.",
            "{weekday} night came in at {tst_h} hours of sleep, below the 7 hours to aim for.",
            "Your sleep on {weekday} night was {tst_h} hours, so you missed the 7-hour mark.",
        )
    return w.say("note duration", options, **values)


def _note_gap(w: Writer, row: Row | None) -> str:
    """The caveat every example stating a night's sleep time carries when stages leave part of
    the time in bed unclassified (:func:`_note_gap_after_duration` beside the duration
    sentence, which says it itself when it withholds a verdict)."""
    if row is None or not row["has_sleep_stages"] or not row["unstaged_min"]:
        return ""
    return w.say(
        "note gap",
        (
            "{gap} minutes of your time in bed have no sleep data, so your real sleep time may "
            "be higher than shown.",
            "Your tracker left {gap} minutes of your time in bed unclassified, so these sleep "
            "figures may undercount.",
        ),
        gap=row["unstaged_min"],
    )


def _note_gap_after_duration(w: Writer, row: Row) -> str:
    return "" if _unjudged(row, "duration") else _note_gap(w, row)


def _note_continuity(w: Writer, row: Row) -> str:
    if not row["has_sleep_stages"]:
        return ""
    values = _values(row)
    meets = row["meets"]
    if _unjudged(row, "efficiency") or _unjudged(row, "waso"):
        return w.say(
            "note continuity gap",
            (
                "Part of your night wasn't classified, so how unbroken your sleep was can't be "
                "judged: {eff}% of your time in bed is recorded as sleep, with {waso} minutes "
                "awake after falling asleep.",
                "Recorded sleep filled {eff}% of your time in bed, with {waso} minutes awake "
                "after dropping off, but with part of the night unclassified that's not the "
                "full picture.",
            ),
            **values,
        )
    if meets["efficiency"] is None:
        return w.say(
            "note continuity plain",
            ("About {eff}% of your time in bed was sleep, with {waso} minutes awake after "
             "you first fell asleep.",),
            **values,
        )  # fmt: skip
    if meets["efficiency"] and meets["waso"]:
        options: tuple[str, ...] = (
            "You stayed asleep well: just {waso} minutes awake after first dropping off, and "
            "{eff}% of your time in bed was sleep.",
            "Your sleep was solid, with {eff}% efficiency and only {waso} minutes awake in the "
            "night.",
            "Once asleep you mostly stayed that way: {waso} minutes awake in total.",
        )
    elif not meets["waso"]:
        options = (
            "You spent {waso} minutes awake after first falling asleep, more than the 20 "
            "minutes that marks unbroken sleep.",
            "Your night was a bit broken, with {waso} minutes awake after you first fell asleep.",
        )
    else:
        options = (
            "Only {eff}% of your time in bed was spent asleep; 85% or more is the usual goal.",
            "You spent a fair part of your time in bed awake: sleep filled {eff}% of it.",
        )
    return w.say("note continuity", options, **values)


def _note_latency(w: Writer, row: Row) -> str:
    if not row["has_sleep_stages"]:
        return ""
    values = _values(row)
    if row["latency_missing"] == "unstaged before onset":
        return w.say(
            "note latency unstaged",
            (
                "Your tracker has no data for the {pre} minutes before you fell asleep, so how "
                "long you took to drift off isn't known.",
                "How long it took you to fall asleep isn't known: the {pre} minutes before "
                "sleep weren't classified as awake or asleep.",
            ),
            **values,
        )
    if not row["latency_recorded"]:
        return w.say(
            "note latency missing",
            (
                "{source} started recording once you were already asleep, so it can't tell "
                "how long you took to drift off.",
                "How long you took to fall asleep isn't known: the recording begins with sleep.",
                "There's no reading of how long it took you to fall asleep this time; the "
                "record starts at sleep.",
            ),
            **values,
        )
    if row["meets"]["latency"] is False:
        return w.say(
            "note latency long",
            (
                "It took you {lat} minutes to fall asleep, longer than the 30 minutes that "
                "usually signals easy sleep onset.",
                "Falling asleep took a while: {lat} minutes.",
            ),
            **values,
        )
    return w.say(
        "note latency",
        (
            "You fell asleep {lat} minutes after going to bed.",
            "Drifting off took you {lat} minutes.",
            "You were asleep {lat} minutes after lights out.",
        ),
        **values,
    )


def _note_devices(w: Writer, row: Row) -> str:
    others = [o for o in row["corroboration"] if o["total_sleep_min"] is not None]
    if not others or row["total_sleep_min"] is None:
        return ""
    other = others[0]
    values = {
        "other": other["source_name"],
        "diff": other["total_sleep_difference_min"],
        "dir": other["total_sleep_direction"],
    }
    if other["total_sleep_direction"] == "same":
        return w.say(
            "note devices same",
            ("{other} saw exactly the same amount of sleep; the night counts once.",),
            **values,
        )
    return w.say(
        "note devices",
        (
            "{other} saw much the same night ({diff} minutes {dir} sleep); it's counted once, "
            "not twice.",
            "Your second device, {other}, counted {diff} minutes {dir} sleep, and the night "
            "still counts once.",
            "{other} tracked the night too, with {diff} minutes {dir} sleep; both records "
            "describe the same single night.",
        ),
        **values,
    )


def _note_naps(w: Writer, insights: Mapping[str, Any]) -> str:
    naps = insights["naps"]
    if not naps:
        return ""
    if insights["night"] is None:
        return w.say(
            "note nap no night",
            (
                "Your {nap_tib}-minute nap at {start} was recorded, but a nap is counted on its "
                "own and doesn't stand in for the night.",
                "A nap from {start} to {end} is on record; it's kept apart and doesn't replace "
                "the missing night.",
            ),
            **_nap_values(naps[0]),
        )
    return w.say(
        "note nap",
        (
            "Your {nap_tib}-minute nap at {start} is counted separately from the night.",
            "The nap at {start} ({nap_tib} minutes) is kept apart from your night's total.",
            "Your {nap_weekday} nap ({start} to {end}) doesn't change the night's numbers; it's "
            "listed on its own.",
        ),
        **_nap_values(naps[0]),
    )


def _note_tip(w: Writer, row: Row) -> str:
    meets = row["meets"]
    if row["duration_band"] == "above":
        options: tuple[str, ...] = (
            "A long night now and then often follows short ones; if nights this long keep "
            "happening, it's worth mentioning to a doctor.",
            "If very long nights like this become common, bring it up with your doctor.",
        )
    elif meets["duration"] is False:
        options = (
            "If you can, getting to bed a little earlier would help you reach 7 hours.",
            "A slightly earlier bedtime on nights like this would make 7 hours easier to reach.",
            "Protecting a bit more time in bed could close the gap to 7 hours.",
        )
    elif meets["efficiency"] is False or meets["waso"] is False:
        options = (
            "A cool, dark, quiet room can help keep the night unbroken.",
            "Cutting back on late caffeine or alcohol often helps sleep stay continuous.",
        )
    elif row["duration_band"] == "within" and not row["unjudged_for_stage_gaps"]:
        options = (
            "Keep doing what you're doing.",
            "Whatever you did that evening seems to suit you.",
            "That's a night worth repeating.",
        )
    else:
        return ""
    return w.pick("note tip", options, row["total_sleep_min"], row["waso_min"])


def _note_snapshot(w: Writer, row: Row | None) -> str:
    return w.pick(
        "note snapshot",
        (
            "Remember this is one night; your weekly summary shows the bigger picture.",
            "One night on its own is just a snapshot.",
            "Don't read too much into a single night.",
            "Look at the whole week before drawing conclusions.",
        ),
        None if row is None else row["waso_min"],
    )


def personal_note(w: Writer, insights: Mapping[str, Any]) -> str:
    row = insights["night"]
    if row is None:
        window = insights["window"]
        return sentences(
            w.say(
                "note missing",
                (
                    "Your devices didn't record a night's sleep for {weekday} night ({date}).",
                    "There's no sleep recording for {weekday} night, {date}.",
                    "Nothing was recorded for your sleep on {weekday} night ({date}).",
                ),
                weekday=window["weekday"],
                date=window["night_of"],
            ),
            _note_naps(w, insights),
            w.pick(
                "note missing tip",
                (
                    "If you slept without your tracker, that's fine; it just means this night "
                    "isn't in your numbers.",
                    "Wearing your tracker to bed lets it count every night.",
                ),
                len(insights["naps"]),
            ),
        )
    return sentences(
        _note_duration(w, row, insights),
        _note_gap_after_duration(w, row),
        _note_continuity(w, row),
        _note_latency(w, row),
        _note_devices(w, row),
        _note_naps(w, insights),
        _note_tip(w, row),
        _note_snapshot(w, row),
    )


# -- comparison -----------------------------------------------------------------------------------


def _points(n: float) -> str:
    return "point" if n == 1 else "points"


def _moved(moved: Mapping[str, Any], unit: str, name: str) -> str:
    if moved["direction"] == "same":
        return f"the same {name}"
    return f"{moved['difference']}{unit} {moved['direction']} {name}"


def comparison(w: Writer, insights: Mapping[str, Any]) -> str | None:
    before = insights["previous_night"]
    moved = insights["change_from_previous_night"]
    row = insights["night"]
    if before is None or moved is None or row is None:
        return None
    tst = _moved(moved["total_sleep_min"], " min", "sleep")
    eff = moved["efficiency_percent"]
    eff_text = (
        "the same efficiency"
        if eff["direction"] == "same"
        else f"efficiency {eff['difference']} {_points(eff['difference'])} {eff['direction']}"
    )
    waso = _moved(moved["waso_min"], " min", "WASO")
    onset = moved["sleep_onset"]
    onset_text = (
        "Sleep onset came at the same time."
        if onset["direction"] == "same"
        else w.say(
            "comparison onset",
            (
                "Sleep onset was {n} min {d} ({now} against {then}).",
                "Sleep began {n} min {d} than the night before, at {now}.",
                "The person fell asleep {n} min {d}, at {now} rather than {then}.",
            ),
            n=onset["difference"],
            d=onset["direction"],
            now=row["sleep_onset"],
            then=before["sleep_onset"],
        )
    )
    values = {
        "weekday": row["weekday"],
        "p_weekday": before["weekday"],
        "p_date": before["night_of"],
        "tst": row["total_sleep_min"],
        "p_tst": before["total_sleep_min"],
        "eff": row["efficiency_percent"],
        "p_eff": before["efficiency_percent"],
        "waso": row["waso_min"],
        "p_waso": before["waso_min"],
        "tst_change": tst,
        "eff_change": eff_text,
        "waso_change": waso,
    }
    head = w.say(
        "comparison head",
        (
            "Compared with {p_weekday} night ({p_date}), {weekday} night had {tst_change} "
            "({tst} against {p_tst} min), {eff_change} ({eff}% against {p_eff}%) and "
            "{waso_change} ({waso} against {p_waso} min).",
            "{weekday} night against {p_weekday} night: {tst_change} ({p_tst} to {tst} min), "
            "{eff_change} ({p_eff}% to {eff}%), {waso_change} ({p_waso} to {waso} min).",
            "Relative to the night before ({p_weekday} {p_date}), total sleep went from "
            "{p_tst} to {tst} min ({tst_change}), efficiency from {p_eff}% to {eff}% and WASO "
            "from {p_waso} to {waso} min ({waso_change}).",
            "Set beside {p_weekday} night, this night shows {tst_change}, {eff_change} and "
            "{waso_change} ({tst}, {eff}% and {waso} min against {p_tst}, {p_eff}% and "
            "{p_waso} min).",
        ),
        **values,
    )
    # No wording calls a difference "ordinary": without a personal baseline (clinical.md) the
    # size of a normal night-to-night swing is not known. What the data can say is whether the
    # two nights fall on different sides of the recommended range.
    crossing = ""
    bands = {"below": "under 7 h", "within": "within the recommended range",
             "above": "above the recommended range"}  # fmt: skip
    if (
        row["duration_band"] is not None
        and before["duration_band"] is not None
        and row["duration_band"] != before["duration_band"]
    ):
        crossing = w.say(
            "comparison crossing",
            (
                "Sleep time moved from {then} to {now}, a large swing between consecutive nights.",
                "The two nights sit in different places against the recommendation: {then} "
                "before, {now} now.",
            ),
            then=bands[before["duration_band"]],
            now=bands[row["duration_band"]],
        )
    verdict = ""
    if insights["adult_targets_apply"]:
        verdict = w.pick(
            "comparison duration verdict",
            (
                "A difference between two single nights is not a trend.",
                "Two single nights cannot establish a direction of change.",
                "Two nights are two data points; they say nothing yet about a trend.",
            ),
            row["total_sleep_min"],
            before["total_sleep_min"],
        )
    gaps = [(n["weekday"], n["unstaged_min"]) for n in (before, row) if n["unstaged_min"]]
    caveat = " ".join(
        w.say(
            "comparison gap",
            (
                "{gap} min of {weekday} night carry no stage, so its sleep time and efficiency "
                "may be underestimated.",
                "On {weekday} night {gap} min in bed are unstaged; its figures are lower bounds.",
            ),
            weekday=weekday,
            gap=gap,
        )
        for weekday, gap in gaps
    )
    return sentences(capital(head), onset_text, crossing, caveat, verdict, _clock(w, insights))


# -- questions --------------------------------------------------------------------------------

QUESTIONS: dict[str, tuple[str, ...]] = {
    "duration": (
        "How long did I sleep on {weekday} night?",
        "How much sleep did I get on {weekday} night?",
        "Did I get enough sleep on {weekday} night?",
        "Was {weekday} night's sleep long enough?",
        "How many hours did I actually sleep on {weekday} night?",
        "Did I reach 7 hours of sleep on {weekday} night?",
        "What was my total sleep time for {weekday} night?",
        "How did my sleep duration look on {weekday} night?",
    ),
    "latency": (
        "How long did it take me to fall asleep on {weekday} night?",
        "How quickly did I fall asleep on {weekday} night?",
        "What was my sleep onset latency on {weekday} night?",
        "Did I have trouble falling asleep on {weekday} night?",
        "How long was I lying awake before sleep on {weekday} night?",
        "Was I slow to fall asleep on {weekday} night?",
        "How many minutes did it take me to drop off on {weekday} night?",
        "Can you tell how fast I fell asleep on {weekday} night?",
    ),
    "continuity": (
        "Was my sleep broken on {weekday} night?",
        "Did I wake up much during {weekday} night?",
        "How restless was my sleep on {weekday} night?",
        "How much time was I awake after falling asleep on {weekday} night?",
        "Did I stay asleep through {weekday} night?",
        "How efficient was my sleep on {weekday} night?",
        "Was {weekday} night's sleep continuous?",
        "How many minutes was I awake during {weekday} night?",
    ),
    "devices": (
        "Did my devices agree about {weekday} night?",
        "Why are there two sleep records for {weekday} night?",
        "Which device's sleep record counts for {weekday} night?",
        "Two devices tracked {weekday} night; which one is used?",
        "Is {weekday} night counted twice because two devices recorded it?",
        "How different were the two recordings of {weekday} night?",
        "Do my two sleep trackers match for {weekday} night?",
        "Should both devices' sleep be added up for {weekday} night?",
    ),
    "nap": (
        "Did I nap on {nap_weekday}?",
        "Was there a nap on {nap_weekday}?",
        "How long was my nap on {nap_weekday}?",
        "Does my {nap_weekday} nap count toward my night's sleep?",
        "When did I nap on {nap_weekday}?",
        "Did my nap on {nap_weekday} get added to my sleep total?",
        "How was my {nap_weekday} nap recorded?",
        "Tell me about my nap on {nap_weekday}.",
    ),
    "missing": (
        "Why is there no sleep for {weekday} night?",
        "What happened to my sleep on {weekday} night?",
        "Did my tracker record {weekday} night?",
        "How much did I sleep on {weekday} night?",
        "Is {weekday} night's sleep missing?",
        "Where is my sleep data for {weekday} night?",
        "Can you summarise {weekday} night's sleep?",
        "Was anything recorded on {weekday} night?",
    ),
}


Fact = tuple[str, tuple[str, ...], dict[str, object]]


def _facts(row: Row | None, insights: Mapping[str, Any], skip: set[str]) -> list[Fact]:
    """Findings an answer may add beside the one it is about."""
    facts: list[Fact] = []
    if row is not None and row["has_sleep_stages"]:
        values = _values(row)
        facts += [
            ("tst", ("All told you slept {tst} minutes ({tst_h} h).",
                     "Your total sleep that night was {tst_h} hours."), values),
            ("times", ("You fell asleep at {onset} and woke for good at {wake}.",
                       "Your sleep ran from {onset} to {wake}."), values),
            ("efficiency", ("Sleep filled {eff}% of your time in bed.",
                            "Your sleep efficiency was {eff}%."), values),
            ("waso", ("You were awake {waso} minutes in all after first falling asleep.",
                      "Time awake after sleep onset came to {waso} minutes."), values),
            ("bed", ("You were in bed from {bed} to {out}.",
                     "Your time in bed ran from {bed} until {out}."), values),
        ]  # fmt: skip
        if row["light_percent"] is not None:
            facts.append(
                ("stages", ("Light, deep and REM sleep made up {l}%, {d}% and {r}% of it.",
                            "About {d}% of your sleep was deep and {r}% REM."),
                 {"l": row["light_percent"], "d": row["deep_percent"], "r": row["rem_percent"]})
            )  # fmt: skip
        others = [o for o in row["corroboration"] if o["total_sleep_min"] is not None]
        if others:
            facts.append(
                ("device", ("{other} logged {o_tst} minutes for the same night.",
                            "A second device, {other}, saw the same night ({o_tst} min asleep)."),
                 {"other": others[0]["source_name"], "o_tst": others[0]["total_sleep_min"]})
            )  # fmt: skip
    if insights["naps"]:
        facts.append(
            ("nap", ("You also napped at {start} on {nap_weekday}, counted separately.",
                     "A {nap_tib}-minute nap at {start} is kept apart from the night."),
             _nap_values(insights["naps"][0]))
        )  # fmt: skip
    return [fact for fact in facts if fact[0] not in skip]


def _answer_nap(w: Writer, insights: Mapping[str, Any]) -> str:
    nap = insights["naps"][0]
    values = _nap_values(nap)
    asleep = (
        w.say(
            "answer nap",
            (
                "{nap_source} recorded a nap on {nap_weekday} from {start} to {end}, with "
                "{nap_tst} minutes asleep.",
                "The nap ran from {start} to {end} on {nap_weekday} ({nap_tst} min of sleep).",
                "{nap_source} recorded a {nap_tib}-minute nap starting at {start} on "
                "{nap_weekday}, with {nap_tst} minutes of sleep.",
                "On {nap_weekday} afternoon you slept {nap_tst} minutes, from {start} to {end}.",
            ),
            **values,
        )
        if nap["total_sleep_min"] is not None
        else w.say(
            "answer nap unstaged",
            (
                "{nap_source} logged a nap on {nap_weekday} from {start} to {end} ({nap_tib} "
                "min in bed), without sleep stages.",
            ),
            **values,
        )
    )
    counted = w.pick(
        "answer nap counted",
        (
            "It's counted on its own and never added to your night's sleep.",
            "Naps are reported apart, so your night's figures don't include it.",
            "It stays separate from the night: the night's totals are unchanged.",
        ),
        nap["start"],
    )
    extra = ""
    if insights["night"] is None:
        extra = "It doesn't stand in for the night, which has no record."
    elif len(insights["naps"]) > 1:
        extra = f"There were {len(insights['naps'])} naps in all."
    also = w.one_of("answer nap also", _night_beside_nap(insights["night"]))
    return sentences(asleep, counted, extra, also)


def _night_beside_nap(row: Row | None) -> list[Fact]:
    """What a nap answer may add about the night: named as the night's, and never its sleep
    time or stage shares, which a reader would take for the nap's (the nap row holds no stage
    figures: a nap's staging by a consumer device says little)."""
    if row is None:
        return []
    values = _values(row)
    facts: list[Fact] = [
        ("bed", ("That night you were in bed from {bed} to {out}.",
                 "Your night's time in bed ran from {bed} until {out}."), values),
    ]  # fmt: skip
    if row["has_sleep_stages"]:
        facts.append(
            ("times", ("Your night's sleep ran from {onset} to {wake}.",
                       "That night you fell asleep at {onset} and woke for good at {wake}."),
             values)
        )  # fmt: skip
    return facts


def _answer(w: Writer, kind: str, insights: Mapping[str, Any]) -> str:
    row = insights["night"]
    if kind == "missing":
        return sentences(
            personal_note(w, insights).split(". ")[0].rstrip(".") + ".",
            w.pick(
                "answer missing",
                (
                    "Either the device was not worn or it did not record, so how much you "
                    "slept is unknown rather than zero.",
                    "Without a recording, your sleep that night is unknown, not zero.",
                    "A missing record is not a sleepless night; it only means nothing was "
                    "captured.",
                ),
                len(insights["naps"]),
            ),
            _note_naps(w, insights),
        )
    if kind == "nap":
        return _answer_nap(w, insights)
    assert row is not None
    values = _values(row)
    if kind == "duration":
        return sentences(
            _note_duration(w, row, insights),
            w.say(
                "answer duration context",
                (
                    "You were in bed from {bed} to {out} ({tib} min), asleep for {eff}% of it.",
                    "Your time in bed ran {tib} minutes, {bed} to {out}.",
                    "That sleep came within {tib_h} hours in bed, from {bed} until {out}.",
                    "You spent {tib} minutes in bed that night.",
                ),
                **values,
            ),
            _note_gap_after_duration(w, row),
            w.one_of("answer duration also", _facts(row, insights, {"tst", "bed"})),
            _note_tip(w, row),
        )
    if kind == "latency":
        if not row["latency_recorded"]:
            return sentences(
                w.say(
                    "answer latency missing lead",
                    (
                        "For {weekday} night that isn't known.",
                        "There's no latency figure for {weekday} night.",
                        "{weekday} night's recording can't answer that.",
                        "Not for {weekday} night, unfortunately.",
                    ),
                    **values,
                ),
                _note_latency(w, row),
                w.say(
                    "answer latency missing",
                    (
                        "What the record does show is your first sleep stage at {onset}.",
                        "It shows you asleep from {onset}, but not how long you lay awake "
                        "before that.",
                        "So the figure is unknown, not zero; sleep is recorded from {onset}.",
                    ),
                    **values,
                ),
                w.one_of("answer latency also", _facts(row, insights, {"times", "bed"})),
                _note_gap(w, row),
            )
        verdict = (
            ""
            if row["meets"]["latency"] is None
            else w.pick(
                "answer latency verdict",
                ("That's right at the 30-minute limit of what's considered normal.",
                 "Up to 30 minutes is considered normal, so that's just at the limit.")
                if row["meets"]["latency"] and row["latency_min"] == 30
                else ("That's within the 30 minutes considered normal.",
                      "Anything up to 30 minutes is considered normal, so that's fine.",
                      "That sits inside the usual 30-minute mark.",
                      "Falling asleep within 30 minutes counts as normal, and you did.")
                if row["meets"]["latency"]
                else ("That's longer than the 30 minutes considered normal.",
                      "More than 30 minutes counts as slow to fall asleep."),
                row["latency_min"],
            )
        )  # fmt: skip
        return sentences(
            w.say(
                "answer latency lead",
                (
                    "On {weekday} night you got into bed at {bed} and were asleep by {onset}.",
                    "{weekday} night: bed at {bed}, sleep from {onset}.",
                    "You went to bed at {bed} on {weekday} night.",
                    "On {weekday} night your session began at {bed}.",
                ),
                **values,
            ),
            _note_latency(w, row),
            verdict,
            w.one_of("answer latency also", _facts(row, insights, {"bed"})),
            _note_gap(w, row),
        )
    if kind == "continuity":
        return sentences(
            _note_continuity(w, row),
            w.say(
                "answer continuity context",
                (
                    "On {weekday} night, between falling asleep at {onset} and waking at "
                    "{wake}, sleep filled {eff}% of your time in bed.",
                    "Between {onset} and your final awakening at {wake} on {weekday} night, you "
                    "were awake for {waso} minutes in all.",
                    "Your sleep efficiency on {weekday} night was {eff}%, counting from {bed} "
                    "to {out}.",
                    "{weekday} night's WASO, the time awake after first falling asleep, was "
                    "{waso} minutes.",
                ),
                **values,
            ),
            _coverage(w, row),
            w.one_of("answer continuity also", _facts(row, insights, {"waso", "efficiency"})),
        )
    other = next(o for o in row["corroboration"] if o["total_sleep_min"] is not None)
    return sentences(
        w.say(
            "answer devices",
            (
                "Your figures for {weekday} night come from {source} ({tst} min asleep); "
                "{other} recorded {o_tst} min.",
                "For {weekday} night, {source} is the main record ({tst} min of sleep), and "
                "{other} logged {o_tst} min.",
                "{other} counted {o_tst} minutes of sleep on {weekday} night against {tst} on "
                "{source}, which is the record used.",
                "On {weekday} night {source} measured {tst} minutes of sleep and {other} "
                "{o_tst}; {source} is the one used.",
            ),
            other=other["source_name"],
            o_tst=other["total_sleep_min"],
            **values,
        ),
        w.say(
            "answer devices gap",
            (
                "The two differ by {diff} minutes of sleep.",
                "That's a gap of {diff} minutes between them.",
                "{other} came out {diff} minutes {dir} than the main record.",
            )
            if other["total_sleep_direction"] != "same"
            else ("The two agree exactly.", "Both devices counted the same sleep time."),
            diff=other["total_sleep_difference_min"],
            dir=other["total_sleep_direction"],
            other=other["source_name"],
        ),
        w.pick(
            "answer devices rule",
            (
                "They describe one night, so they're never added together or averaged.",
                "Both recorded the same single night; the second only confirms the first.",
                "One night stays one night, however many devices see it.",
            ),
            other["total_sleep_min"],
        ),
        w.one_of("answer devices also", _facts(row, insights, {"device", "tst"})),
        _note_gap(w, row),
    )


def questions(w: Writer, insights: Mapping[str, Any]) -> list[ExampleText]:
    row = insights["night"]
    window = insights["window"]
    salient: list[str] = []
    optional: list[str] = []
    if row is None:
        salient.append("missing")
    else:
        if row["has_sleep_stages"]:
            if not row["latency_recorded"] or row["meets"]["latency"] is False:
                salient.append("latency")
            else:
                optional.append("latency")
            if row["meets"]["duration"] is False or row["duration_band"] != "within":
                salient.append("duration")
            else:
                optional.append("duration")
            optional.append("continuity")
        if row["corroboration"] and row["total_sleep_min"] is not None:
            optional.append("devices")
    if insights["naps"]:
        salient.append("nap")
    chosen = (salient + w.order("question order", optional))[:3]
    nap_weekday = insights["naps"][0]["weekday"] if insights["naps"] else ""
    examples = []
    for kind in chosen:
        question = w.say(
            f"question {kind}", QUESTIONS[kind], weekday=window["weekday"], nap_weekday=nap_weekday
        )
        examples.append(
            ExampleText(ExampleKind.QUESTION, _answer(w, kind, insights), question=question)
        )
    return examples


def night_examples(key: str, insights: Mapping[str, Any]) -> list[ExampleText]:
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
