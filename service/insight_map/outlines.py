"""Outlines for the offline map: areas carry centroids but no boundaries, so a street is drawn
as the convex hull of its communities' centroids, widened a little so the points sit inside it.
Pure: (lat, lng) tuples in, (lat, lng) tuples out."""

from __future__ import annotations

from collections.abc import Iterable

Point = tuple[float, float]

# About 250 m: a street of two communities still reads as an area, not a line.
MARGIN_DEGREES = 0.0025


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: Iterable[Point]) -> list[Point]:
    """The hull's corners counter-clockwise (Andrew's monotone chain); fewer than 3 distinct
    points come back as they are."""
    unique = sorted(set(points))
    if len(unique) < 3:
        return unique
    lower: list[Point] = []
    for point in unique:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], point) <= 0:
            lower.pop()
        lower.append(point)
    upper: list[Point] = []
    for point in reversed(unique):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], point) <= 0:
            upper.pop()
        upper.append(point)
    return lower[:-1] + upper[:-1]


def outline(points: Iterable[Point], margin: float = MARGIN_DEGREES) -> list[Point]:
    """A closed shape around ``points``: the hull of each point's small square (so one point
    gives a square, two a rounded band, many their hull widened by ``margin``)."""
    corners = [
        (lat + d_lat, lng + d_lng)
        for lat, lng in points
        for d_lat in (-margin, margin)
        for d_lng in (-margin, margin)
    ]
    return convex_hull(corners)
