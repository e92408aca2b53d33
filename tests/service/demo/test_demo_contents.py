"""The demo is a believable 芝罘区: real streets, sized as promised, every login present."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, datetime

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD
from service.demo.zhifu import BBOX, DISTRICT_CODE
from service.vocab import AreaLevel, OrderStatus, Role
from tests.conftest import TEST_NOW, _run
from tests.service.demo.snapshot import load_and_read


def test_reported_counts_match_the_database(demo):
    assert demo.counts == {table: len(rows) for table, rows in demo.rows.items() if rows}


@pytest.mark.parametrize(
    ("table", "low", "high"),
    [
        ("areas", 60, 120),
        ("skills", 30, 60),
        ("volunteers", 250, 350),
        ("teams", 15, 25),
        ("orders", 120, 180),
        ("demands", 60, 100),
        ("offers", 200, 1000),
        ("events", 1000, 5000),
        ("evaluations", 50, 1000),
        ("service_records", 50, 500),
        ("notifications", 50, 2000),
    ],
)
def test_table_sizes_are_in_range(rows, table, low, high):
    assert low <= len(rows[table]) <= high


def test_district_has_its_real_streets_each_with_four_to_eight_communities(rows):
    areas = rows["areas"]
    district = [a for a in areas if a["level"] == AreaLevel.district]
    assert [d["code"] for d in district] == [DISTRICT_CODE]
    streets = {a["id"]: a for a in areas if a["level"] == AreaLevel.street}
    assert {"向阳街道", "毓璜顶街道", "芝罘岛街道", "幸福街道", "黄务街道"} <= {
        s["name"] for s in streets.values()
    }
    per_street = Counter(a["parent_id"] for a in areas if a["level"] == AreaLevel.community)
    assert set(per_street) == set(streets)
    assert all(4 <= n <= 8 for n in per_street.values())


def test_area_paths_and_codes_follow_their_parents(rows):
    by_id = {a["id"]: a for a in rows["areas"]}
    for area in by_id.values():
        assert len(area["code"]) == 12 and area["code"].isdigit()
        parent = by_id.get(area["parent_id"])
        if parent is None:
            assert area["path"] == f"/{area['id']}/"
            continue
        assert area["path"] == f"{parent['path']}{area['id']}/"
        prefix = 6 if area["level"] == AreaLevel.street else 9
        assert area["code"][:prefix] == parent["code"][:prefix]


def test_every_coordinate_lies_inside_zhifu(rows):
    south, north, west, east = BBOX
    points = (
        [(a["lat"], a["lng"]) for a in rows["areas"]]
        + [(v["lat"], v["lng"]) for v in rows["venues"]]
        + [(v["home_lat"], v["home_lng"]) for v in rows["volunteers"]]
        + [(t["base_lat"], t["base_lng"]) for t in rows["teams"]]
        + [(o["venue_lat"], o["venue_lng"]) for o in rows["orders"]]
        + [(o["check_in_lat"], o["check_in_lng"]) for o in rows["offers"] if o["check_in_lat"]]
    )
    outside = [p for p in points if not (south <= p[0] <= north and west <= p[1] <= east)]
    assert points and outside == []


def test_skills_form_two_levels_with_stable_codes(rows):
    skills = {s["id"]: s for s in rows["skills"]}
    codes = {s["code"] for s in skills.values()}
    assert {"anti_fraud.telecom", "emergency.cpr", "agriculture.orchard", "ecology.marine"} <= codes
    for skill in skills.values():
        if skill["parent_id"] is not None:
            assert skills[skill["parent_id"]]["parent_id"] is None
            assert skill["code"].startswith(skills[skill["parent_id"]]["code"] + ".")


def test_every_demo_login_exists_with_its_role_and_password(rows):
    users = {u["phone"]: u for u in rows["users"]}
    roles = {(r["user_id"], r["role"]) for r in rows["role_assignments"]}
    for role, phone in DEMO_LOGINS:
        assert phone in users, phone
        assert (users[phone]["id"], role) in roles
    hashes = {u["password_hash"] for u in users.values()}
    assert len(hashes) == 1  # hashed once, shared
    assert PasswordHash((Argon2Hasher(),)).verify(DEMO_PASSWORD, hashes.pop())


def test_scoped_roles_name_their_scope(rows):
    areas = {a["id"]: a for a in rows["areas"]}
    communities_with_worker = set()
    for role in rows["role_assignments"]:
        if role["role"] == Role.worker:
            assert areas[role["area_id"]]["level"] == AreaLevel.community
            communities_with_worker.add(role["area_id"])
        if role["role"] == Role.team_leader:
            assert role["team_id"] is not None
    communities = {a["id"] for a in areas.values() if a["level"] == AreaLevel.community}
    assert communities_with_worker == communities


def test_teams_are_led_by_a_member_and_have_four_to_twelve_members(rows):
    members = Counter(m["team_id"] for m in rows["team_members"])
    pairs = {(m["team_id"], m["volunteer_id"]) for m in rows["team_members"]}
    for team in rows["teams"]:
        assert 4 <= members[team["id"]] <= 12
        assert (team["id"], team["leader_volunteer_id"]) in pairs


def test_volunteer_phones_are_unique_mobiles(rows):
    phones = [u["phone"] for u in rows["users"]]
    assert len(phones) == len(set(phones))
    assert all(len(p) == 11 and p.startswith("1") for p in phones)


def test_every_order_status_is_present(rows):
    assert set(Counter(o["status"] for o in rows["orders"])) == set(OrderStatus)


# Loads at which the demo volunteer once held nothing upcoming at home (their acceptances all
# fell on other communities' orders), and TEST_NOW; the browser tests copy such an order.
@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 28, 0, 0, tzinfo=UTC),
        TEST_NOW,
    ],
    ids=str,
)
def test_the_demo_volunteer_always_holds_an_upcoming_activity_at_home(
    tmp_path, sqlite_template, now
):
    path = tmp_path / "demo.db"
    shutil.copyfile(sqlite_template, path)
    rows = _run(load_and_read(f"sqlite+aiosqlite:///{path}", now)).rows
    phones = dict(DEMO_LOGINS)
    user_id = {u["phone"]: u["id"] for u in rows["users"]}
    volunteer_id = next(
        v["id"] for v in rows["volunteers"] if v["user_id"] == user_id[phones["volunteer"]]
    )
    home = next(
        r["area_id"]
        for r in rows["role_assignments"]
        if r["user_id"] == user_id[phones["worker"]] and r["role"] == Role.worker
    )
    orders = {o["id"]: o for o in rows["orders"]}
    upcoming_at_home = [
        offer
        for offer in rows["offers"]
        if offer["volunteer_id"] == volunteer_id
        and offer["status"] == "accepted"
        and offer["team_id"] is None
        and orders[offer["order_id"]]["community_id"] == home
        and orders[offer["order_id"]]["starts_at"] > now
    ]
    assert upcoming_at_home
