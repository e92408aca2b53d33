"""No location oracle (issue #12): previews cannot be turned into volunteers' home addresses.

The attack of the finding: preview from a few chosen points, turn whatever each candidate entry
carries (a distance, the distance part v with d = 3(1/v − 1), the total score, the explanation's
"2.3 km") into a distance, and trilaterate. Previews now show a band, parts computed from the
band and rounded, only for the community's own places, and at most so many per person.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from matching.geo import geodesic_km
from service.models import Event, Offer, Venue
from service.vocab import Role
from tests.factories import (
    ZHIFU_LAT,
    ZHIFU_LNG,
    bearer,
    make_api_token,
    make_area_tree,
    make_order,
    make_skill,
    make_user,
    make_volunteer,
)

KM_PER_DEG_LAT = 111.2
KM_PER_DEG_LNG = KM_PER_DEG_LAT * math.cos(math.radians(ZHIFU_LAT))
# Homes (km east, km north of the community centre), none at a band's middle distance.
HOMES = [(0.3, 0.2), (-1.2, 0.7), (0.8, -1.6), (2.1, 1.1), (-0.6, -2.4), (-2.3, -0.4), (1.4, 2.3)]
# Preview points, all within the community (the centre and 1.8 km out at three bearings).
POINTS = [(0.0, 0.0), (0.0, 1.8), (1.56, -0.9), (-1.56, -0.9)]
DECIMAL_KM = re.compile(r"(\d+\.\d+) ?km")


def _lat_lng(east_km: float, north_km: float) -> tuple[float, float]:
    return ZHIFU_LAT + north_km / KM_PER_DEG_LAT, ZHIFU_LNG + east_km / KM_PER_DEG_LNG


async def _world(session):
    _, _, community = await make_area_tree(session)
    skill = await make_skill(session)
    worker = await make_user(session, roles=((Role.worker, community.id, None),))
    staff = bearer(await make_api_token(session, user_id=worker.id))
    homes = {}
    for east, north in HOMES:
        lat, lng = _lat_lng(east, north)
        volunteer = await make_volunteer(
            session, home_area=community, skills=[skill], lat=lat, lng=lng, radius_km=15
        )
        homes[volunteer.id] = (lat, lng)
    await session.commit()
    return community, skill, staff, homes


def _body(community_id, skill_id, clock, **place):
    start = clock.now() + timedelta(days=2)
    return {
        "community_id": community_id,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "skill_ids": [skill_id],
        "max_distance_km": 10,
        **place,
    }


def _distance_claims(candidate: dict) -> list[float]:
    """Every distance an attacker can read or recompute from one candidate entry."""
    claims = []
    if "distance_km" in candidate:
        claims.append(candidate["distance_km"])
    parts = {p["code"]: p for p in candidate["parts"]}
    distance = parts["distance"]
    if distance["value"] > 0:
        claims.append(3.0 * (1.0 / distance["value"] - 1.0))  # the proximity part, inverted
        others = sum(p["value"] * p["weight"] for code, p in parts.items() if code != "distance")
        v = (candidate["score"] - others) / distance["weight"]  # the total, minus the rest
        if v > 0:
            claims.append(3.0 * (1.0 / v - 1.0))
    claims += [float(km) for km in DECIMAL_KM.findall(candidate["explanation"])]
    return claims


def _trilaterate(points_km, distances_km) -> tuple[float, float]:
    """Least-squares position (km east, km north) on a 20 m grid over the district."""
    axis = np.arange(-6.0, 6.0, 0.02)
    east, north = np.meshgrid(axis, axis)
    residual = np.zeros_like(east)
    for (px, py), d in zip(points_km, distances_km, strict=True):
        residual += (np.hypot(east - px, north - py) - d) ** 2
    i = np.unravel_index(np.argmin(residual), residual.shape)
    return float(east[i]), float(north[i])


async def test_trilateration_from_previews_locates_nobody_closer_than_a_band(
    client, session, clock
):
    community, skill, staff, homes = await _world(session)
    seen: dict[int, list[tuple[tuple[float, float], dict]]] = {v: [] for v in homes}
    for point in POINTS:
        lat, lng = _lat_lng(*point)
        body = _body(community.id, skill.id, clock, lat=lat, lng=lng)
        response = await client.post("/api/v1/orders/preview", json=body, headers=staff)
        assert response.status_code == 200, response.text
        for candidate in response.json()["candidates"]:
            seen[candidate["volunteer_id"]].append((point, candidate))
    located = []
    for volunteer_id, (home_lat, home_lng) in homes.items():
        observations = seen[volunteer_id]
        assert len(observations) == len(POINTS)  # everyone is a candidate from every point
        # The sharpest claim of each entry (the band's middle if there is none).
        estimates = [
            (_distance_claims(c) or [_band_middle(c["distance_band"])])[0] for _, c in observations
        ]
        east, north = _trilaterate([p for p, _ in observations], estimates)
        found_lat, found_lng = _lat_lng(east, north)
        error_km = geodesic_km(found_lat, found_lng, home_lat, home_lng)
        if error_km < 0.25:
            located.append(f"volunteer {volunteer_id} located to {error_km * 1000:.0f} m")
    assert located == [], located
    # What the bands allow: every home has places 500 m away that answer the same bands.
    axis = np.arange(-6.0, 6.0, 0.05)
    east, north = np.meshgrid(axis, axis)
    for volunteer_id, observations in seen.items():
        consistent = np.ones_like(east, dtype=bool)
        for (px, py), candidate in observations:
            d = np.hypot(east - px, north - py)
            lower, upper = _band_edges(candidate["distance_band"])
            consistent &= (d >= lower) & (d < upper)
        home = HOMES[list(homes).index(volunteer_id)]
        spread = np.hypot(east[consistent] - home[0], north[consistent] - home[1]).max()
        assert spread >= 0.5, (volunteer_id, spread)


def _assert_banded(candidate_or_offer: dict) -> None:
    """No exact distance: a band label, no "2.3 km", parts and score to two decimals."""
    assert "distance_km" not in candidate_or_offer
    explanation = candidate_or_offer["explanation"]
    assert DECIMAL_KM.search(explanation) is None, explanation
    assert re.match(r"^(\d+ km 以内|\d+–\d+ km|\d+ km 以上) · ", explanation), explanation
    assert candidate_or_offer["score"] == round(candidate_or_offer["score"], 2)
    for part in candidate_or_offer.get("parts", []):
        assert part["value"] == round(part["value"], 2), part


async def test_bands_and_rounded_parts_in_every_response_that_carried_distances(
    client, session, clock
):
    community, skill, staff, homes = await _world(session)
    body = _body(community.id, skill.id, clock, venue_name="测试社区")
    preview = await client.post("/api/v1/orders/preview", json=body, headers=staff)
    assert preview.status_code == 200, preview.text
    for candidate in preview.json()["candidates"]:
        _assert_banded(candidate)
        lat, lng = homes[candidate["volunteer_id"]]
        exact = geodesic_km(lat, lng, community.lat, community.lng)
        lower, upper = _band_edges(candidate["distance_band"])
        assert lower <= exact < upper
        distance = next(p for p in candidate["parts"] if p["code"] == "distance")
        assert distance["value"] == round(3 / (3 + _band_middle(candidate["distance_band"])), 2)
    order = await client.post(
        "/api/v1/orders",
        json={**body, "title": "急救培训", "target_group": "elderly"},
        headers=staff,
    )
    order_id = order.json()["id"]
    candidates = await client.get(f"/api/v1/orders/{order_id}/candidates", headers=staff)
    assert candidates.status_code == 200, candidates.text
    for candidate in candidates.json()["candidates"]:
        _assert_banded(candidate)
    published = await client.post(f"/api/v1/orders/{order_id}/publish", json={}, headers=staff)
    assert published.status_code == 200, published.text
    offers = await client.get(f"/api/v1/orders/{order_id}/offers", headers=staff)
    assert offers.status_code == 200 and offers.json(), offers.text
    for offer in offers.json():
        _assert_banded(offer)
    events = await client.get(f"/api/v1/orders/{order_id}/events", headers=staff)
    reasons = " ".join(e["reason"] or "" for e in events.json()["items"])
    assert "顺位邀请" in reasons and DECIMAL_KM.search(reasons) is None, reasons
    await session.rollback()
    stored = (await session.scalars(sa.select(Offer).where(Offer.order_id == order_id))).all()
    for offer in stored:
        distance = next(p for p in offer.score_parts if p["code"] == "distance")
        assert "distance_km" not in distance["detail"] and "band" in distance["detail"]
    logged = await session.scalars(sa.select(Event.reason).where(Event.order_id == order_id))
    assert all(DECIMAL_KM.search(reason or "") is None for reason in logged)


def _band_edges(label: str) -> tuple[float, float]:
    """(lower, upper) km of a band label: 「1 km 以内」, 「1–3 km」 or 「10 km 以上」."""
    if found := re.fullmatch(r"(\d+) km 以内", label):
        return 0.0, float(found[1])
    if found := re.fullmatch(r"(\d+)–(\d+) km", label):
        return float(found[1]), float(found[2])
    found = re.fullmatch(r"(\d+) km 以上", label)
    assert found, label
    return float(found[1]), math.inf


def _band_middle(label: str) -> float:
    lower, upper = _band_edges(label)
    return lower * 1.5 if upper == math.inf else (lower + upper) / 2


async def test_the_distance_limit_of_a_preview_moves_in_bands(client, session, clock):
    """Sliding max_distance_km would tell who lives within 2.0 vs 2.1 km: it is rounded up."""
    community, skill, staff, _ = await _world(session)
    answers = set()
    for limit in (1.1, 1.6, 2.2, 2.9):
        body = _body(community.id, skill.id, clock, venue_name="测试社区") | {
            "max_distance_km": limit
        }
        response = await client.post("/api/v1/orders/preview", json=body, headers=staff)
        assert response.status_code == 200, response.text
        data = response.json()
        answers.add((data["count"], tuple(c["volunteer_id"] for c in data["candidates"])))
    assert len(answers) == 1, answers


async def test_a_preview_outside_the_community_is_refused(client, session, clock):
    community, skill, staff, _ = await _world(session)
    far_lat, far_lng = _lat_lng(0.0, 4.0)
    body = _body(community.id, skill.id, clock, lat=far_lat, lng=far_lng)
    response = await client.post("/api/v1/orders/preview", json=body, headers=staff)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "outside_area" and "本社区" in problem["detail"]
    # A saved order there cannot be previewed either.
    order = await make_order(
        session,
        community=community,
        starts_at=clock.now() + timedelta(days=2),
        skills=[skill],
        lat=far_lat,
        lng=far_lng,
    )
    # A saved venue of the community is the community's own place, however far out.
    venue = Venue(
        community_id=community.id, name="远郊营地", address="远郊", lat=far_lat, lng=far_lng
    )
    session.add(venue)
    await session.flush()
    order_id, venue_id = order.id, venue.id
    await session.commit()
    refused = await client.get(f"/api/v1/orders/{order_id}/candidates", headers=staff)
    assert refused.status_code == 403 and refused.json()["code"] == "outside_area"
    allowed = await client.post(
        "/api/v1/orders/preview",
        json=_body(community.id, skill.id, clock, venue_id=venue_id),
        headers=staff,
    )
    assert allowed.status_code == 200, allowed.text


@pytest.mark.parametrize("settings_overrides", [{"preview_max_per_window": 3}])
async def test_previews_are_rate_limited_per_person(client, session, clock, settings):
    community, skill, staff, _ = await _world(session)
    body = _body(community.id, skill.id, clock, venue_name="测试社区")
    for _ in range(2):
        response = await client.post("/api/v1/orders/preview", json=body, headers=staff)
        assert response.status_code == 200, response.text
    order = await make_order(
        session, community=community, starts_at=clock.now() + timedelta(days=2), skills=[skill]
    )
    order_id = order.id
    await session.commit()
    candidates = await client.get(f"/api/v1/orders/{order_id}/candidates", headers=staff)
    assert candidates.status_code == 200  # the third preview of this person
    refused = await client.post("/api/v1/orders/preview", json=body, headers=staff)
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) > 0
    assert "分钟后重试" in refused.json()["detail"]
    # Another worker of the community is not held back; the window slides.
    other = await make_user(session, roles=((Role.worker, community.id, None),))
    other_staff = bearer(await make_api_token(session, user_id=other.id))
    await session.commit()
    response = await client.post("/api/v1/orders/preview", json=body, headers=other_staff)
    assert response.status_code == 200, response.text
    clock.advance(timedelta(minutes=settings.login_window_minutes, seconds=1))
    response = await client.post("/api/v1/orders/preview", json=body, headers=staff)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("settings_overrides", [{"preview_max_per_window": 3}])
async def test_refused_previews_count_against_the_limit_too(client, session, clock):
    # Each refusal rolls its request back; the attempt it counted must stay counted, or a
    # prober sweeping points outside the area would never be slowed down.
    community, skill, staff, _ = await _world(session)
    far_lat, far_lng = _lat_lng(0.0, 4.0)
    body = _body(community.id, skill.id, clock, lat=far_lat, lng=far_lng)
    answers = [
        (await client.post("/api/v1/orders/preview", json=body, headers=staff)).status_code
        for _ in range(4)
    ]
    assert answers == [403, 403, 403, 429]
