"""Jinja2 templates; one template per page, rendered whole or as an htmx fragment."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from service.localtime import local_text
from service.masking import mask_phone
from service.settings import PROJECT_ROOT, get_settings

templates = Jinja2Templates(directory=PROJECT_ROOT / "templates")  # autoescape is on for .html


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


def render(
    request: Request, template: str, context: dict | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page; with ``HX-Request`` the same template renders into the fragment layout."""
    context = dict(context or {})
    context.setdefault("layout", "layout_fragment.html" if is_htmx(request) else "base.html")
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response
