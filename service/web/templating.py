"""Jinja2 templates; one template per page, rendered whole or as an htmx fragment.

Every rendering happens inside ``use_locale(page_locale(request))``, so ``{% trans %}`` and
``_()`` speak the reader's language; ``display`` carries the reader's choices (language,
大字 display, acting role) and the role's navigation to the layout.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2_fragments import render_block

from service import page_text, vocab
from service.actor import ANONYMOUS, Actor
from service.localtime import local_text
from service.masking import mask_phone
from service.messages import DEFAULT_LOCALE, LOCALES, Message, negotiate_locale
from service.settings import PROJECT_ROOT, get_settings
from service.web import navigation

templates = Jinja2Templates(directory=PROJECT_ROOT / "templates")  # autoescape is on for .html
templates.env.add_extension("jinja2.ext.i18n")
# newstyle: `_("…%(name)s", name=x)` escapes the values and fails loudly on a missing one.
templates.env.install_gettext_callables(page_text.gettext, page_text.ngettext, newstyle=True)

LOCALE_COOKIE = "kepu_lang"
LARGE_TEXT_COOKIE = "kepu_large"
PREFERENCE_MAX_AGE = 365 * 24 * 3600


def request_actor(request: Request) -> Actor:
    return getattr(request.state, "actor", None) or ANONYMOUS


def page_locale(request: Request) -> str:
    """The switch (a cookie) first, then the person's saved choice, then ``Accept-Language``."""
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in LOCALES:
        return chosen
    saved = request_actor(request).locale
    if saved in LOCALES:
        return saved
    return negotiate_locale(request.headers.get("Accept-Language"))


def in_page_locale(request: Request, value: str) -> str:
    """A refusal or notice in the reader's language: catalogue messages (``service.messages``)
    are said again in that locale; any other text is shown as it is."""
    locale = page_locale(request)
    if locale != DEFAULT_LOCALE and isinstance(value, Message):
        return value.in_locale(locale)
    return value


# 长辈 mode is ON by default on the pages residents use (home, 评单, templates/resident/): many
# are older and come once a year. It is only a default: the 大字 switch (a cookie) or the saved
# choice of a logged-in person wins, so anyone can turn it off in the header.
ELDER_FIRST_TEMPLATES = ("home.html", "public/", "resident/")


def wants_large_text(request: Request, *, elder_first: bool = False) -> bool:
    """The 大字/长辈 display: this browser's switch, else the person's saved choice, else
    ``elder_first`` for anonymous readers of the residents' pages."""
    cookie = request.cookies.get(LARGE_TEXT_COOKIE)
    if cookie in ("1", "0"):
        return cookie == "1"
    actor = request_actor(request)
    return actor.large_text if not actor.is_anonymous else elder_first


def display(request: Request, template: str = "") -> dict:
    """What the layout needs to know about the reader (``template``: the page being drawn)."""
    actor = request_actor(request)
    chosen = request.cookies.get(navigation.ROLE_COOKIE)
    known = navigation.known_routes(request.app)
    return {
        "locale": page_locale(request),
        "html_lang": "en" if page_locale(request) == "en" else "zh-CN",
        "large_text": wants_large_text(
            request, elder_first=template.startswith(ELDER_FIRST_TEMPLATES)
        ),
        "roles": navigation.desk_roles(actor),
        "active_role": navigation.active_role(actor, chosen),
        "nav": navigation.navigation(actor, chosen, known),
    }


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in the service's time zone (KEPU_TIMEZONE, Asia/Shanghai by default)."""
    if value is None:
        return ""
    return local_text(value, get_settings().timezone, fmt)


def masked_phone(phone: str | None) -> str:
    """The template filter: the masked number, or a dash when there is none."""
    return mask_phone(phone) or "—"


@pass_context
def path_for(context: dict, name: str, /, **path_params: object) -> str:
    """``url_for`` in templates: the path only. Starlette's builds an absolute URL from the
    request's Host header, which a client chooses; a path needs no host at all."""
    request: Request = context["request"]
    return request.url_for(name, **path_params).path


@pass_context
def absolute_url(context: dict, name: str, /, **path_params: object) -> str:
    """An absolute URL, for where one is needed (e.g. a link sent out): the configured public
    origin (``KEPU_PUBLIC_ORIGIN``), never the Host header."""
    request: Request = context["request"]
    return request.app.state.settings.origin + path_for(context, name, **path_params)


templates.env.filters["local_time"] = local_time
templates.env.filters["mask_phone"] = masked_phone
templates.env.globals["url_for"] = path_for
templates.env.globals["absolute_url"] = absolute_url
templates.env.globals["N_"] = page_text.N_
# The label tables (ORDER_STATUS_LABELS, …): Chinese source text, shown through `_()`.
templates.env.globals.update(
    {name: table for name, table in vars(vocab).items() if name.endswith("_LABELS")}
)


def render(
    request: Request, template: str, context: dict | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page; with ``HX-Request`` the same template renders into the fragment layout."""
    context = dict(context or {})
    context.setdefault("layout", "layout_fragment.html" if is_htmx(request) else "base.html")
    context.setdefault("display", display(request, template))
    with page_text.use_locale(context["display"]["locale"]):
        response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Vary"] = "HX-Request, Cookie"
    return response


def render_fragment(
    request: Request, template: str, block: str, context: dict | None = None, *, status_code=200
) -> HTMLResponse:
    """One named block of a page's template, alone: the fragment htmx swaps in (e.g. after a
    live update), rendered from the same template as the page so the two cannot drift."""
    context = {"request": request, "display": display(request, template), **(context or {})}
    context.setdefault("layout", "layout_fragment.html")
    with page_text.use_locale(context["display"]["locale"]):
        html = render_block(templates.env, template, block, context)
    return HTMLResponse(html, status_code=status_code, headers={"Vary": "HX-Request, Cookie"})
