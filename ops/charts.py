"""Server-rendered SVG charts for the operator pages: no JavaScript, no CDN, nothing to pin.

A Chart carries its SVG and the numbers it was drawn from; templates/ops/_chart.html
shows both, so a screen reader (or an operator who wants the exact figure) gets a table.
"""

import itertools
import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
HEIGHT = 240
# Room for the y-axis labels on the left and the x-axis labels below.
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 12, 12, 28
# More x labels than this overlap at the chart's width; the rest are thinned out.
MAX_X_LABELS = 10
# Colour-blind-safe (Okabe-Ito), in series order.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#999999")

_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]
    color: str = ""


@dataclass(frozen=True)
class Chart:
    title: str
    labels: list[str]
    series: list[Series]
    svg: SafeString

    @property
    def rows(self) -> list[tuple[str, list[float]]]:
        """(label, one value per series): the data table under the chart."""
        return [(label, [s.values[i] for s in self.series]) for i, label in enumerate(self.labels)]

    @property
    def is_empty(self) -> bool:
        return not any(v for s in self.series for v in s.values)


def bar_chart(title: str, points: list[tuple[str, float]], *, series_name: str = "count") -> Chart:
    labels = [label for label, _ in points]
    return stacked_bar_chart(title, labels, [Series(series_name, [value for _, value in points])])


def stacked_bar_chart(title: str, labels: list[str], series: list[Series]) -> Chart:
    series = _coloured(series)
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    plot = _Plot(len(labels), *_scale(max(totals, default=0)))
    parts = []
    for i, label in enumerate(labels):
        base = 0.0
        for s in series:
            value = s.values[i]
            if value:
                x, y, w, h = plot.bar(i, base, value)
                tip = f"{label}: {s.name} {_fmt(value)}"
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{s.color}">'
                    f"<title>{escape(tip)}</title></rect>"
                )
            base += value
    return Chart(title, labels, series, _svg(title, labels, series, plot, "".join(parts)))


def line_chart(title: str, labels: list[str], series: list[Series]) -> Chart:
    series = _coloured(series)
    plot = _Plot(len(labels), *_scale(max((v for s in series for v in s.values), default=0)))
    parts = []
    for s in series:
        points = [(plot.center(i), plot.y(v)) for i, v in enumerate(s.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{s.color}" stroke-width="2"/>')
        for (x, y), label, value in zip(points, labels, s.values, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{s.color}">'
                f"<title>{escape(f'{label}: {s.name} {_fmt(value)}')}</title></circle>"
            )
    return Chart(title, labels, series, _svg(title, labels, series, plot, "".join(parts)))


class _Plot:
    """Maps (category index, value) to SVG coordinates."""

    def __init__(self, count: int, top: float, step: float):
        self.count = max(count, 1)
        self.top = top
        self.ticks = [step * i for i in range(round(top / step) + 1)]
        self.width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
        self.height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
        self.step = self.width / self.count

    def y(self, value: float) -> float:
        return MARGIN_TOP + self.height * (1 - value / self.top)

    def center(self, index: int) -> float:
        return MARGIN_LEFT + self.step * (index + 0.5)

    def bar(self, index: int, base: float, value: float) -> tuple[float, float, float, float]:
        width = self.step * 0.72
        y_top = self.y(base + value)
        return self.center(index) - width / 2, y_top, width, self.y(base) - y_top


def _svg(title: str, labels: list[str], series: list[Series], plot: _Plot, body: str) -> SafeString:
    title_id = f"chart-title-{next(_ids)}"
    axis = []
    for tick in plot.ticks:
        y = plot.y(tick)
        axis.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="gridline"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>'
        )
    every = math.ceil(len(labels) / MAX_X_LABELS) or 1
    for i, label in enumerate(labels):
        if i % every == 0:
            axis.append(
                f'<text x="{plot.center(i):.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    legend = ", ".join(s.name for s in series)
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{title_id}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
        f'<title id="{title_id}">{escape(title)} ({escape(legend)}); the table below has every value</title>'
        f'<g class="axis">{"".join(axis)}</g>{body}</svg>'
    )


def _coloured(series: list[Series]) -> list[Series]:
    return [
        s if s.color else Series(s.name, s.values, PALETTE[i % len(PALETTE)]) for i, s in enumerate(series)
    ]


def _scale(value: float) -> tuple[float, float]:
    """(top, step): gridlines at a round step (1, 2 or 5 x 10^k), about four of them, covering value."""
    if value <= 0:
        return 1.0, 0.5
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(f * magnitude for f in (1, 2, 5, 10) if f * magnitude >= raw)
    return math.ceil(value / step - 1e-9) * step, step


def _fmt(value: float) -> str:
    return f"{value:.4g}" if value != int(value) else str(int(value))
