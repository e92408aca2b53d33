"""The dashboard's figures on the demo data equal the ones counted independently
(``expected.py``) — for the district this year, for one street last month, and for a topic
and a target group."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from service.actor import Actor, RoleGrant
from service.context import ActionContext
from service.insight import filters, service
from service.models import Area, Skill
from service.vocab import Role
from tests.service.insight.expected import expect, read_rows

YEAR = (datetime(2025, 12, 31, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC))
OCTOBER = (datetime(2026, 9, 30, 16, tzinfo=UTC), datetime(2026, 10, 31, 16, tzinfo=UTC))


async def _area(session, name) -> Area:
    return await session.scalar(sa.select(Area).where(Area.name == name))


async def _dashboard(session, settings, clock, area: Area, **params):
    actor = Actor(user_id=1, grants=(RoleGrant(Role.coordinator, area.id, area.path),))
    ctx = ActionContext(actor=actor, now=clock.now(), settings=settings)
    picked = await filters.read_filters(session, ctx, {"area": str(area.id), **params})
    return await service.dashboard(session, ctx, picked)


def _close(a, b):
    return (a is None and b is None) or a == pytest.approx(b, rel=1e-9, abs=1e-9)


def _check(view, want):
    t = view.totals
    assert sum(view.statuses.values()) == want["orders"]
    assert view.statuses == dict(want["statuses"])
    assert t["published"] == want["published"]
    assert _close(view.fill_rate, want["fill_rate"])
    assert t["expired"] == want["expired"]
    assert _close(view.median_staff_hours, want["median_staff_hours"])
    assert t["done"] == want["done"] and t["reached"] == want["reached"]
    assert float(t["hours"]) == pytest.approx(want["hours"])
    assert view.servers == want["servers"]
    assert view.hours_gini == pytest.approx(want["gini"])
    assert view.hours_top_share == pytest.approx(want["top_share"])
    assert view.first_timers == want["first_timers"]
    assert view.outcomes == {"no_show": want["no_show"], "attended": want["attended"]}
    assert _close(view.rating[0], want["rating"]) and view.rating[1] == want["ratings"]
    assert view.demand_total == want["demands"] and view.demands["adopted"] == want["adopted"]
    assert {cid for cid, _ in view.unserved} == want["unserved"]
    reached = {row.key: row.reached for row in view.reached_by_group if row.reached}
    assert reached == want["reached_by_group"]
    assert {row.key: row.published for row in view.streets if row.published} == {
        k: v for k, v in want["streets"].items() if view.streets
    }
    assert {row.key: row.published for row in view.topics if row.published} == want["topics"]
    assert sum(row.published for row in view.months) == want["published"]
    assert sum(row.published for row in view.weeks) == want["published"]


async def test_district_this_year_equals_the_rows_counted_by_hand(session, settings, clock):
    district = await _area(session, "芝罘区")
    view = await _dashboard(session, settings, clock, district, period="this_year")
    want = expect(await read_rows(session), path=district.path, start=YEAR[0], end=YEAR[1],
                  now=clock.now())  # fmt: skip
    assert want["published"] > 50 and want["done"] > 20  # the demo has something to count
    _check(view, want)
    # September (全国科普日) is marked on the monthly trend, and only September here.
    assert [row.label for row in view.months if row.campaign] == ["2026-05", "2026-09"]


async def test_one_street_last_month_equals_the_rows_counted_by_hand(session, settings, clock):
    street = await _area(session, "向阳街道")
    view = await _dashboard(
        session,
        settings,
        clock,
        street,
        period="custom",
        **{"from": "2026-10-01", "to": "2026-10-31"},
    )
    want = expect(await read_rows(session), path=street.path, start=OCTOBER[0], end=OCTOBER[1],
                  now=clock.now())  # fmt: skip
    assert view.streets == []  # a street drills down to its communities
    _check(view, want)


async def test_a_topic_and_a_group_narrow_the_orders(session, settings, clock):
    district = await _area(session, "芝罘区")
    topic = await session.scalar(sa.select(Skill).where(Skill.name == "反诈"))
    rows = await read_rows(session)
    view = await _dashboard(session, settings, clock, district, period="this_year",
                            topic=str(topic.id), group="elderly")  # fmt: skip
    wanted = [
        o for o in rows.orders
        if o.id in expect(rows, path=district.path, start=YEAR[0], end=YEAR[1],
                          now=clock.now())["ids"]
        and topic.id in rows.domains[o.id] and o.target_group == "elderly"
    ]  # fmt: skip
    assert wanted, "the demo has anti-fraud activities for the elderly"
    assert sum(view.statuses.values()) == len(wanted)
    published = [o for o in wanted if o.published_at and o.status != "cancelled"]
    assert view.totals["published"] == len(published)
    assert {row.key for row in view.groups} == {"elderly"}


async def test_the_breakdown_tables_carry_the_dashboards_rows(session, settings, clock):
    district = await _area(session, "芝罘区")
    view = await _dashboard(session, settings, clock, district, period="this_year")
    tables = {table.title: table for table in service.dashboard_tables(view)}
    assert list(tables) == ["按街道", "按社区", "按主题", "按服务人群", "按周", "按月"]
    months = [list(row) for row in tables["按月"].rows]
    assert sum(row[1] for row in months) == view.totals["published"]
    assert tables["按街道"].header[0] == "街道" and len(tables["按街道"].header) == len(months[0])
