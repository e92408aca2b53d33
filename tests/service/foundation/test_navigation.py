"""The navigation finds the desk's pages in the real app, and login lands on the role's desk."""

from __future__ import annotations

from service.vocab import Role
from service.web import navigation
from tests.factories import make_area_tree, make_user
from tests.service.auth.helpers import browser, open_session_for


async def test_known_routes_include_the_pages_of_included_routers(app):
    known = navigation.known_routes(app)
    # Page routes live in routers included by the app, not in app.routes' top level.
    assert {"desk_today", "desk_orders", "desk_queue", "desk_team", "admin_users"} <= known


async def test_a_worker_sees_the_desk_in_the_navigation_and_lands_on_it(
    app, settings, session, clock
):
    _, _, community = await make_area_tree(session)
    worker = await make_user(session, roles=((Role.worker, community.id, None),))
    cookie, _ = await open_session_for(session, settings, user_id=worker.id, now=clock.now())
    await session.commit()
    async with browser(app, settings, cookie) as http:
        start = await http.get("/start")
        assert start.status_code == 303 and start.headers["location"] == "/desk"
        page = await http.get("/me")
    nav = page.text.split('class="site-nav"', 1)[1].split("</ul>", 1)[0]
    assert 'href="/desk"' in nav and "今日工作台" in nav
    assert 'href="/desk/orders"' in nav and "我的活动" in nav
