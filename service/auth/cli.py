"""``kepu users``: retention erasure and creating the first administrator."""

from __future__ import annotations

import asyncio
import getpass

import typer

from service.settings import get_settings

app = typer.Typer(help="用户与个人信息 / users and personal data.", no_args_is_help=True)


@app.command("erase-stale-phones")
def erase_stale_phones(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be erased."),
) -> None:
    """Erase phone numbers of residents inactive longer than KEPU_PHONE_RETENTION_DAYS."""
    report = asyncio.run(_erase(dry_run))
    verb = "would erase" if dry_run else "erased"
    typer.echo(
        f"{verb}: {report.demand_contacts} demand contacts, "
        f"{report.resident_accounts} resident accounts"
    )


async def _erase(dry_run: bool):
    from service.auth.retention import erase_stale_phones as erase
    from service.clock import SystemClock
    from service.db import create_engine, create_sessionmaker, open_session

    settings = get_settings()
    engine = create_engine(settings)
    try:
        session = await open_session(create_sessionmaker(engine), write=True)
        try:
            report = await erase(
                session, now=SystemClock().now(), settings=settings, dry_run=dry_run
            )
            await session.commit()
            return report
        finally:
            await session.close()
    finally:
        await engine.dispose()


@app.command("create-admin")
def create_admin(
    phone: str = typer.Option(..., help="Mainland mobile number (11 digits)."),
    name: str = typer.Option("管理员", help="Display name."),
) -> None:
    """Create an administrator; the password is read from the terminal, never an argument."""
    password = getpass.getpass("密码 / password: ")
    user_id = asyncio.run(_create_admin(phone, name, password))
    typer.echo(f"administrator created: user {user_id}")


async def _create_admin(phone: str, name: str, password: str) -> int:
    from pydantic import TypeAdapter, ValidationError

    from service.auth.passwords import hash_password
    from service.auth.service import check_password_strength
    from service.db import create_engine, create_sessionmaker, open_session
    from service.errors import AppError
    from service.models import RoleAssignment, User
    from service.schemas_common import PhoneNumber
    from service.vocab import Role

    settings = get_settings()
    try:
        phone = TypeAdapter(PhoneNumber).validate_python(phone)
        check_password_strength(password, settings, phone=phone)
    except (ValidationError, AppError) as error:
        raise typer.BadParameter(str(getattr(error, "detail", error))) from None
    engine = create_engine(settings)
    try:
        session = await open_session(create_sessionmaker(engine), write=True)
        try:
            user = User(phone=phone, name=name, password_hash=await hash_password(password))
            session.add(user)
            await session.flush()
            session.add(RoleAssignment(user_id=user.id, role=Role.admin))
            await session.commit()
            return user.id
        finally:
            await session.close()
    finally:
        await engine.dispose()
