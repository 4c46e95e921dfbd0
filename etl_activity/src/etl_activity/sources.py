"""Readable names for the data origins (Health Connect package names) a narrative mentions."""

from __future__ import annotations

_KNOWN_APPS: dict[str, str] = {
    "com.sec.android.app.shealth": "Samsung Health",
    "com.ouraring.oura": "Oura",
    "com.google.android.apps.fitness": "Google Fit",
    "com.google.android.apps.healthdata": "Health Connect",
    "com.fitbit.FitbitMobile": "Fitbit",
    "com.garmin.android.apps.connectmobile": "Garmin Connect",
    "com.withings.wiscale2": "Withings Health Mate",
    "com.xiaomi.hm.health": "Zepp Life",
    "com.huami.watch.hmwatchmanager": "Zepp",
    "com.polar.beat": "Polar Beat",
    "fi.polar.polarflow": "Polar Flow",
    "com.strava": "Strava",
    "com.whoop.android": "WHOOP",
}


def app_name(package: str) -> str:
    """The app's usual name for a known package, else the package name itself."""
    return _KNOWN_APPS.get(package, package)
