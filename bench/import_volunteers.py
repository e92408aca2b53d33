"""Importing 10k volunteers from XLSX: ``python -m bench.import_volunteers [--rows N]``.

On its own PostgreSQL database (created, migrated, dropped at the end): a district of 12
streets and 120 communities, a 24-skill taxonomy and 10,000 volunteers already there (so the
duplicate check runs against a real table). Then, on a generated N-row XLSX (every row right):

* dry run: ``importing.check_file`` (read, check, one look-up per kind) — and the table
  counts before and after, which must be equal;
* commit: ``importing.commit_file`` plus the commit (bulk inserts, one transaction);
* baselines, measured in the same run on a sample and **extrapolated** to N rows:
  - per row through the existing admin service: ``accounts.create_user`` (it hashes the
    required initial password, the existing rule) then the volunteer profile and skills;
  - per row without hashing: the same rows with per-row look-ups and an ORM flush per row
    (the import's writes, done one by one).

Prints a table; ``--json PATH`` writes the figures. Target: 10,000 rows ≤ 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from service import migrate
from service.actor import Actor, RoleGrant
from service.admin_data import importing, repository
from service.auth import accounts
from service.auth import repository as auth_repo
from service.auth.audit import AuditAction, record_action
from service.auth.schemas import GrantIn, UserCreate
from service.clock import SystemClock
from service.context import ActionContext
from service.db import create_engine, create_sessionmaker
from service.models import Area, Skill, User, Volunteer, VolunteerSkill
from service.settings import Settings
from service.vocab import AreaLevel, Role, UserStatus, VolunteerStatus

ADMIN_URL = os.environ.get(
    "KEPU_BENCH_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
OPERATOR = Actor(name="bench", grants=(RoleGrant(Role.admin),))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


async def _admin(statement: str) -> None:
    engine = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


def _database_url(name: str) -> str:
    return sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


async def _seed(sessions) -> tuple[list[Area], list[Skill]]:
    """The district, its streets and communities, the taxonomy."""
    async with sessions() as session:
        district = await repository.add_area(
            session=session, code="370602000000", name="芝罘区", level=AreaLevel.district,
            parent=None, lat=37.54, lng=121.40,
        )  # fmt: skip
        communities = []
        for s in range(12):
            street = await repository.add_area(
                session=session, code=f"370602{s + 1:03d}000", name=f"第{s + 1}街道",
                level=AreaLevel.street, parent=district, lat=37.5 + s / 100, lng=121.35 + s / 100,
            )  # fmt: skip
            for c in range(10):
                communities.append(await repository.add_area(
                    session=session, code=f"370602{s + 1:03d}{c + 1:03d}",
                    name=f"第{s + 1}街道第{c + 1}社区", level=AreaLevel.community, parent=street,
                    lat=street.lat + c / 1000, lng=street.lng + c / 1000,
                ))  # fmt: skip
        skills = []
        for d in range(6):
            domain = await repository.add_skill(
                session=session, code=f"d{d}", name=f"领域{d}", parent_id=None, sort_order=d
            )
            for k in range(4):
                skills.append(await repository.add_skill(
                    session=session, code=f"d{d}.s{k}", name=f"领域{d}技能{k}",
                    parent_id=domain.id, sort_order=k,
                ))  # fmt: skip
        await session.commit()
        return communities, skills


def _rows(n: int, first_phone: int, communities, skills, rng) -> list[list[object]]:
    return [
        [
            rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
            str(first_phone + i),
            rng.choice(communities).name,
            "、".join(s.name for s in rng.sample(skills, rng.randint(1, 3))),
            rng.choice(("", "3", "5", "10")),
            rng.choice(("", "退休教师", "社区医生，周末有空")),
        ]
        for i in range(n)
    ]


def _xlsx(rows: list[list[object]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("志愿者")
    sheet.append(["姓名*", "手机号*", "社区*", "技能", "服务半径（公里）", "简介"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _ctx(settings: Settings) -> ActionContext:
    return ActionContext(actor=OPERATOR, now=SystemClock().now(), settings=settings)


async def _per_row_service(sessions, settings, rows, communities, skills) -> float:
    """The existing admin path, one person at a time: create_user (hashes the initial
    password), then the profile and skills, each looked up per row."""
    by_name = {a.name: a for a in communities}
    skill_by_name = {s.name: s for s in skills}
    started = time.perf_counter()
    async with sessions() as session:
        ctx = _ctx(settings)
        for name, phone, community, skill_names, _radius, bio in rows:
            data = UserCreate(
                phone=phone, name=name, password=f"Vol{phone[-4:]}-Import!2026",
                grants=[GrantIn(role=Role.volunteer)],
            )  # fmt: skip
            user = await accounts.create_user(session, ctx=ctx, data=data)
            area = await auth_repo.area_by_id(session=session, area_id=by_name[community].id)
            volunteer = Volunteer(user_id=user.id, home_area_id=area.id, home_lat=area.lat,
                                  home_lng=area.lng, bio=bio)  # fmt: skip
            session.add(volunteer)
            await session.flush()
            for skill_name in skill_names.split("、"):
                session.add(VolunteerSkill(volunteer_id=volunteer.id,
                                           skill_id=skill_by_name[skill_name].id))  # fmt: skip
            await session.flush()
        await session.commit()
    return time.perf_counter() - started


async def _per_row_plain(sessions, settings, rows, communities, skills) -> float:
    """The import's own writes done one by one, with a look-up per row (no password)."""
    started = time.perf_counter()
    async with sessions() as session:
        ctx = _ctx(settings)
        for name, phone, community, skill_names, _radius, bio in rows:
            if await auth_repo.user_by_phone(session=session, phone=phone):
                raise RuntimeError("duplicate")
            area = await session.scalar(sa.select(Area).where(Area.name == community))
            ids = list(await session.scalars(
                sa.select(Skill.id).where(Skill.name.in_(skill_names.split("、")))
            ))  # fmt: skip
            user = User(phone=phone, name=name, status=UserStatus.active, created_at=ctx.now)
            session.add(user)
            await session.flush()
            await auth_repo.replace_grants(
                session=session, user_id=user.id, grants=[(Role.volunteer, None, None)]
            )
            volunteer = Volunteer(user_id=user.id, home_area_id=area.id, home_lat=area.lat,
                                  home_lng=area.lng, bio=bio, status=VolunteerStatus.active)  # fmt: skip
            session.add(volunteer)
            await session.flush()
            session.add_all(VolunteerSkill(volunteer_id=volunteer.id, skill_id=i) for i in ids)
            await record_action(session, ctx, AuditAction.user_created, target_user_id=user.id)
        await session.commit()
    return time.perf_counter() - started


