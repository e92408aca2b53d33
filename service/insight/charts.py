"""Trend charts drawn on the server as SVG geometry: they print as they look (a canvas does not)
and need no script. The template draws what this computes; every bar is a link."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 26, 40


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    y: float  # top of the published bar
    height: float
    done_y: float  # top of the held (completed) part
    done_height: float
    label: str
    show_label: bool
    show_value: bool  # the count above the bar, when bars are wide enough for it
    published: int
    done: int
    fill: float | None
    params: dict
    campaign: str | None


@dataclass(frozen=True)
class Band:
    x: float
    width: float
    name: str


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    bars: list[Bar]
    bands: list[Band]  # campaign months, shaded behind the bars
    ticks: list[tuple[float, int]]  # (y, value) of the horizontal grid lines
    baseline: float
    left: int


def _nice_top(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return step * 4
    return ((value // 4000) + 1) * 4000


def trend_chart(rows) -> TrendChart:
    """Bars of published orders per bucket, the held part darker, campaign buckets banded."""
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM
    top = _nice_top(max([row.published for row in rows] + [1]))
    slot = inner_w / max(len(rows), 1)
    every = max(1, round(len(rows) / 12))  # at most ~12 axis labels, so they never overlap
    baseline = TOP + inner_h
    bars, bands = [], []
    for index, row in enumerate(rows):
        x = LEFT + index * slot
        height = inner_h * row.published / top
        done_height = inner_h * min(row.done, row.published) / top
        bars.append(
            Bar(
                x=x + slot * 0.15,
                width=slot * 0.7,
                y=baseline - height,
                height=height,
                done_y=baseline - done_height,
                done_height=done_height,
                label=row.label,
                show_label=index % every == 0,
                show_value=len(rows) <= 26,
                published=row.published,
                done=row.done,
                fill=row.fill,
                params=row.params,
                campaign=row.campaign,
            )
        )
        if row.campaign:
            if (
                bands
                and bands[-1].name == row.campaign
                and abs(bands[-1].x + bands[-1].width - x) < 0.01
            ):
                last = bands.pop()
                bands.append(Band(last.x, last.width + slot, last.name))
            else:
                bands.append(Band(x, slot, row.campaign))
    ticks = [(baseline - inner_h * i / 4, top * i // 4) for i in range(5)]
    return TrendChart(WIDTH, HEIGHT, bars, bands, ticks, baseline, LEFT)
