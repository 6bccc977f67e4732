"""Small SVG charts for the audit report, drawn without a charting library.

A chart is a list of shapes with their geometry worked out here; one template macro
writes them as inline SVG, so the report fetches nothing and every label (some come from
the clouds) goes through the template engine's escaping like any other string.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

SEVERITY_COLOURS = {"critical": "#8b1a1a", "high": "#d9480f", "medium": "#e8a317", "low": "#4c8bbf"}
BAR_COLOUR = "#3b6e8f"
LABEL_WIDTH = 120
BAR_AREA = 340
ROW = 24


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str  # shown on hover, and read by screen readers


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"


@dataclass
class Chart:
    title: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, name)


def horizontal_bars(title: str, items: Sequence[tuple[str, int]], colour: str = BAR_COLOUR) -> Chart:
    """One bar per item, its value after it; bars share one scale."""
    top = max((value for _, value in items), default=0) or 1
    chart = Chart(title, LABEL_WIDTH + BAR_AREA + 60, ROW * len(items) + 8)
    for row, (name, value) in enumerate(items):
        y = 4 + row * ROW
        length = BAR_AREA * value / top
        chart.labels.append(Label(LABEL_WIDTH - 8, y + 16, name, "end"))
        visible = max(length, 1 if value else 0)
        chart.rects.append(Rect(LABEL_WIDTH, y + 3, visible, ROW - 8, colour, f"{name}: {value}"))
        chart.labels.append(Label(LABEL_WIDTH + length + 6, y + 16, str(value)))
    return chart


def stacked_columns(
    title: str, columns: Sequence[tuple[str, dict[str, int]]], stack: dict[str, str], height: int = 190
) -> Chart:
    """One column per entry (oldest left), stacked in ``stack``'s order (name -> colour); a
    column's name is shown on two lines where it has a space (a date, then a time)."""
    top = max((sum(values.values()) for _, values in columns), default=0) or 1
    plot_top, plot_bottom, left = 16, height - 44, 40
    step = min(72, (640 - left) / max(len(columns), 1))
    chart = Chart(title, int(left + step * max(len(columns), 1) + 16), height, legend=list(_legend(stack)))
    chart.labels.append(Label(left - 6, plot_top + 4, str(top), "end"))
    chart.labels.append(Label(left - 6, plot_bottom, "0", "end"))
    chart.rects.append(Rect(left, plot_bottom, step * max(len(columns), 1), 1, "#999999", "zero"))
    scale = (plot_bottom - plot_top) / top
    for number, (name, values) in enumerate(columns):
        x, base = left + number * step + step * 0.15, float(plot_bottom)
        for part, colour in stack.items():
            size = values.get(part, 0) * scale
            if size:
                base -= size
                chart.rects.append(Rect(x, base, step * 0.7, size, colour, f"{name}: {values[part]} {part}"))
        total = sum(values.values())
        chart.labels.append(Label(x + step * 0.35, base - 4, str(total), "middle"))
        for line, part in enumerate(name.split(" ", 1)):
            chart.labels.append(Label(x + step * 0.35, plot_bottom + 16 + 13 * line, part, "middle"))
    return chart


def _legend(stack: dict[str, str]) -> list[tuple[str, str]]:
    return [(colour, name) for name, colour in stack.items()]
