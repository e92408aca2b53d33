"""The page foundation: where each role lands, its navigation, the language and 大字 switches."""

from __future__ import annotations

import re

import sqlalchemy as sa

from service.actor import Actor, RoleGrant
from service.models import User
from service.vocab import Role
from service.web import navigation
from tests.factories import make_area_tree, make_user
from tests.service.auth.helpers import browser, client_for, open_session_for

EVERY_ROUTE = frozenset(item.route for items in navigation.NAVIGATION.values() for item in items)


def _actor(*roles: Role) -> Actor:
    return Actor(user_id=1, name="王芳", grants=tuple(RoleGrant(role=role) for role in roles))


def test_each_role_lands_on_its_own_first_page():
    assert navigation.landing_route(_actor(Role.worker), None, EVERY_ROUTE) == "desk_today"
    assert navigation.landing_route(_actor(Role.coordinator), None, EVERY_ROUTE) == "desk_queue"
    assert navigation.landing_route(_actor(Role.team_leader), None, EVERY_ROUTE) == "desk_team"
    assert navigation.landing_route(_actor(Role.admin), None, EVERY_ROUTE) == "admin_users"
    assert navigation.landing_route(_actor(Role.volunteer), None, EVERY_ROUTE) == "volunteer_home"


def test_a_person_with_several_roles_acts_in_the_chosen_one_and_only_one_they_hold():
    both = _actor(Role.volunteer, Role.worker)
    assert navigation.active_role(both, None) == Role.worker  # precedence when not chosen
    assert navigation.active_role(both, "volunteer") == Role.volunteer
    assert navigation.active_role(both, "admin") == Role.worker  # a cookie grants nothing
    assert next(item.route for item in navigation.navigation(both, "worker", EVERY_ROUTE)) == (
        "desk_today"
    )


def test_every_navigation_route_is_served_by_the_app(app):
    served = navigation.known_routes(app)
    assert EVERY_ROUTE - served == set()


async def _worker_session(session, settings, clock):
    _, _, community = await make_area_tree(session)
    user = await make_user(
        session, phone="13812345670", name="王芳", roles=((Role.worker, community.id, None),)
    )
    cookie, csrf = await open_session_for(session, settings, user_id=user.id, now=clock.now())
    await session.commit()
    return user, cookie, csrf


async def test_login_without_a_destination_lands_on_the_roles_desk(app, session, settings, clock):
    _, cookie, _ = await _worker_session(session, settings, clock)
    async with browser(app, settings, cookie) as http:
        landing = await http.get("/start")
        assert landing.status_code == 303
        assert landing.headers["location"] == "/desk"
        htmx = await http.get("/start", headers={"HX-Request": "true"})
        assert htmx.headers["HX-Redirect"] == "/desk"
    async with client_for(app) as anonymous:  # nobody to land: log in first
        assert (await anonymous.get("/start")).headers["location"].startswith("/login")


async def test_the_language_switch_is_remembered_for_the_browser_and_the_person(
    app, session, settings, clock
):
    user, cookie, csrf = await _worker_session(session, settings, clock)
    async with browser(app, settings, cookie, csrf) as http:
        chinese = await http.get("/me")
        assert '<html lang="zh-CN"' in chinese.text and "退出" in chinese.text
        switched = await http.post("/preferences", data={"locale": "en", "next": "/me"})
        assert switched.status_code == 303 and switched.headers["location"] == "/me"
        assert "kepu_lang=en" in switched.headers["set-cookie"]
        english = await http.get("/me")
        assert '<html lang="en"' in english.text and "Log out" in english.text
    saved = await session.scalar(sa.select(User.locale).where(User.id == user.id))
    assert saved == "en"
    # Another browser of the same person (no language cookie) speaks English too.
    async with browser(app, settings, cookie) as other:
        assert '<html lang="en"' in (await other.get("/me")).text


async def test_accept_language_applies_until_the_person_chooses(app):
    async with client_for(app) as http:
        english = await http.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
        assert '<html lang="en"' in english.text and "Log in" in english.text
        chinese = await http.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
        assert '<html lang="zh-CN"' in chinese.text and "登录" in chinese.text
        http.cookies.set("kepu_lang", "zh_CN")
        chosen = await http.get("/", headers={"Accept-Language": "en"})
        assert '<html lang="zh-CN"' in chosen.text


async def test_the_large_text_switch_sets_a_class_on_the_page_and_is_saved(
    app, session, settings, clock
):
    user, cookie, csrf = await _worker_session(session, settings, clock)
    async with browser(app, settings, cookie, csrf) as http:
        assert "large-text" not in (await http.get("/me")).text
        await http.post("/preferences", data={"large_text": "1", "next": "/me"})
        page = await http.get("/me")
        assert re.search(r'<html lang="zh-CN" class="large-text"', page.text)
        assert 'aria-pressed="true"' in page.text
    assert await session.scalar(sa.select(User.large_text).where(User.id == user.id)) is True


async def test_unknown_preference_values_change_nothing(app, session, settings, clock):
    user, cookie, csrf = await _worker_session(session, settings, clock)
    async with browser(app, settings, cookie, csrf) as http:
        answer = await http.post(
            "/preferences",
            data={"locale": "fr", "large_text": "yes", "switch": "role", "role": "admin"},
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        assert "set-cookie" not in answer.headers
    row = (
        await session.execute(sa.select(User.locale, User.large_text).where(User.id == user.id))
    ).one()
    assert tuple(row) == (None, False)


async def test_an_anonymous_visitor_may_switch_language_with_a_cookie_only(app):
    async with client_for(app) as http:
        home = await http.get("/")
        token = re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)
        answer = await http.post("/preferences", data={"locale": "en", "csrf_token": token})
        assert answer.status_code == 303
        assert '<html lang="en"' in (await http.get("/")).text


async def test_a_page_address_with_a_malformed_id_is_not_found_in_words(
    app, session, settings, clock
):
    _, cookie, _ = await _worker_session(session, settings, clock)
    async with browser(app, settings, cookie) as http:
        page = await http.get("/desk/orders/abc")
        assert page.status_code == 404
        assert "path" not in page.text and "order_id" not in page.text
        api = await http.get("/api/v1/orders/abc")  # the API still says what was wrong
        assert api.status_code == 422 and api.json()["errors"][0]["loc"][0] == "path"
