"""消息: everyone's inbox page, the unread count in the header, and opening a message.

Messages are said in the reader's language (their key and parameters are kept with the row).
Opening one marks it read and goes to what it is about, as the reader's active role sees it:
a worker to the order's desk page, a team leader to the team's offer, a volunteer to their offer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from service.actor import Actor
from service.auth.access import AUTHENTICATED, requires
from service.auth.dependencies import ContextDep
from service.auth.web import redirect
from service.notifications import repository, service
from service.notifications.schemas import NotificationPublic
from service.vocab import Role
from service.web import navigation
from service.web.deps import SessionDep
from service.web.live import change_stream
from service.web.pagination import PageDep
from service.web.params import IdPath
from service.web.templating import page_locale, render, render_fragment

router = APIRouter(prefix="/inbox", include_in_schema=False)
Me = Annotated[Actor, requires(AUTHENTICATED)]
INBOX = "inbox/inbox.html"
LIVE_EVENT = "inbox-changed"


def message_target(payload: dict, role: Role | None) -> str | None:
    """The page a message is about, for the role the reader acts in (None: nothing to open)."""
    order_id, offer_id = payload.get("order_id"), payload.get("offer_id")
    if role == Role.volunteer:
        if offer_id:
            return f"/v/offers/{int(offer_id)}"
        return "/v" if order_id else None
    if role == Role.team_leader and order_id:
        return f"/desk/team/offers/{int(order_id)}"
    if role in (Role.worker, Role.coordinator, Role.admin):
        if order_id:
            return f"/desk/orders/{int(order_id)}"
        if payload.get("demand_id") and role == Role.worker:
            return "/desk/demands"
    return None


def _role(request: Request, actor: Actor) -> Role | None:
    return navigation.active_role(actor, request.cookies.get(navigation.ROLE_COOKIE))


async def _inbox_context(request: Request, session, ctx, actor: Actor, page) -> dict:
    rows, total = await service.inbox(
        session, ctx, unread_only=False, limit=page.limit, offset=page.offset
    )
    role = _role(request, actor)
    locale = page_locale(request)
    messages = [
        (NotificationPublic.for_reader(row, locale), message_target(row.payload or {}, role))
        for row in rows
    ]
    version, unread = await repository.inbox_state(session=session, user_id=actor.user_id)
    return {
        "messages": messages,
        "total": total,
        "page": page,
        "unread": unread,
        "version": version,
    }


@router.get("", name="inbox")
async def inbox(request: Request, session: SessionDep, ctx: ContextDep, page: PageDep, actor: Me):
    """My messages, newest first; unread ones marked. Updates live while open."""
    return render(request, INBOX, await _inbox_context(request, session, ctx, actor, page))


@router.get("/list", name="inbox_list")
async def inbox_list(
    request: Request, session: SessionDep, ctx: ContextDep, page: PageDep, actor: Me
):
    """The list part of the inbox page (what the live page fetches when something changed)."""
    context = await _inbox_context(request, session, ctx, actor, page)
    return render_fragment(request, INBOX, "messages", context)


@router.get("/badge", name="inbox_badge")
async def inbox_badge(session: SessionDep, actor: Me):
    """The unread count for the header's 消息 link (static/js/app.js asks every few seconds)."""
    unread = await repository.unread_count(session=session, user_id=actor.user_id)
    return JSONResponse({"unread": unread}, headers={"Cache-Control": "no-store"})


@router.get("/live", name="inbox_live")
async def inbox_live(request: Request, session: SessionDep, actor: Me):
    """Server-sent events: ``inbox-changed`` when a message arrives or is read."""
    if "text/event-stream" not in request.headers.get("accept", ""):
        version, _unread = await repository.inbox_state(session=session, user_id=actor.user_id)
        return PlainTextResponse(version, headers={"Cache-Control": "no-store"})

    async def version(own_session) -> str:
        return (await repository.inbox_state(session=own_session, user_id=actor.user_id))[0]

    return change_stream(request, version=version, event=LIVE_EVENT, interval=2.0)


@router.post("/read-all", name="inbox_read_all")
async def inbox_read_all(request: Request, session: SessionDep, ctx: ContextDep, actor: Me):
    await service.mark_all_read(session, ctx)
    return redirect(request, request.url_for("inbox").path)


@router.post("/{notification_id}/open", name="inbox_open")
async def inbox_open(
    request: Request, notification_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Me
):
    """Mark one of my messages read and go to what it is about (else back to the inbox).
    Someone else's message is "not found", like the API's."""
    row = await service.mark_read(session, ctx, notification_id=notification_id)
    target = message_target(row.payload or {}, _role(request, actor))
    return redirect(request, target or request.url_for("inbox").path)