async def _import(sessions, settings, data: bytes, *, commit: bool):
    started = time.perf_counter()
    async with sessions() as session:
        if not commit:
            report = await importing.check_file(session, data=data, filename="bench.xlsx")
        else:
            report = await importing.commit_file(
                session, _ctx(settings), data=data, filename="bench.xlsx"
            )
            await session.commit()
    return report, time.perf_counter() - started


async def _counts(sessions) -> dict:
    async with sessions() as session:
        return await repository.table_counts(session=session)


async def run(rows: int, sample_service: int, sample_plain: int, seed: int) -> dict:
    name = f"kepu_bench_import_{os.getpid()}"
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _admin(f'CREATE DATABASE "{name}"')
    url = _database_url(name)
    figures: dict = {"rows": rows}
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        settings = Settings(
            database_url=url, env="test", _env_file=None, run_worker_in_process=False
        )
        engine = create_engine(settings)
        sessions = create_sessionmaker(engine)
        rng = random.Random(seed)
        communities, skills = await _seed(sessions)
        existing = _xlsx(_rows(10_000, 17000000000, communities, skills, rng))
        report, figures["seed_s"] = await _import(sessions, settings, existing, commit=True)
        assert report.created == 10_000, report.problems[:3]
        started = time.perf_counter()
        data = _xlsx(_rows(rows, 18000000000, communities, skills, rng))
        figures["generate_s"], figures["xlsx_kb"] = time.perf_counter() - started, len(data) / 1024
        before = await _counts(sessions)
        report, figures["dry_run_s"] = await _import(sessions, settings, data, commit=False)
        assert report.ok and len(report.people) == rows, report.problems[:3]
        figures["dry_run_unchanged"] = before == await _counts(sessions)
        figures["dry_run_parts"] = dict(report.seconds)
        report, figures["commit_s"] = await _import(sessions, settings, data, commit=True)
        assert report.created == rows
        after = await _counts(sessions)
        figures["users_added"] = after["users"] - before["users"]
        figures["commit_parts"] = dict(report.seconds)
        service_rows = _rows(sample_service, 16000000000, communities, skills, rng)
        figures["service_sample"] = sample_service
        figures["service_s"] = await _per_row_service(
            sessions, settings, service_rows, communities, skills
        )
        plain_rows = _rows(sample_plain, 15000000000, communities, skills, rng)
        figures["plain_sample"] = sample_plain
        figures["plain_s"] = await _per_row_plain(
            sessions, settings, plain_rows, communities, skills
        )
        await engine.dispose()
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return figures


def print_table(f: dict) -> None:
    n = f["rows"]
    service_n = f["service_s"] / f["service_sample"] * n
    plain_n = f["plain_s"] / f["plain_sample"] * n
    lines = [
        ("what", "rows", "seconds", "rows/s", "note"),
        ("generate the XLSX", n, f["generate_s"], n / f["generate_s"], f"{f['xlsx_kb']:.0f} KB"),
        ("dry run (read + check)", n, f["dry_run_s"], n / f["dry_run_s"],
         "read {read:.1f} s, check {check:.1f} s; tables unchanged: ".format(**f["dry_run_parts"])
         + ("yes" if f["dry_run_unchanged"] else "NO")),
        ("commit (check again + write)", n, f["commit_s"], n / f["commit_s"],
         "write {write:.1f} s; users added {u}".format(u=f["users_added"], **f["commit_parts"])),
        ("baseline: per row, create_user", n, service_n, n / service_n,
         f"extrapolated from {f['service_sample']} rows in {f['service_s']:.1f} s"),
        ("baseline: per row, no hashing", n, plain_n, n / plain_n,
         f"extrapolated from {f['plain_sample']} rows in {f['plain_s']:.1f} s"),
    ]  # fmt: skip
    print(f"{lines[0][0]:<32} {lines[0][1]:>7} {lines[0][2]:>9} {lines[0][3]:>8}  {lines[0][4]}")
    for what, rows, seconds, rate, note in lines[1:]:
        print(f"{what:<32} {rows:>7,} {seconds:>9.1f} {rate:>8,.0f}  {note}")
    total = f["dry_run_s"] + f["commit_s"]
    verdict = "met" if f["commit_s"] <= 30 else "MISSED"
    print(f"\ntarget: import of {n:,} rows ≤ 30 s — commit {f['commit_s']:.1f} s ({verdict}); "
          f"dry run + commit {total:.1f} s; existing volunteers in the database: 10,000")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--sample-service", type=int, default=100)
    parser.add_argument("--sample-plain", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args()
    figures = asyncio.run(run(args.rows, args.sample_service, args.sample_plain, args.seed))
    print_table(figures)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2)


if __name__ == "__main__":
    main()
