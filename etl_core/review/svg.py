"""Hand-written inline SVG for the review report's charts: pure functions, no dependency.

Why not a charting library: the report must open from disk with no network, be identical
from one run to the next (tests count its marks and the README shows a screenshot), and be
readable by screen readers. A few hundred lines of SVG text meet all three; a browser-side
library would have to be vendored and pinned, and a plotting library adds a large dependency
whose SVG output changes between versions. Every chart carries a ``<title>``, a ``<desc>``
(its text alternative) and a table of the values drawn; colours always come with a text
label, a pattern or a line style, so nothing is told by colour alone.

A chart is built on a :class:`Plot`: scales from data to pixels, axes, reference bands (not
counted) and **marks** (the points, bars and segments a reader can count), each an element of
class ``mark`` with a ``data-series`` attribute and its own ``<title>`` (shown on hover).
:meth:`Plot.chart` returns the :class:`~etl_core.Chart` with the number of marks drawn.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from etl_core.contract.model import Chart

PALETTE = {
    "ink": "#1f2933",
    "grid": "#d9dee3",
    "target": "#d3f0da",
    "band_outer": "#b9cfe8",
    "band_inner": "#6f9bd1",
    "median": "#0b3d91",
    "very_low": "#8b1a1a",
    "low": "#e0524f",
    "in_range": "#3a9a5b",
    "high": "#f2b134",
    "very_high": "#e07b1a",
    "series": "#2f6db5",
    "series2": "#9c4dcc",
    "marker": "#555555",
}
"""Colours used by the built-in charts (each paired with a label or line style)."""

_MARK = re.compile(r'class="mark[ "]')
_HANDLER = re.compile(r"\son[a-z]+\s*=")


def fmt(value: float, digits: int = 1) -> str:
    """A number as the report writes it: no trailing ``.0`` for whole numbers."""
    if not math.isfinite(value):
        return "n/a"
    rounded = round(value, digits)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:,.{digits}f}"


def count_marks(svg: str) -> int:
    """How many elements of class ``mark`` an SVG text holds."""
    return len(_MARK.findall(svg))


def chart_problem(chart: object) -> str | None:
    """Why ``chart`` is not a usable :class:`~etl_core.Chart` (``None`` when it is)."""
    if not isinstance(chart, Chart):
        return f"returned a {type(chart).__name__} among its charts, not an etl_core.Chart"
    if not isinstance(chart.title, str) or not chart.title.strip():
        return "a chart has no title"
    if not isinstance(chart.text, str) or not chart.text.strip():
        return f"chart {chart.title!r} has no text alternative"
    svg = chart.svg.strip() if isinstance(chart.svg, str) else ""
    if not svg.startswith("<svg") or not svg.endswith("</svg>"):
        return f"chart {chart.title!r}: svg is not one <svg> element"
    lowered = svg.lower()
    if "<script" in lowered or "href=" in lowered or "url(" in lowered or _HANDLER.search(lowered):
        return f"chart {chart.title!r}: svg holds a script, an event handler or a link"
    if not isinstance(chart.marks, int) or count_marks(svg) != chart.marks:
        return f"chart {chart.title!r}: says {chart.marks} marks, its svg holds {count_marks(svg)}"
    for row in chart.table:
        if not all(isinstance(cell, str) for cell in row):
            return f"chart {chart.title!r}: table cells must be strings"
    return None


@dataclass
class Plot:
    """A drawing area with linear scales: ``x`` from ``x_range`` and ``y`` from ``y_range``
    (data units) to pixels inside the margins."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    width: int = 720
    height: int = 300
    left: int = 60
    right: int = 20
    top: int = 20
    bottom: int = 44
    _parts: list[str] = field(default_factory=list)
    _marks: int = 0

    def x(self, value: float) -> float:
        low, high = self.x_range
        span = (high - low) or 1.0
        return round(self.left + (value - low) / span * (self.width - self.left - self.right), 2)

    def y(self, value: float) -> float:
        low, high = self.y_range
        span = (high - low) or 1.0
        inner = self.height - self.top - self.bottom
        return round(self.height - self.bottom - (value - low) / span * inner, 2)

    @property
    def marks(self) -> int:
        return self._marks

    def raw(self, markup: str) -> None:
        """Markup drawn as is (not counted as a mark)."""
        self._parts.append(markup)

    # -- axes and references ----------------------------------------------------------------

    def axes(
        self,
        x_ticks: Sequence[tuple[float, str]],
        y_ticks: Sequence[tuple[float, str]],
        x_label: str = "",
        y_label: str = "",
    ) -> None:
        ink, grid = PALETTE["ink"], PALETTE["grid"]
        base = self.height - self.bottom
        parts = []
        for value, label in y_ticks:
            y = self.y(value)
            parts.append(
                f'<line x1="{self.left}" x2="{self.width - self.right}" y1="{y}" y2="{y}" '
                f'stroke="{grid}" stroke-width="1"/>'
                f'<text x="{self.left - 6}" y="{y + 4}" text-anchor="end" font-size="11" '
                f'fill="{ink}">{escape(label)}</text>'
            )
        for value, label in x_ticks:
            x = self.x(value)
            parts.append(
                f'<line x1="{x}" x2="{x}" y1="{base}" y2="{base + 4}" stroke="{ink}"/>'
                f'<text x="{x}" y="{base + 17}" text-anchor="middle" font-size="11" '
                f'fill="{ink}">{escape(label)}</text>'
            )
        parts.append(
            f'<line x1="{self.left}" x2="{self.width - self.right}" y1="{base}" y2="{base}" '
            f'stroke="{ink}"/><line x1="{self.left}" x2="{self.left}" y1="{self.top}" '
            f'y2="{base}" stroke="{ink}"/>'
        )
        if x_label:
            parts.append(
                f'<text x="{(self.left + self.width - self.right) / 2}" y="{self.height - 6}" '
                f'text-anchor="middle" font-size="12" fill="{ink}">{escape(x_label)}</text>'
            )
        if y_label:
            middle = (self.top + base) / 2
            parts.append(
                f'<text x="14" y="{middle}" text-anchor="middle" font-size="12" fill="{ink}" '
                f'transform="rotate(-90 14 {middle})">{escape(y_label)}</text>'
            )
        self._parts.append("".join(parts))

    def y_band(self, low: float, high: float, label: str, colour: str = PALETTE["target"]) -> None:
        """A shaded horizontal band (a target range), labelled at its right end."""
        top, bottom = self.y(high), self.y(low)
        self._parts.append(
            f'<rect class="reference" x="{self.left}" y="{top}" '
            f'width="{self.width - self.left - self.right}" height="{round(bottom - top, 2)}" '
            f'fill="{colour}"><title>{escape(label)}</title></rect>'
            f'<text x="{self.width - self.right - 4}" y="{top + 12}" text-anchor="end" '
            f'font-size="11" fill="{PALETTE["ink"]}">{escape(label)}</text>'
        )

    def x_band(self, low: float, high: float, label: str, colour: str = "#ece3f7") -> None:
        """A shaded vertical band (a time span such as a resting window), labelled on top,
        hatched so that it reads without colour."""
        left, right = self.x(low), self.x(high)
        self._parts.append(
            f'<rect class="reference" x="{left}" y="{self.top}" width="{round(right - left, 2)}" '
            f'height="{self.height - self.top - self.bottom}" fill="{colour}" '
            f'stroke="{PALETTE["series2"]}" stroke-dasharray="4 3"><title>{escape(label)}'
            f'</title></rect><text x="{(left + right) / 2}" y="{self.top + 12}" '
            f'text-anchor="middle" font-size="11" fill="{PALETTE["ink"]}">{escape(label)}</text>'
        )

    def x_rule(self, value: float, label: str) -> None:
        """A dashed vertical rule (a day boundary, partial-day marker) with a label."""
        x = self.x(value)
        self._parts.append(
            f'<line class="reference" x1="{x}" x2="{x}" y1="{self.top}" '
            f'y2="{self.height - self.bottom}" stroke="{PALETTE["marker"]}" '
            f'stroke-dasharray="2 3"><title>{escape(label)}</title></line>'
        )

    # -- data -------------------------------------------------------------------------------

    def area(
        self,
        upper: Sequence[tuple[float, float]],
        lower: Sequence[tuple[float, float]],
        colour: str,
        label: str,
    ) -> None:
        """A filled band between two lines (not a mark: the points on its edges are)."""
        if not upper or not lower:
            return
        points = [*upper, *reversed(lower)]
        path = " ".join(f"{self.x(x)},{self.y(y)}" for x, y in points)
        self._parts.append(
            f'<polygon class="band" points="{path}" fill="{colour}" fill-opacity="0.7">'
            f"<title>{escape(label)}</title></polygon>"
        )

    def line(
        self,
        points: Sequence[tuple[float, float]],
        colour: str,
        *,
        width: float = 2,
        dash: str = "",
        label: str = "",
        mark: str | None = None,
    ) -> None:
        """A polyline; with ``mark`` (a series name) the whole line is one mark."""
        if not points:
            return
        path = " ".join(f"{self.x(x)},{self.y(y)}" for x, y in points)
        cls = f'class="mark" data-series="{escape(mark)}"' if mark else 'class="line"'
        dashing = f' stroke-dasharray="{dash}"' if dash else ""
        title = f"<title>{escape(label)}</title>" if label else ""
        self._parts.append(
            f'<polyline {cls} points="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="{width}"{dashing}>{title}</polyline>'
        )
        if mark:
            self._marks += 1

    def path(
        self,
        runs: Sequence[Sequence[tuple[float, float]]],
        colour: str,
        *,
        width: float = 2,
        label: str = "",
        mark: str | None = None,
    ) -> None:
        """One line broken into runs (a gap in the data is not drawn across); with ``mark``
        the whole line is one mark."""
        drawn = [run for run in runs if run]
        if not drawn:
            return
        commands = " ".join(
            "M" + " L".join(f"{self.x(x)},{self.y(y)}" for x, y in run) for run in drawn
        )
        cls = f'class="mark" data-series="{escape(mark)}"' if mark else 'class="line"'
        title = f"<title>{escape(label)}</title>" if label else ""
        self._parts.append(
            f'<path {cls} d="{commands}" fill="none" stroke="{colour}" '
            f'stroke-width="{width}">{title}</path>'
        )
        if mark:
            self._marks += 1

    def point(
        self,
        x: float,
        y: float,
        series: str,
        label: str,
        colour: str,
        *,
        radius: float = 3,
        shape: str = "circle",
    ) -> None:
        """One data point, a mark with its own title."""
        cx, cy = self.x(x), self.y(y)
        if shape == "square":
            body = (
                f'<rect class="mark" data-series="{escape(series)}" x="{cx - radius}" '
                f'y="{cy - radius}" width="{2 * radius}" height="{2 * radius}" fill="{colour}">'
            )
            end = "</rect>"
        else:
            body = (
                f'<circle class="mark" data-series="{escape(series)}" cx="{cx}" cy="{cy}" '
                f'r="{radius}" fill="{colour}">'
            )
            end = "</circle>"
        self._parts.append(f"{body}<title>{escape(label)}</title>{end}")
        self._marks += 1

    def bar(
        self,
        x0: float,
        x1: float,
        y0: float,
        y1: float,
        series: str,
        label: str,
        colour: str,
        *,
        pattern: str = "",
    ) -> None:
        """One bar (or segment), a mark: from ``x0`` to ``x1`` and ``y0`` to ``y1``."""
        left, right = sorted((self.x(x0), self.x(x1)))
        top, bottom = sorted((self.y(y0), self.y(y1)))
        hatch = f' stroke="{PALETTE["ink"]}" stroke-dasharray="{pattern}"' if pattern else ""
        self._parts.append(
            f'<rect class="mark" data-series="{escape(series)}" x="{left}" y="{top}" '
            f'width="{round(right - left, 2)}" height="{round(bottom - top, 2)}" '
            f'fill="{colour}"{hatch}><title>{escape(label)}</title></rect>'
        )
        self._marks += 1

    def label(
        self,
        x: float,
        y: float,
        text: str,
        *,
        anchor: str = "middle",
        size: int = 11,
        dy: float = 0,
    ) -> None:
        self._parts.append(
            f'<text x="{self.x(x)}" y="{round(self.y(y) + dy, 2)}" text-anchor="{anchor}" '
            f'font-size="{size}" fill="{PALETTE["ink"]}">{escape(text)}</text>'
        )

    def legend(self, entries: Sequence[tuple[str, str, str]]) -> None:
        """Legend entries ``(label, colour, style)`` along the top, style ``"line"``,
        ``"dash"`` or ``"box"``."""
        x = float(self.left)
        parts = []
        for label, colour, style in entries:
            if style == "box":
                parts.append(
                    f'<rect x="{x}" y="4" width="12" height="10" fill="{colour}" '
                    f'stroke="{PALETTE["ink"]}" stroke-width="0.5"/>'
                )
            else:
                dash = ' stroke-dasharray="5 3"' if style == "dash" else ""
                parts.append(
                    f'<line x1="{x}" x2="{x + 14}" y1="9" y2="9" stroke="{colour}" '
                    f'stroke-width="3"{dash}/>'
                )
            parts.append(
                f'<text x="{x + 18}" y="13" font-size="11" fill="{PALETTE["ink"]}">'
                f"{escape(label)}</text>"
            )
            x += 30 + 6.5 * len(label)
        self._parts.append("".join(parts))

    def chart(self, title: str, text: str, table: Sequence[Sequence[str]] = ()) -> Chart:
        """The finished chart: an accessible ``<svg>`` with this plot's marks."""
        return Chart(
            title=title,
            svg=svg_document(self.width, self.height, title, text, "".join(self._parts)),
            text=text,
            marks=self._marks,
            table=tuple(tuple(row) for row in table),
        )


def svg_document(width: int, height: int, title: str, text: str, body: str) -> str:
    """An ``<svg>`` element sized by its viewBox (it scales to its container), labelled for
    assistive technology by its title and description."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" font-family="system-ui, sans-serif">'
        f"<title>{escape(title)}</title><desc>{escape(text)}</desc>{body}</svg>"
    )


def hour_ticks(step: int = 3) -> list[tuple[float, str]]:
    """Ticks of a 24-hour clock: ``00:00``, ``03:00`` ... ``24:00``."""
    return [(float(h), f"{h:02d}:00") for h in range(0, 25, step)]


def nice_ticks(low: float, high: float, count: int = 5, *, whole: bool = False) -> list[float]:
    """About ``count`` round tick values covering ``low`` to ``high`` (with ``whole``, whole
    numbers only: for counts)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1.0, float(math.ceil(step)))
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step / 2:
        ticks.append(round(value, 6))
        value += step
    return ticks
