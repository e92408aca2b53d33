"""Turn rows into the public shapes shared by the JSON API and the pages."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service.actor import Actor
from service.auth import repository
from service.auth.audit import AUDIT_LABELS
from service.auth.schemas import AuditEntryPublic, CodeSent, GrantPublic, MePublic, UserPublic
from service.masking import mask_phone
from service.messages import Message, text
from service.models import AuditEntry, User
from service.settings import Settings
from service.vocab import ROLE_LABELS, Role


def grant_public(row: dict) -> GrantPublic:
    role = Role(row["role"])
    return GrantPublic(role=role, role_label=ROLE_LABELS[role], **{k: row[k] for k in (
        "area_id", "area_name", "team_id", "team_name")})  # fmt: skip


async def users_public(session: AsyncSession, users: list[User]) -> list[UserPublic]:
    """Users with their grants, phones masked (one query for all grants)."""
    grants = await repository.grant_rows_of(session=session, user_ids=[u.id for u in users])
    return [
        UserPublic(
            id=user.id,
            name=user.name,
            phone_masked=mask_phone(user.phone),
            status=user.status,
            created_at=user.created_at,
            last_active_at=user.last_active_at,
            grants=[grant_public(row) for row in grants[user.id]],
        )
        for user in users
    ]


async def me_public(session: AsyncSession, actor: Actor) -> MePublic:
    user = await repository.user_by_id(session=session, user_id=actor.user_id)
    grants = await repository.grant_rows_of(session=session, user_ids=[user.id])
    return MePublic(
        user_id=user.id,
        name=user.name,
        phone=user.phone,
        status=user.status,
        grants=[grant_public(row) for row in grants[user.id]],
        volunteer_id=actor.volunteer_id,
    )


def audit_public(entry: AuditEntry) -> AuditEntryPublic:
    return AuditEntryPublic(
        id=entry.id,
        at=entry.at,
        action=entry.action,
        action_label=AUDIT_LABELS.get(entry.action, entry.action),
        actor_user_id=entry.actor_user_id,
        target_user_id=entry.target_user_id,
        ip=entry.ip,
        detail=entry.detail,
    )


def code_sent_message(settings: Settings, phone: str) -> Message:
    """ "A code was texted to 138****5678, valid for N minutes" (a catalogue message)."""
    minutes = settings.phone_code_minutes
    return text("notification.phone_code.sent", phone=mask_phone(phone), minutes=minutes)


def code_sent(settings: Settings, phone: str) -> CodeSent:
    """The one answer to step 1, known number or not."""
    return CodeSent(
        message=code_sent_message(settings, phone),
        phone_masked=mask_phone(phone),
        expires_in_minutes=settings.phone_code_minutes,
    )
