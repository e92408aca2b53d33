"""Input hygiene over the whole route table: NUL bytes, over-long text, malformed numbers → 422."""

from __future__ import annotations

import re
import typing

from service.vocab import Role
from tests.factories import make_area_tree, make_user
from tests.service.auth.helpers import browser, client_for, open_session_for
from tests.service.auth.route_table import UNSAFE, routes

MALFORMED = ["abc", "1.5", "1e3", "0x10", "٣"]  # the last: an Arabic-Indic digit
HUGE = ["99999999999999999999", "2147483648", "-1", "0"]


async def _admin(app, settings, session, clock):
    admin = await make_user(session, roles=((Role.admin, None, None),))
    cookie, csrf = await open_session_for(session, settings, user_id=admin.id, now=clock.now())
    await session.commit()
    return browser(app, settings, cookie, csrf)


def _int_path_params(app) -> dict[str, list[str]]:
    """Route label → its integer path parameters (from the endpoint signatures)."""
    from fastapi.routing import APIRoute, iter_route_contexts

    found = {}
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        names = []
        for field in context.dependant.path_params:
            annotation = field.field_info.annotation
            if annotation is int or int in typing.get_args(annotation):
                names.append(field.name)
        for method in context.methods - {"HEAD"}:
            found[f"{method} {context.path}"] = names
    return found


async def test_nul_bytes_in_query_or_path_are_422_on_every_route(app, settings, session, clock):
    problems = []
    async with await _admin(app, settings, session, clock) as http:
        for route in routes(app):
            url = re.sub(r"\{[^}]+\}", "1", route.path)
            for target in (f"{url}?q=a%00b", re.sub(r"/1(/|$)", r"/1%00\1", url, count=1)):
                if target == url:
                    continue
                kwargs = {"json": {}} if route.method in UNSAFE else {}
                response = await http.request(route.method, target, **kwargs)
                if response.status_code != 422 or "空字符" not in response.text:
                    problems.append(f"{route.method} {target}: {response.status_code}")
    assert not problems, "\n".join(problems)


async def test_nul_bytes_in_json_and_form_bodies_are_422(app, settings, session, clock):
    async with await _admin(app, settings, session, clock) as http:
        json_body = await http.post("/api/v1/auth/tokens", json={"name": "a\x00b"})
        form_body = await http.post("/me/password", data={"current_password": "a\x00b"})
        nested = await http.post("/api/v1/demands", json={"x": [{"y": "\x00"}]})
    for response in (json_body, form_body, nested):
        assert response.status_code == 422 and "空字符" in response.text


async def test_malformed_and_out_of_range_ids_are_refused_never_500(app, settings, session, clock):
    problems = []
    async with await _admin(app, settings, session, clock) as http:
        for label, names in _int_path_params(app).items():
            method, path = label.split(" ", 1)
            for value in MALFORMED + HUGE:
                url = path
                for name in names:
                    url = url.replace("{" + name + "}", value)
                url = re.sub(r"\{[^}]+\}", "1", url)
                if url == re.sub(r"\{[^}]+\}", "1", path):
                    continue
                kwargs = {"json": {}} if method in UNSAFE else {}
                response = await http.request(method, url, **kwargs)
                # The API says what was wrong (422); a page says the address does not exist.
                malformed = {422} if path.startswith("/api/") else {404}
                expected = malformed if value in MALFORMED else {404, 422}
                if response.status_code not in expected:
                    problems.append(f"{method} {url}: {response.status_code}")
    assert not problems, "\n".join(problems)


async def test_malformed_query_numbers_are_422(app, settings, session, clock):
    async with await _admin(app, settings, session, clock) as http:
        for path, query in (
            ("users", "limit=abc"), ("users", "limit=100000"), ("users", "offset=-1"),
            ("audit", "user_id=1.5"), ("audit", "user_id=99999999999"),
        ):  # fmt: skip
            response = await http.get(f"/api/v1/admin/{path}?{query}")
            assert response.status_code == 422, query
            assert response.json()["detail"]


async def test_over_long_text_is_422_with_a_chinese_message(app, settings, session, clock):
    _, _, community = await make_area_tree(session)
    await session.commit()
    async with await _admin(app, settings, session, clock) as http:
        name = await http.post("/api/v1/auth/tokens", json={"name": "名" * 65})
        assert name.status_code == 422 and "长度不能超过 64 个字符" in name.text
    async with client_for(app) as anonymous:
        bio = await anonymous.post(
            "/api/v1/volunteers/register",
            json={
                "phone": "13512345678", "name": "李", "password": "long-enough-1",
                "home_community_id": community.id, "bio": "长" * 501,
            },
        )  # fmt: skip
        assert bio.status_code == 422 and "500" in bio.json()["detail"]
        phone = await anonymous.post(
            "/api/v1/auth/login", json={"phone": "12345678901", "password": "x"}
        )
        assert phone.status_code == 422 and "手机号" in phone.json()["detail"]


NASTY_TEXT = [
    "", " ", "\t\n", "名" * 64, "名" * 65, "x" * 10_000, "🧪" * 30, "\u202egnp.exe",
    "a\u0000b", "\r\n\r\n", "'; DROP TABLE users; --", "<script>alert(1)</script>",
    "e\u0301" * 40, "\u200b", "\u2028\u2029", "%00", "{{ 7*7 }}", "\\x00",
]  # fmt: skip
NASTY_NUMBERS = [0, -1, 1e-300, 1e308, 200.0001, "5", "五", None, [], {}]


async def test_registration_never_fails_with_a_500_whatever_the_input(app, session):
    _, _, community = await make_area_tree(session)
    await session.commit()
    base = {
        "phone": "13500000000", "name": "李", "password": "long-enough-1",
        "home_community_id": community.id,
    }  # fmt: skip
    cases = [{"name": text} for text in NASTY_TEXT] + [{"bio": text} for text in NASTY_TEXT]
    cases += [{"radius_km": number} for number in NASTY_NUMBERS]
    cases += [{"home_community_id": number} for number in NASTY_NUMBERS]
    cases += [{"home_lat": number, "home_lng": 121.4} for number in NASTY_NUMBERS]
    async with client_for(app) as http:
        for n, case in enumerate(cases):
            body = {**base, "phone": f"135{n:08d}", **case}
            response = await http.post("/api/v1/volunteers/register", json=body)
            # 202: a code was texted; 429: this IP asked for too many codes (both fine here).
            assert response.status_code in {202, 422, 429}, (case, response.text[:200])
            assert "{{" not in response.text or "7*7" in response.text  # no template evaluation
