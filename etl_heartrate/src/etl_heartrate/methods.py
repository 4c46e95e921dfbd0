"""The definitions behind the insights, for ``ProcessResult.methods`` (written to the example's
``metadata.methods``, never into its output). Each names its source in clinical.md."""

from __future__ import annotations

RESTING_METHOD = (
    "Resting heart rate of a local day: samples averaged per clock minute; the lowest mean of "
    "30 consecutive minutes among windows with at least 20 monitored minutes; only for days with "
    "at least 20% of their 1,440 minutes monitored (clinical.md, Heart rate: the minimum rolling "
    "30-minute mean in a local day)."
)
HEART_RATE_DAY_METHODS = {
    "resting_bpm": RESTING_METHOD,
    "resting_status": "Compared with the usual adult resting range of 60-100 bpm (clinical.md).",
    "episodes": (
        "A sustained period is at least 3 consecutive samples over at least 5 minutes beyond the "
        "threshold, no gap over 5 minutes: above 100 bpm (tachycardia) or below 50 bpm "
        "(bradycardia, 2018 ACC/AHA/HRS guideline). Only the samples inside the local day count."
    ),
    "zones": (
        "With an adult age only: HRmax = 220 - age; ACSM bands moderate 64-76% and vigorous "
        "77-95% of HRmax; an elevated-activity bout is sustained at or above 64% HRmax."
    ),
    "change_from_previous_day_bpm": (
        "This day's resting value minus the previous day's, both as displayed (0.1 bpm); one day "
        "is not a change (clinical.md, Longitudinal windows)."
    ),
}
HEART_RATE_WEEK_METHODS = {
    "daily resting_bpm": RESTING_METHOD,
    "median_resting_bpm": "Median of the week's daily resting values (as displayed, 0.1 bpm).",
    "baseline": (
        "Personal baseline: the median of the daily resting values of the 28 days before the "
        "week, given from 14 days with a value; otherwise no personal baseline yet (clinical.md, "
        "Longitudinal windows)."
    ),
    "change_from_baseline_bpm": (
        "Week median minus baseline, stated only when at least 5 of the 7 days have a resting "
        "value (one day is not a change; the weekly figures of clinical.md need 5 of 7)."
    ),
    "notable_rise": (
        "A rise of 5 bpm or more of the week's median over the baseline: wearable studies treat "
        "a sustained rise of about 5 bpm as notable (Radin et al., Lancet Digit Health "
        "2020;2:e85, via clinical.md)."
    ),
    "change_from_previous_week_bpm": (
        "Week median minus the previous week's, when both weeks have at least 5 days with a "
        "resting value."
    ),
}
HRV_METHODS = {
    "night": (
        "A night runs from local noon to the next local noon and is named by its first date. "
        "Its value is the mean of ln RMSSD over its measurements (ln of the geometric mean): "
        "readiness practice works in ln RMSSD (Plews et al., clinical.md), and averaging in the "
        "log scale keeps a few high readings from dominating a night."
    ),
    "rolling_ln_mean": (
        "Rolling 7-night mean: the mean of the nightly values of the 7 calendar nights ending "
        "with the night, from at least 3 nights with a value (Plews et al., clinical.md)."
    ),
    "band": (
        "Personal band: mean +- 0.5 SD (sample SD) of the nightly values of the 28 nights before "
        "the first night of the rolling mean it judges (nights N-34 to N-7), from at least 14 "
        "nights, so it never includes the nights it judges (clinical.md, Longitudinal windows: "
        "Plews 2012-2014, Vesterinen 2016, Javaloyes 2019)."
    ),
    "status": (
        "A night is above or below the band when its rolling mean is, comparing the values as "
        "displayed (two decimals)."
    ),
}


HEART_RATE_FILE_METHODS = {
    "resting_bpm": ("Mean of the qualifying local days' resting values. " + RESTING_METHOD),
    "episodes": HEART_RATE_DAY_METHODS["episodes"].replace(
        " Only the samples inside the local day count.", ""
    ),
    "zones": HEART_RATE_DAY_METHODS["zones"],
}
HRV_FILE_METHODS = {
    "night": HRV_METHODS["night"],
    "baseline": (
        "Within one file: the rolling mean of nightly ln RMSSD over the 7 calendar nights "
        "ending with each night, from 3 nights, against the file's long-term mean +- 0.5 SD of "
        "its nightly values (Plews et al., clinical.md). The calendar windows judge each night "
        "against a band from earlier nights only."
    ),
}
