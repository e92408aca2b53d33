"""A PostgreSQL database holding a synthetic district, made once and reused between runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from service.auth.passwords import hash_password_sync
from service.demo.accounts import DEMO_PASSWORD
from service.models import ApiToken, Area, Order, RoleAssignment, Skill, User
from service.tokens import hash_secret, new_api_token
from service.vocab import AreaLevel, OrderStatus, Role

BENCH_PHONE = "19900000011"  # the benchmark's community worker (synthetic phones start 17x)


@dataclass(frozen=True)
class DataSet:
    """What `kepu demo synth` was asked for; written on the database so a rerun can reuse it."""

    volunteers: int
    orders: int
    seed: int
    history_orders: int = 0  # a year of history (service.demo.synthetic_history)

    @property
    def label(self) -> str:
        label = f"kepu-bench volunteers={self.volunteers} orders={self.orders} seed={self.seed}"
        return label + (f" history={self.history_orders}" if self.history_orders else "")


@dataclass(frozen=True)
class Place:
    community_id: int
    lat: float
    lng: float


@dataclass(frozen=True)
class District:
    """What the benchmark's requests are made of."""

    communities: list[Place]  # community centroids
    leaf_skill_ids: list[int]
    order_ids: list[int]  # published orders, for the GET-by-id baseline
    volunteers: int


def database_url(host: str, name: str) -> str:
    return f"postgresql+asyncpg://postgres@{host}/{name}"


async def _admin(host: str, *statements: str) -> list:
    engine = create_async_engine(database_url(host, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            results = [await connection.execute(sa.text(s)) for s in statements]
            return [r.all() if r.returns_rows else [] for r in results]
    finally:
        await engine.dispose()


async def prepare(host: str, name: str, data: DataSet, *, reuse: bool) -> float | None:
    """Migrate ``name`` and load ``data`` into it unless ``reuse`` finds it already there.

    Returns the seconds the synthetic load took, or None when the database was reused.
    """
    (found,) = await _admin(
        host,
        f"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{name}'",
    )
    if reuse and found and found[0][0] == data.label:
        _kepu(host, name, "db", "upgrade")  # later migrations (the change log) still apply
        return None
    await _admin(
        host, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )
    _kepu(host, name, "db", "upgrade")
    started = time.perf_counter()
    report = _kepu(
        host, name, "demo", "synth", "--volunteers", str(data.volunteers),
        "--orders", str(data.orders), "--seed", str(data.seed),
        "--history-orders", str(data.history_orders),
    )  # fmt: skip
    took = time.perf_counter() - started
    print(report)
    await _admin(host, f"COMMENT ON DATABASE \"{name}\" IS '{data.label}'")
    return took


def _kepu(host: str, name: str, *args: str) -> str:
    """Run the `kepu` command line against the benchmark database; its output, or exit."""
    env = {**os.environ, "KEPU_DATABASE_URL": database_url(host, name)}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", *args], env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"kepu {' '.join(args)} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return done.stdout


async def bench_worker_token(url: str) -> str:
    """A fresh API token of a community worker who manages every community of the district."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            user_id = await connection.scalar(sa.select(User.id).where(User.phone == BENCH_PHONE))
            if user_id is None:
                user_id = await connection.scalar(
                    sa.insert(User).values(phone=BENCH_PHONE, name="压测社工").returning(User.id)
                )
            communities = (
                await connection.scalars(
                    sa.select(Area.id).where(Area.level == AreaLevel.community)
                )
            ).all()
            await connection.execute(
                sa.delete(RoleAssignment).where(RoleAssignment.user_id == user_id)
            )
            await connection.execute(
                sa.insert(RoleAssignment),
                [{"user_id": user_id, "role": Role.worker, "area_id": c} for c in communities],
            )
            raw = new_api_token()
            await connection.execute(sa.delete(ApiToken).where(ApiToken.user_id == user_id))
            await connection.execute(
                sa.insert(ApiToken).values(
                    user_id=user_id, name="bench", token_hash=hash_secret(raw)
                )
            )
            return raw
    finally:
        await engine.dispose()


async def bench_login(url: str, phone: str, name: str, roles: list[tuple[Role, int]]) -> None:
    """Make ``phone`` an account holding exactly ``roles`` ((role, area id) pairs) that logs in
    with the demo password, as a person would through the login page."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            user_id = await connection.scalar(sa.select(User.id).where(User.phone == phone))
            if user_id is None:
                user_id = await connection.scalar(
                    sa.insert(User)
                    .values(phone=phone, name=name, password_hash=hash_password_sync(DEMO_PASSWORD))
                    .returning(User.id)
                )
            await connection.execute(
                sa.delete(RoleAssignment).where(RoleAssignment.user_id == user_id)
            )
            await connection.execute(
                sa.insert(RoleAssignment),
                [{"user_id": user_id, "role": role, "area_id": area} for role, area in roles],
            )
    finally:
        await engine.dispose()


async def read_district(url: str) -> District:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            areas = (
                await connection.execute(
                    sa.select(Area.id, Area.lat, Area.lng)
                    .where(Area.level == AreaLevel.community)
                    .order_by(Area.id)
                )
            ).all()
            skills = await connection.scalars(
                sa.select(Skill.id).where(Skill.parent_id.is_not(None)).order_by(Skill.id)
            )
            orders = await connection.scalars(
                sa.select(Order.id)
                .where(Order.status == OrderStatus.published)
                .order_by(Order.id)
                .limit(1000)
            )
            volunteers = await connection.scalar(sa.text("SELECT count(*) FROM volunteers"))
            return District(
                communities=[Place(a.id, a.lat, a.lng) for a in areas],
                leaf_skill_ids=list(skills),
                order_ids=list(orders),
                volunteers=volunteers,
            )
    finally:
        await engine.dispose()
