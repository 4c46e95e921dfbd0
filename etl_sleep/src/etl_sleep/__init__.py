"""etl-sleep: the SleepSessionRecord processor of the ETL Narrative Engine.

Sessions become nights and naps (overlapping sessions from several apps are one night with one
primary record), each night gets the standard sleep metrics, and a narrative compares them
with the adult recommendation and the sleep quality indicators.
"""

from etl_sleep.analysis import SleepAnalysis, analyse

__all__ = ["SleepAnalysis", "analyse"]
