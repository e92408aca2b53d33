"""Checks the identity and admin page tests share: which words are left untranslated, whether
an answer is a whole page or an htmx fragment, and the people of a test world as browsers."""

from __future__ import annotations

import re

from tests.service.auth.helpers import browser, open_session_for
from tests.service.auth.world import World

CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3001-\u3011]+")
ENGLISH = {"Accept-Language": "en"}
HTMX = {"HX-Request": "true"}
# The language switch names the other language in that language, on purpose.
ALWAYS_CHINESE = ("中文",)


def world_words(world: World) -> list[str]:
    """The data of a test world (names of people, areas, teams, skills…): never translated."""
    return [
        "芝罘区", "向阳街道", "东山街道", "一号社区", "二号社区", "三号社区", "测试社区",
        "心肺复苏", "心肺复苏2", "防诈骗讲座", "防诈骗讲座2", "王阿姨", "通知", "测试用户",
        *(user.name for user in [*world.users.values(), *world.foreign_users.values()]),
        "待审核", "待审核2", *(f"志愿队{world.number}-{side}" for side in ("1", "2")),
    ]  # fmt: skip


def untranslated(html: str, data: list[str] = ()) -> list[str]:
    """The Chinese left in an English page once its data (names, places) is taken out."""
    for word in sorted({*data, *ALWAYS_CHINESE}, key=len, reverse=True):
        html = html.replace(word, " ")
    return CJK.findall(html)


def is_whole_page(html: str) -> bool:
    return html.lstrip().lower().startswith("<!doctype html>") and "<main" in html


def is_fragment(html: str) -> bool:
    """What htmx swaps in: the page's content block and its title, no layout around it."""
    return "<html" not in html and "<title>" in html and 'class="site-header' not in html


async def as_user(app, settings, session, clock, user):
    """A browser logged in as ``user`` (session cookie) and its CSRF token."""
    cookie, csrf = await open_session_for(session, settings, user_id=user.id, now=clock.now())
    await session.commit()
    return browser(app, settings, cookie), csrf
