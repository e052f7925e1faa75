"""Charts drawn on the server as SVG geometry, so they show without JavaScript.

Each function returns plain numbers for a template to place in an inline <svg> with a
viewBox: the chart scales with the page, and every figure is also in a table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH = 720
HEIGHT = 240
LEFT = 44  # room for the axis figures
BOTTOM = 28  # room for the day or month labels
TOP = 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    css: str = "bar"


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Label:
    x: float
    text: str


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


def nice_top(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    power = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _axis(chart: Chart, highest: int) -> float:
    """Four equal steps of a round size up to at least `highest`; the pixels per unit."""
    step = nice_top(math.ceil(highest / 4))
    top = 4 * step
    plot = chart.baseline - TOP
    chart.ticks = [Tick(chart.baseline - plot * i / 4, step * i) for i in range(5)]
    return plot / top


def bar_chart(points: Sequence[tuple[str, int]], *, label_every: int = 15) -> Chart:
    """One bar per point, e.g. dossiers received per day; every `label_every`th is labelled."""
    chart = Chart()
    if not points:
        return chart
    scale = _axis(chart, max(v for _, v in points))
    slot = (chart.width - chart.left) / len(points)
    for i, (label, value) in enumerate(points):
        height = value * scale
        x = chart.left + i * slot
        chart.bars.append(
            Bar(x + slot * 0.1, chart.baseline - height, slot * 0.8, height, label, value)
        )
        if i % label_every == 0:
            chart.labels.append(Label(x + slot / 2, label))
    return chart


def stacked_chart(
    groups: Sequence[tuple[str, Sequence[tuple[str, int, str]]]],
) -> Chart:
    """One stacked bar per group (e.g. a month), each part (name, value, css class)."""
    chart = Chart()
    if not groups:
        return chart
    scale = _axis(chart, max(sum(v for _, v, _ in parts) for _, parts in groups))
    slot = (chart.width - chart.left) / len(groups)
    for i, (label, parts) in enumerate(groups):
        x = chart.left + i * slot + slot * 0.2
        y = chart.baseline
        for name, value, css in parts:
            height = value * scale
            y -= height
            if value:
                chart.bars.append(Bar(x, y, slot * 0.6, height, f"{label}: {name}", value, css))
        chart.labels.append(Label(chart.left + i * slot + slot / 2, label))
    return chart
