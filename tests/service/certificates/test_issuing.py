"""Issuing certificates: what they hold (checked against the records read with plain SQL), the
same certificate on a second issue, a new serial when the hours change, and scope."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from service.certificates import refusals, service
from service.certificates.periods import Period
from service.certificates.refusals import CertificateRefusal
from service.models import Certificate

SHANGHAI = ZoneInfo("Asia/Shanghai")
LAST_YEAR = Period(date(2025, 1, 1), date(2025, 12, 31))
THIS_YEAR = Period(date(2026, 1, 1), date(2026, 11, 23))


async def expected_lines(session, volunteer_id: int, period: Period) -> list[dict]:
    """The records a certificate must list, read independently: plain SQL, local days in Python."""
    rows = (
        await session.execute(
            sa.text(
                "SELECT r.started_at, o.title, a.name, r.hours FROM service_records r "
                "JOIN orders o ON o.id = r.order_id JOIN areas a ON a.id = o.community_id "
                "WHERE r.volunteer_id = :v ORDER BY r.started_at"
            ),
            {"v": volunteer_id},
        )
    ).all()
    lines = []
    for started, title, community, hours in rows:
        if isinstance(started, str):  # SQLite hands back text
            started = datetime.fromisoformat(started)
        if started.tzinfo is None:
            started = started.replace(tzinfo=ZoneInfo("UTC"))
        day = started.astimezone(SHANGHAI).date()
        if period.first <= day <= period.last and hours > 0:
            lines.append({"day": day.isoformat(), "title": title, "community": community,
                          "hours": hours})  # fmt: skip
    return lines


@pytest.mark.parametrize("period", [LAST_YEAR, THIS_YEAR], ids=["last_year", "this_year"])
async def test_the_certificate_lists_the_period_s_records_and_their_total(
    session, world, ctx_of, period
):
    wang = world.ids["volunteer:wang"]
    certificate = await service.issue(session, ctx_of("wang"), volunteer_id=wang, period=period)
    await session.commit()
    expected = await expected_lines(session, wang, period)
    assert certificate.lines == expected
    assert certificate.activity_count == len(expected) == 2
    assert certificate.total_hours == pytest.approx(sum(line["hours"] for line in expected))
    assert certificate.volunteer_name == "王志愿"
    assert certificate.issuer == "烟台市芝罘区科学技术协会"
    assert certificate.issued_on == date(2026, 11, 23)
    assert certificate.serial == f"KP-2026-{certificate.id:06d}"
    assert len(certificate.token) >= 16 and certificate.serial not in certificate.token


async def test_the_year_turn_is_local_time(session, world, ctx_of):
    wang = world.ids["volunteer:wang"]
    last = await service.issue(session, ctx_of("wang"), volunteer_id=wang, period=LAST_YEAR)
    this = await service.issue(session, ctx_of("wang"), volunteer_id=wang, period=THIS_YEAR)
    # 2025-12-31 23:00 UTC is New Year's morning in Yantai: this year's, not last year's.
    assert "元旦清晨科普健步走" in [line["title"] for line in this.lines]
    assert "元旦清晨科普健步走" not in [line["title"] for line in last.lines]
    assert "跨年夜应急安全宣传" in [line["title"] for line in last.lines]
    assert last.total_hours == 4.5 and this.total_hours == 4.5


async def test_issuing_again_returns_the_same_certificate(session, world, ctx_of):
    wang = world.ids["volunteer:wang"]
    first = await service.issue(session, ctx_of("wang"), volunteer_id=wang, period=LAST_YEAR)
    await session.commit()
    again = await service.issue(session, ctx_of("street_a"), volunteer_id=wang, period=LAST_YEAR)
    await session.commit()
    assert (again.id, again.serial, again.token) == (first.id, first.serial, first.token)
    count = await session.scalar(sa.select(sa.func.count()).select_from(Certificate))
    assert count == 1


async def test_changed_hours_give_a_new_serial_and_supersede_the_old(session, world, ctx_of):
    wang = world.ids["volunteer:wang"]
    old = await service.issue(session, ctx_of("wang"), volunteer_id=wang, period=LAST_YEAR)
    await session.commit()
    old_id, old_serial = old.id, old.serial
    await session.execute(
        sa.text("UPDATE service_records SET hours = 3.0 WHERE volunteer_id = :v AND hours = 2.5"),
        {"v": wang},
    )
    new = await service.issue(session, ctx_of("wang"), volunteer_id=wang, period=LAST_YEAR)
    await session.commit()
    new_id, new_serial = new.id, new.serial
    assert new_serial != old_serial and new_id > old_id
    assert new.total_hours == 5.0
    session.expire_all()
    old = await session.get(Certificate, old_id)
    assert old.superseded_at is not None and old.superseded_by_id == new_id
    verified = await service.verify(session, serial=old_serial, token=old.token)
    assert verified.state == "superseded" and verified.superseded_by == new_serial


async def test_serials_are_never_reused(session, world, ctx_of):
    wang, li = world.ids["volunteer:wang"], world.ids["volunteer:li"]
    first = await service.issue(session, ctx_of("admin"), volunteer_id=wang, period=LAST_YEAR)
    await session.commit()
    serial = first.serial
    # Even if the newest row were removed (by hand), its number is not handed out again.
    await session.execute(sa.delete(Certificate).where(Certificate.id == first.id))
    await session.commit()
    second = await service.issue(session, ctx_of("admin"), volunteer_id=li, period=LAST_YEAR)
    assert second.serial != serial and second.id > first.id


@pytest.mark.parametrize(
    ("who", "target"),
    [("street_b", "wang"), ("street_a", "li"), ("li", "wang"), ("wang", "li")],
)
async def test_nobody_issues_outside_their_scope(session, world, ctx_of, who, target):
    with pytest.raises(CertificateRefusal) as refused:
        await service.issue(
            session, ctx_of(who), volunteer_id=world.ids[f"volunteer:{target}"], period=LAST_YEAR
        )
    assert refused.value.message == refusals.VOLUNTEER_OUT_OF_SCOPE
    assert refused.value.status_code == 404


async def test_a_period_without_service_is_refused(session, world, ctx_of):
    with pytest.raises(CertificateRefusal) as refused:
        await service.issue(
            session, ctx_of("street_a"), volunteer_id=world.ids["volunteer:zhao"], period=LAST_YEAR
        )
    assert refused.value.message == refusals.NO_SERVICE


async def test_bulk_issue_covers_exactly_the_coordinator_s_volunteers(session, world, ctx_of):
    street_a = await service.issue_for_area(session, ctx_of("street_a"), period=LAST_YEAR)
    district = await service.issue_for_area(session, ctx_of("district"), period=LAST_YEAR)
    assert [c.volunteer_name for c in street_a] == ["王志愿"]
    assert sorted(c.volunteer_name for c in district) == ["李白石", "王志愿"]
    # The street's certificate is the district's too (same volunteer, period, records).
    assert street_a[0].serial in {c.serial for c in district}
    with pytest.raises(CertificateRefusal) as refused:
        await service.issue_for_area(session, ctx_of("district"), period=LAST_YEAR, limit=1)
    assert refused.value.message == refusals.TOO_MANY


async def test_two_issues_at_once_give_one_certificate(app, world, settings, clock):
    """A double click: two write sessions (as two POSTs open them) issue at the same moment."""
    import asyncio

    from service.context import ActionContext
    from service.db import open_session

    async def issue_once():
        async with await open_session(app.state.sessionmaker, write=True) as own:
            ctx = ActionContext(actor=world.actor("wang"), now=clock.now(), settings=settings)
            certificate = await service.issue(
                own, ctx, volunteer_id=world.ids["volunteer:wang"], period=LAST_YEAR
            )
            serial = certificate.serial
            await own.commit()
            return serial

    first, second = await asyncio.gather(issue_once(), issue_once())
    assert first == second
