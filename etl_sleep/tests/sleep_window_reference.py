"""Plain reference code for the window tests: every expected window insight computed from the
raw exports with the textbook definitions (clinical.md), nothing imported from ``etl_sleep``.

The steps are the ones the definitions name: decode every export, keep the newest version of
each record (``metadata.lastModifiedTimeEpochMillis``), read times in the record's own offset,
chain overlapping sessions into sleep periods, take the primary session (sleep stages first,
then the most time covered by stages, then the earlier start, then the id), and compute the
figures from the stage list by plain sums. The stage lists of the synthetic person are tidy
(sorted, touching, inside their session), which :func:`session_facts` checks first, so plain
sums are the definitions.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

from etl_core.testing import read_avro

SLEEP = {"LIGHT", "DEEP", "REM", "SLEEPING"}
WAKE = {"AWAKE", "OUT_OF_BED"}
NAMES = {"com.sec.android.app.shealth": "Samsung Health", "com.ouraring.oura": "Oura"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MIN = 60_000
NIGHT_MIN_MS = 180 * MIN
DAY_MS = 86_400_000
EPOCH = 30_000


# -- records ------------------------------------------------------------------------------------


def newest_sessions(exports: Iterable[Any]) -> list[dict[str, Any]]:
    """Every distinct SleepSessionRecord of the exports, newest version of each id."""
    chosen: dict[str, dict[str, Any]] = {}
    for export in exports:
        if getattr(export, "record_type", None) != "SleepSessionRecord":
            continue
        for record in read_avro(export.data):
            rid = record["metadata"]["id"]
            held = chosen.get(rid)
            modified = record["metadata"]["lastModifiedTimeEpochMillis"]
            if held is None or modified > held["metadata"]["lastModifiedTimeEpochMillis"]:
                chosen[rid] = record
    return list(chosen.values())


def zone_of(offset: str) -> timezone:
    sign = -1 if offset.startswith("-") else 1
    return timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))


def local(ms: int, offset: str) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(zone_of(offset))


def hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


# -- one session ----------------------------------------------------------------------------------


@dataclass
class Facts:
    record: dict[str, Any]
    rid: str
    source: str
    start: int
    end: int
    start_offset: str
    end_offset: str
    stages: list[tuple[str, int, int]]
    tst: int | None = None
    onset: int | None = None
    final: int | None = None
    waso: int | None = None
    covered: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)

    @property
    def tib(self) -> int:
        return self.end - self.start


def session_facts(record: Mapping[str, Any]) -> Facts:
    start, end = record["startTimeEpochMillis"], record["endTimeEpochMillis"]
    stages = [
        (s["stage"], s["startTimeEpochMillis"], s["endTimeEpochMillis"])
        for s in sorted(record["stages"], key=lambda s: s["startTimeEpochMillis"])
    ]
    cursor = start
    for _, a, b in stages:  # the precondition for plain sums
        assert cursor <= a < b <= end
        cursor = b
    facts = Facts(
        dict(record),
        record["metadata"]["id"],
        record["metadata"]["dataOriginPackageName"],
        start,
        end,
        record["startZoneOffsetId"],
        record["endZoneOffsetId"],
        stages,
    )
    facts.covered = sum(b - a for _, a, b in stages)
    for name, a, b in stages:
        facts.by_stage[name] = facts.by_stage.get(name, 0) + b - a
    sleep = [(a, b) for name, a, b in stages if name in SLEEP]
    if sleep:
        facts.tst = sum(b - a for a, b in sleep)
        facts.onset, facts.final = sleep[0][0], sleep[-1][1]
        facts.waso = sum(
            b - a for name, a, b in stages if name in WAKE and facts.onset <= a and b <= facts.final
        )
    return facts


# -- periods and nights -------------------------------------------------------------------------


@dataclass
class Period:
    sessions: list[Facts]
    primary: Facts
    others: list[Facts]
    is_night: bool

    @property
    def first(self) -> Facts:
        return min(self.sessions, key=lambda s: (s.start, s.rid))


def periods_of(records: Sequence[Mapping[str, Any]]) -> list[Period]:
    facts = sorted((session_facts(r) for r in records), key=lambda s: (s.start, s.end, s.rid))
    groups: list[list[Facts]] = []
    reach = 0
    for session in facts:
        if groups and session.start < reach:
            groups[-1].append(session)
            reach = max(reach, session.end)
        else:
            groups.append([session])
            reach = session.end
    found = []
    for group in groups:
        ranked = sorted(
            group, key=lambda s: (s.tst is None, -s.covered, s.start, s.rid)
        )  # the default rule: staged, then coverage
        found.append(
            Period(group, ranked[0], ranked[1:], any(s.tib >= NIGHT_MIN_MS for s in group))
        )
    return found


def night_of(session: Facts) -> date:
    wall = local(session.start, session.start_offset).replace(tzinfo=None)
    return (wall - timedelta(hours=12)).date()


@dataclass
class Night:
    main: Period | None
    naps: list[Period]
    other: list[Period]


def nights_between(
    records: Sequence[Mapping[str, Any]], first: date, days: int
) -> dict[date, Night]:
    """The sleep of every night from ``first`` on for ``days`` nights (a period belongs to the
    night its earliest session starts in)."""
    found: dict[date, list[Period]] = {}
    for period in periods_of(records):
        night = night_of(period.first)
        if first <= night < first + timedelta(days=days):
            found.setdefault(night, []).append(period)
    nights = {}
    for night, periods in found.items():
        full = sorted(
            (p for p in periods if p.is_night),
            key=lambda p: (-p.primary.tib, min(s.start for s in p.sessions)),
        )
        nights[night] = Night(
            full[0] if full else None,
            sorted((p for p in periods if not p.is_night), key=lambda p: p.first.start),
            full[1:],
        )
    return nights


# -- rows ---------------------------------------------------------------------------------------


def minutes(ms: float | None) -> int | None:
    return None if ms is None else round(ms / MIN)


def hours(ms: float | None) -> float | None:
    return None if ms is None else round(ms / 3_600_000, 1)


def pct(part: float | None, whole: float) -> int | None:
    return None if part is None or not whole else round(100 * part / whole)


def night_row(period: Period, night: date) -> dict[str, Any]:
    s = period.primary
    tst = minutes(s.tst)
    eff = pct(s.tst, s.tib)
    # latency: the whole stretch before sleep onset recorded as wake; unknown when part of it
    # carries no stage (or UNKNOWN), not recorded when the session starts asleep
    awake_before = sum(b - a for n, a, b in s.stages if n in WAKE and s.onset and b <= s.onset)
    pre_unknown = None if s.onset is None else s.onset - s.start - awake_before
    latency = (
        None if s.onset is None or s.onset == s.start or pre_unknown else minutes(s.onset - s.start)
    )
    waso = minutes(s.waso)
    gap = minutes(s.tib - s.covered) or 0
    gap_in_sleep = (
        0
        if s.onset is None or s.final is None
        else minutes(
            s.final
            - s.onset
            - sum(
                min(b, s.final) - max(a, s.onset)
                for _, a, b in s.stages
                if b > s.onset and a < s.final
            )
        )
        or 0
    )
    # unstaged time could be sleep or wake: a target it could flip is not judged
    meets = {
        "duration": None if tst is None else tst >= 420,
        "efficiency": None if eff is None else eff >= 85,
        "latency": None if latency is None else latency <= 30,
        "waso": None if waso is None else waso <= 20,
    }
    unjudged = []
    if meets["duration"] is False and tst is not None and tst + gap >= 420:
        unjudged.append("duration")
    if (
        meets["efficiency"] is False
        and round(100 * ((s.tst or 0) + s.tib - s.covered) / s.tib) >= 85
    ):
        unjudged.append("efficiency")
    if meets["waso"] and waso is not None and waso + gap_in_sleep > 20:
        unjudged.append("waso")
    for name in unjudged:
        meets[name] = None
    band = None
    if tst is not None:  # the reference person has no age: adult, NSF top 9 h
        if tst + gap < 420:
            band = "below"
        elif tst > 540:
            band = "above"
        elif tst >= 420 and tst + gap <= 540:
            band = "within"
    if latency is not None or s.tst is None:
        latency_missing = None
    elif pre_unknown and minutes(pre_unknown):
        latency_missing = "unstaged before onset"
    else:
        latency_missing = "starts asleep"
    architecture = sum(s.by_stage.get(n, 0) for n in ("LIGHT", "DEEP", "REM"))
    middle = None if s.onset is None or s.final is None else (s.onset + s.final) // 2

    def clock_at(ms: int | None, offset: str) -> str | None:
        return None if ms is None else hhmm(local(ms, offset))

    corroboration = []
    for other in period.others:
        o_tst = minutes(other.tst)
        diff = None if o_tst is None or tst is None else o_tst - tst
        corroboration.append(
            {
                "source": other.source,
                "source_name": NAMES[other.source],
                "bedtime": hhmm(local(other.start, other.start_offset)),
                "out_of_bed": hhmm(local(other.end, other.end_offset)),
                "time_in_bed_min": minutes(other.tib),
                "total_sleep_min": o_tst,
                "total_sleep_difference_min": None if diff is None else abs(diff),
                "total_sleep_direction": None
                if diff is None
                else ("same" if diff == 0 else "more" if diff > 0 else "less"),
            }
        )
    return {
        "night_of": night.isoformat(),
        "weekday": WEEKDAYS[night.weekday()],
        "free_night": night.weekday() in (4, 5),
        "source": s.source,
        "source_name": NAMES[s.source],
        "bedtime": hhmm(local(s.start, s.start_offset)),
        "out_of_bed": hhmm(local(s.end, s.end_offset)),
        "sleep_onset": clock_at(s.onset, s.start_offset),
        "final_awakening": clock_at(s.final, s.end_offset),
        "mid_sleep": clock_at(middle, s.end_offset),
        "time_in_bed_min": minutes(s.tib),
        "time_in_bed_h": hours(s.tib),
        "has_sleep_stages": s.tst is not None,
        "total_sleep_min": tst,
        "total_sleep_h": hours(s.tst),
        "efficiency_percent": eff,
        "latency_min": latency,
        "latency_recorded": latency is not None,
        "latency_missing": latency_missing,
        "pre_onset_unstaged_min": minutes(pre_unknown)
        if latency_missing == "unstaged before onset"
        else None,
        "waso_min": waso,
        "light_percent": pct(s.by_stage.get("LIGHT", 0), architecture),
        "deep_percent": pct(s.by_stage.get("DEEP", 0), architecture),
        "rem_percent": pct(s.by_stage.get("REM", 0), architecture),
        "stage_coverage_percent": pct(s.covered, s.tib),
        "unstaged_min": gap,
        "unstaged_in_sleep_min": gap_in_sleep,
        "duration_band": band,
        "meets": meets,
        "unjudged_for_stage_gaps": unjudged,
        "corroboration": corroboration,
    }


def nap_row(period: Period, night: date) -> dict[str, Any]:
    s = period.primary
    start = local(s.start, s.start_offset)
    return {
        "night_of": night.isoformat(),
        "date": start.date().isoformat(),
        "weekday": WEEKDAYS[start.weekday()],
        "source_name": NAMES[s.source],
        "start": hhmm(start),
        "end": hhmm(local(s.end, s.end_offset)),
        "time_in_bed_min": minutes(s.tib),
        "total_sleep_min": minutes(s.tst),
        "corroborated_by": sorted({NAMES[o.source] for o in period.others}),
    }


def difference(now: float | None, then: float | None, up: str, down: str) -> dict[str, Any] | None:
    if now is None or then is None:
        return None
    delta = now - then
    return {
        "difference": abs(delta),
        "direction": "same" if delta == 0 else up if delta > 0 else down,
    }


def clock_minutes(hh_mm: str) -> int:
    return int(hh_mm[:2]) * 60 + int(hh_mm[3:])


def clock_difference(now: str | None, then: str | None) -> dict[str, Any] | None:
    if now is None or then is None:
        return None
    delta = (clock_minutes(now) - clock_minutes(then) + 720) % 1440 - 720
    return {
        "difference": abs(delta),
        "direction": "same" if delta == 0 else "later" if delta > 0 else "earlier",
    }


def common(first: date, days: int, key: str, kind: str, sessions: int) -> dict[str, Any]:
    start = datetime.combine(first, datetime.min.time()) + timedelta(hours=12)
    return {
        "window": {
            "kind": kind,
            "key": key,
            "first_day": first.isoformat(),
            "last_day": (first + timedelta(days=days - 1)).isoformat(),
            "local_start": start.isoformat(timespec="minutes"),
            "local_end": (start + timedelta(days=days)).isoformat(timespec="minutes"),
        },
        "sessions": sessions,
        "sessions_skipped": 0,
        "clock": "record offsets",
        "clock_is_record_offsets": True,
        "timezone": "-05:00 (record offsets)",
        "age_years": None,
        "adult_targets_apply": True,
        "nsf_recommended_h": None,
        "recommended_max_h": 9,
    }


def _session_count(nights: Mapping[date, Night]) -> int:
    count = 0
    for night in nights.values():
        for period in [*([night.main] if night.main else []), *night.naps, *night.other]:
            count += len(period.sessions)
    return count


# -- night window -------------------------------------------------------------------------------


def expected_night(records: Sequence[Mapping[str, Any]], night: date) -> dict[str, Any] | None:
    """Every data insight of the night window of ``night``; ``None`` without sleep."""
    nights = nights_between(records, night, 1)
    if night not in nights:
        return None
    found = nights[night]
    out = common(night, 1, f"night:{night.isoformat()}", "night", _session_count(nights))
    out["window"]["night_of"] = night.isoformat()
    out["window"]["weekday"] = WEEKDAYS[night.weekday()]
    row = None if found.main is None else night_row(found.main, night)
    out["night"] = row
    out["naps"] = [nap_row(p, night) for p in found.naps]
    out["nap_count"] = len(found.naps)
    out["other_sleep"] = [nap_row(p, night) for p in found.other]
    before_night = nights_between(records, night - timedelta(days=1), 1).get(
        night - timedelta(days=1)
    )
    before = None
    if before_night is not None and before_night.main is not None:
        before = night_row(before_night.main, night - timedelta(days=1))
    out["previous_night"] = None
    out["change_from_previous_night"] = None
    comparable = (
        row is not None
        and before is not None
        and row["has_sleep_stages"]
        and before["has_sleep_stages"]
    )
    if comparable and row is not None and before is not None:
        out["previous_night"] = {
            k: before[k]
            for k in (
                "night_of",
                "weekday",
                "total_sleep_min",
                "total_sleep_h",
                "efficiency_percent",
                "waso_min",
                "sleep_onset",
                "unstaged_min",
                "duration_band",
            )
        }
        out["change_from_previous_night"] = {
            "total_sleep_min": difference(
                row["total_sleep_min"], before["total_sleep_min"], "more", "less"
            ),
            "efficiency_percent": difference(
                row["efficiency_percent"], before["efficiency_percent"], "higher", "lower"
            ),
            "waso_min": difference(row["waso_min"], before["waso_min"], "more", "less"),
            "sleep_onset": clock_difference(row["sleep_onset"], before["sleep_onset"]),
        }
    missing = []
    if row is None:
        missing.append("the night's sleep: no night-length session was recorded")
    elif not row["has_sleep_stages"]:
        missing.append("sleep stages: the record holds time in bed only")
    else:
        if not row["latency_recorded"]:
            missing.append("onset latency: not recorded (the session starts asleep)")
        if row["unstaged_min"]:
            missing.append(f"stage data: {row['unstaged_min']} min of time in bed carry no stage")
    out["missing"] = missing
    return out


# -- clock statistics -----------------------------------------------------------------------------


def minute_of_day(moment: datetime) -> float:
    return moment.hour * 60 + moment.minute + (moment.second + moment.microsecond / 1e6) / 60


def circular_mean(values: Sequence[float]) -> float:
    angle = math.atan2(
        sum(math.sin(2 * math.pi * v / 1440) for v in values),
        sum(math.cos(2 * math.pi * v / 1440) for v in values),
    )
    return (angle * 1440 / (2 * math.pi)) % 1440


def wrapped(value: float, centre: float) -> float:
    return (value - centre + 720) % 1440 - 720


def circular_sd(values: Sequence[float]) -> float:
    centre = circular_mean(values)
    return statistics.stdev([wrapped(v, centre) for v in values])


def clock_of_minute(minute: float) -> str:
    whole = round(minute) % 1440
    return f"{whole // 60:02d}:{whole % 60:02d}"


# -- the Sleep Regularity Index -----------------------------------------------------------------


def state_at(
    instant: int, asleep: Sequence[tuple[int, int]], unknown: Sequence[tuple[int, int]]
) -> str:
    """``asleep``, ``unknown`` or ``awake`` at an instant (intervals half-open, sorted)."""
    for intervals, state in ((asleep, "asleep"), (unknown, "unknown")):
        index = bisect.bisect_right(intervals, (instant, math.inf)) - 1
        if index >= 0 and intervals[index][0] <= instant < intervals[index][1]:
            return state
    return "awake"


def sri(
    start: int,
    valid_days: Sequence[bool],
    asleep: Sequence[tuple[int, int]],
    unknown: Sequence[tuple[int, int]],
) -> float | None:
    """Phillips' SRI, epoch by epoch: 30-s epochs from ``start``, each in the state at its
    midpoint; pairs 24 h apart on consecutive valid days, unknown epochs left out."""
    asleep, unknown = sorted(asleep), sorted(unknown)
    per_day = DAY_MS // EPOCH
    same = compared = 0
    for day in range(len(valid_days) - 1):
        if not (valid_days[day] and valid_days[day + 1]):
            continue
        for epoch in range(per_day):
            t = start + (day * per_day + epoch) * EPOCH + EPOCH // 2
            a, b = state_at(t, asleep, unknown), state_at(t + DAY_MS, asleep, unknown)
            if "unknown" in (a, b):
                continue
            compared += 1
            same += a == b
    return None if not compared else -100 + 200 * same / compared


# -- week window --------------------------------------------------------------------------------


def week_figures(records: Sequence[Mapping[str, Any]], monday: date) -> dict[str, Any]:
    nights = nights_between(records, monday, 7)
    days = [monday + timedelta(days=i) for i in range(7)]
    mains = [(d, main) for d in days if d in nights and (main := nights[d].main) is not None]
    rows = [night_row(main, d) for d, main in mains]
    staged = [(d, main.primary) for d, main in mains if main.primary.tst is not None]
    sufficient = len(staged) >= 5
    weekly = None
    jet_lag = None
    if sufficient:
        sessions = [s for _, s in staged]
        onsets: list[float] = []
        mids: list[float] = []
        eff: list[float] = []
        tst: list[int] = []
        waso: list[int] = []
        for s in sessions:
            assert s.onset is not None and s.final is not None
            assert s.tst is not None and s.waso is not None
            onsets.append(minute_of_day(local(s.onset, s.start_offset)))
            mids.append(minute_of_day(local((s.onset + s.final) // 2, s.end_offset)))
            tst.append(s.tst)
            eff.append(s.tst / s.tib)
            waso.append(s.waso)
        mean_tst = statistics.fmean(tst)
        weekly = {
            "nights": len(sessions),
            "mean_total_sleep_min": round(mean_tst / MIN),
            "mean_total_sleep_h": round(mean_tst / 3_600_000, 1),
            "mean_efficiency_percent": round(100 * statistics.fmean(eff)),
            "mean_waso_min": round(statistics.fmean(waso) / MIN),
            "nights_meeting_7h": sum(1 for t in tst if round(t / MIN) >= 420),
            "nights_judged_7h": len(sessions),
            "nights_above_range": sum(1 for t in tst if round(t / MIN) > 540),
            "mean_sleep_onset": clock_of_minute(circular_mean(onsets)),
            "sleep_onset_sd_min": round(circular_sd(onsets)),
            "mean_mid_sleep": clock_of_minute(circular_mean(mids)),
            "mid_sleep_sd_min": round(circular_sd(mids)),
        }
        free = [m for (d, _), m in zip(staged, mids, strict=True) if d.weekday() in (4, 5)]
        work = [m for (d, _), m in zip(staged, mids, strict=True) if d.weekday() not in (4, 5)]
        if free and work:
            shift = round(wrapped(circular_mean(free), circular_mean(work)))
            jet_lag = {
                "free_nights": len(free),
                "work_nights": len(work),
                "free_mean_mid_sleep": clock_of_minute(circular_mean(free)),
                "work_mean_mid_sleep": clock_of_minute(circular_mean(work)),
                "minutes": abs(shift),
                "direction": "same" if shift == 0 else "later" if shift > 0 else "earlier",
            }
    valid = [d in dict(staged) for d in days]
    pairs = sum(1 for a, b in pairwise(valid) if a and b)
    regularity = None
    if sufficient and pairs >= 4:
        primaries = [
            p.primary
            for n in nights.values()
            for p in [*([n.main] if n.main else []), *n.naps, *n.other]
        ]
        asleep, unknown = [], []
        for s in primaries:
            asleep += [(a, b) for name, a, b in s.stages if name in SLEEP]
            unknown += [(a, b) for name, a, b in s.stages if name not in SLEEP | WAKE]
            cursor = s.start
            for _, a, b in s.stages:
                if a > cursor:
                    unknown.append((cursor, a))
                cursor = b
            if cursor < s.end:
                unknown.append((cursor, s.end))
        first = min(primaries, key=lambda s: s.start)
        zone = zone_of(first.start_offset)
        start = int(datetime.combine(monday, datetime.min.time(), zone).timestamp() * 1000)
        start += 12 * 3_600_000
        value = sri(start, valid, asleep, unknown)
        regularity = None if value is None else {"value": round(value), "day_pairs": pairs}
    missing_days = [d for d in days if d not in dict(mains)]
    missing = []
    if len(mains) < 7:
        listed = ", ".join(f"{WEEKDAYS[d.weekday()]} {d.isoformat()}" for d in missing_days)
        missing.append(f"nights: {len(mains)} of 7 recorded; no record for {listed}")
    if len(staged) < len(mains):
        missing.append(f"sleep stages: {len(mains) - len(staged)} of {len(mains)} nights have none")
    if not sufficient:
        missing.append(
            f"weekly figures: {len(staged)} of 7 nights carry sleep stages, at least 5 are needed"
        )
    elif regularity is None:
        missing.append(
            f"sleep regularity index: {pairs} pairs of consecutive nights with stages, "
            "at least 4 are needed"
        )
    naps = [nap_row(p, n) for n in sorted(nights) for p in nights[n].naps]
    return {
        "sessions": _session_count(nights),
        "nights_possible": 7,
        "nights_recorded": len(mains),
        "nights_with_sleep_stages": len(staged),
        "missing_nights": [
            {"night_of": d.isoformat(), "weekday": WEEKDAYS[d.weekday()]} for d in missing_days
        ],
        "sufficient": sufficient,
        "nights": rows,
        "weekly": weekly,
        "consecutive_staged_night_pairs": pairs,
        "sleep_regularity_index": regularity,
        "social_jet_lag": jet_lag,
        "naps": naps,
        "nap_count": len(naps),
        "other_sleep": [nap_row(p, n) for n in sorted(nights) for p in nights[n].other],
        "corroborated_nights": sum(1 for row in rows if row["corroboration"]),
        "missing": missing,
    }


def expected_week(records: Sequence[Mapping[str, Any]], monday: date) -> dict[str, Any] | None:
    """Every data insight of the week window starting on ``monday``."""
    figures = week_figures(records, monday)
    if not figures["sessions"]:
        return None
    out = common(monday, 7, f"week:{monday.isoformat()}", "week", figures.pop("sessions"))
    out.update(figures)
    before = week_figures(records, monday - timedelta(days=7))
    out["previous_week"] = None
    out["change_from_previous_week"] = None
    if before.pop("sessions"):
        out["previous_week"] = {
            "first_day": (monday - timedelta(days=7)).isoformat(),
            "last_day": (monday - timedelta(days=1)).isoformat(),
            "nights_recorded": before["nights_recorded"],
            "sufficient": before["sufficient"],
            "weekly": before["weekly"],
            "sleep_regularity_index": before["sleep_regularity_index"],
        }
        if out["sufficient"] and before["sufficient"]:
            now, then = out["weekly"], before["weekly"]
            sri_now, sri_then = out["sleep_regularity_index"], before["sleep_regularity_index"]
            out["change_from_previous_week"] = {
                "mean_total_sleep_min": difference(
                    now["mean_total_sleep_min"], then["mean_total_sleep_min"], "more", "less"
                ),
                "mean_efficiency_percent": difference(
                    now["mean_efficiency_percent"],
                    then["mean_efficiency_percent"],
                    "higher",
                    "lower",
                ),
                "mean_waso_min": difference(
                    now["mean_waso_min"], then["mean_waso_min"], "more", "less"
                ),
                "nights_meeting_7h": difference(
                    now["nights_meeting_7h"], then["nights_meeting_7h"], "more", "fewer"
                ),
                "sleep_onset_sd_min": difference(
                    now["sleep_onset_sd_min"], then["sleep_onset_sd_min"], "larger", "smaller"
                ),
                "mid_sleep_sd_min": difference(
                    now["mid_sleep_sd_min"], then["mid_sleep_sd_min"], "larger", "smaller"
                ),
                "sleep_regularity_index": None
                if sri_now is None or sri_then is None
                else difference(sri_now["value"], sri_then["value"], "higher", "lower"),
                "mean_sleep_onset": clock_difference(
                    now["mean_sleep_onset"], then["mean_sleep_onset"]
                ),
            }
    return out
