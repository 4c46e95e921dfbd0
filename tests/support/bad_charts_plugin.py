"""A plugin whose review charts break the contract: raises, or draws a script."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from etl_core import Chart, RecordTypeSpec, Window, hookimpl
from etl_core.review.svg import Plot
from tests.support.temperature_plugin import SPEC

ETL_PLUGIN_API = "1.2"


@hookimpl
def etl_record_types() -> list[RecordTypeSpec]:
    return [SPEC]


@hookimpl
def etl_review_charts(
    window: Window, insights: Mapping[str, Any], spec: RecordTypeSpec
) -> list[Chart] | None:
    if insights.get("mode") == "raise":
        first = window.records[0]["temperatureInCelsius"]
        raise ValueError(f"reading {first} is odd")
    plot = Plot((0, 1), (0, 1))
    plot.point(0.5, 0.5, "t", "one", "#000")
    chart = plot.chart("Temperatures", "One point.")
    return [Chart(chart.title, chart.svg.replace("</svg>", "<script>x()</script></svg>"), "x", 1)]
