"""Geometry of the dashboard's server-rendered SVG charts (the template draws them).

Charts carry their numbers as text too (axis labels, the latest value) and each sits beside
a table of the same numbers, so nothing depends on seeing the shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

from grid_app.dashboard.queries import SEVERITIES, Week

WIDTH = 640
HEIGHT = 260
LEFT = 48
RIGHT = 32
TOP = 20
BOTTOM = 44
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Tick:
    """A labelled gridline (y) or a labelled week (x)."""

    at: float
    label: str


@dataclass(frozen=True)
class Point:
    """One week's value on the coverage line."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Bar:
    """One severity's part of one week's stacked bar."""

    x: float
    y: float
    height: float
    severity: str
    count: int


@dataclass
class Chart:
    """What the template needs to draw one chart."""

    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    points: list[Point]
    bars: list[Bar]
    bar_width: float

    @property
    def line(self) -> str:
        """The coverage line as SVG points."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def bottom(self) -> int:
        """The y of the x axis."""
        return self.top + self.plot_h


def _label(week: Week) -> str:
    day = week.last_day
    return f"{day.day} {day:%b}"


def _x_ticks(weeks: list[Week], xs: list[float]) -> list[Tick]:
    # Every fourth week, counted back from the latest so the latest is always labelled.
    last = len(weeks) - 1
    return [Tick(xs[i], _label(weeks[i])) for i in range(last, -1, -4)][::-1]


def _nice_max(value: int) -> int:
    for step in (4, 8, 20, 40, 100, 200, 400, 1000, 2000, 4000, 10000, 20000, 40000):
        if value <= step:
            return step
    return value


def coverage_chart(weeks: list[Week]) -> Chart:
    """Share of cells filled per week, as a line from 0 to 100%."""
    step = PLOT_W / max(len(weeks) - 1, 1)
    xs = [LEFT + i * step for i in range(len(weeks))]
    points = [
        Point(x, TOP + PLOT_H * (100 - w.filled_percent) / 100, f"{w.filled_percent}%")
        for x, w in zip(xs, weeks, strict=True)
    ]
    y_ticks = [Tick(TOP + PLOT_H * (100 - pct) / 100, f"{pct}%") for pct in (0, 25, 50, 75, 100)]
    return Chart(
        WIDTH, HEIGHT, LEFT, TOP, PLOT_W, PLOT_H, y_ticks, _x_ticks(weeks, xs), points, [], 0
    )


def flags_chart(weeks: list[Week]) -> Chart:
    """Open flags per week as bars stacked high, medium, low from the bottom."""
    slot = PLOT_W / max(len(weeks), 1)
    bar_width = slot * 0.7
    top_value = _nice_max(max((w.open_total for w in weeks), default=0))
    scale = PLOT_H / top_value
    xs = [LEFT + i * slot + (slot - bar_width) / 2 for i in range(len(weeks))]
    bars: list[Bar] = []
    for x, week in zip(xs, weeks, strict=True):
        base = float(TOP + PLOT_H)
        for severity in SEVERITIES:
            count = week.open_flags[severity]
            if count:
                height = count * scale
                base -= height
                bars.append(Bar(x, base, height, severity, count))
    y_ticks = [
        Tick(TOP + PLOT_H - top_value * f * scale, str(int(top_value * f)))
        for f in (0, 0.25, 0.5, 0.75, 1)
    ]
    x_ticks = _x_ticks(weeks, [x + bar_width / 2 for x in xs])
    return Chart(WIDTH, HEIGHT, LEFT, TOP, PLOT_W, PLOT_H, y_ticks, x_ticks, [], bars, bar_width)
