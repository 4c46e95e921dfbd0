"""etl-sleep: the SleepSessionRecord processor of the ETL Narrative Engine.

Sessions become nights and naps (overlapping sessions from several apps are one night with one
primary record), each night gets the standard sleep metrics, and a narrative compares them
with the adult recommendation and the sleep quality indicators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from etl_sleep.analysis import SleepAnalysis, analyse

__all__ = ["SleepAnalysis", "analyse"]


def __getattr__(name: str) -> Any:
    """``SleepAnalysis`` and ``analyse`` are imported on first use (PEP 562): core imports this
    package at start-up for its hook module, which should not load the analysis."""
    if name in __all__:
        from etl_sleep import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
