import httpx
import pytest
import sqlalchemy as sa

from service.app import create_app
from service.errors import Conflict
from service.models import Skill
from service.settings import Settings
from service.web.deps import SessionDep
from tests.factories import make_area_tree, make_order


async def test_healthz_is_ok_when_the_database_answers(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "candidate_index": {"state": "idle"},  # built on first use in tests
    }


async def test_healthz_is_503_with_a_reason_when_the_database_is_unreachable():
    settings = Settings(
        env="test", database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none", _env_file=None
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]  # the reason, e.g. a refused connection


async def test_home_page_is_chinese_and_lists_upcoming_activities(client, session, clock):
    _, _, community = await make_area_tree(session)
    from datetime import timedelta

    from service.vocab import OrderStatus

    await make_order(
        session,
        community=community,
        starts_at=clock.now() + timedelta(days=2),
        status=OrderStatus.published,
        title="防范电信诈骗讲座",
    )
    await session.commit()
    response = await client.get("/")
    assert response.status_code == 200
    assert '<html lang="zh-CN" class="large-text">' in response.text  # 长辈 mode by default
    assert "防范电信诈骗讲座" in response.text
    assert "htmx.min.js" in response.text


async def test_home_page_as_htmx_request_is_a_fragment(client):
    response = await client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "近期活动" in response.text
    assert "HX-Request" in response.headers["vary"]


async def test_vendored_htmx_is_served_locally(client):
    response = await client.get("/static/vendor/htmx.min.js")
    assert response.status_code == 200
    assert 'version:"2.' in response.text


async def test_unknown_page_is_a_chinese_404(client):
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert "未找到" in response.text


async def test_unknown_api_path_is_a_problem_json_404(client):
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


def _add_unit_of_work_probe_routes(app):
    @app.post("/_probe/skill/{code}")
    async def add_skill(code: str, session: SessionDep, fail: bool = False):
        session.add(Skill(code=code, name="探针"))  # not flushed: the INSERT runs at commit
        if fail:
            raise Conflict("探针拒绝")
        return {"ok": True}


@pytest.fixture
async def probe_client(app):
    _add_unit_of_work_probe_routes(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


async def _skill_codes(app) -> list[str]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(sa.select(Skill.code)))


async def test_unit_of_work_commits_on_success(probe_client, app):
    response = await probe_client.post("/_probe/skill/probe-1")
    assert response.status_code == 200
    assert await _skill_codes(app) == ["probe-1"]


async def test_unit_of_work_rolls_back_on_a_refusal(probe_client, app):
    response = await probe_client.post("/_probe/skill/probe-1", params={"fail": True})
    assert response.status_code == 409
    assert await _skill_codes(app) == []


async def test_a_failing_commit_is_never_answered_with_success(probe_client, app):
    assert (await probe_client.post("/_probe/skill/dup")).status_code == 200
    # The duplicate code violates a UNIQUE constraint only when the commit flushes it.
    response = await probe_client.post("/_probe/skill/dup")
    assert response.status_code == 409
    assert await _skill_codes(app) == ["dup"]


async def test_a_page_that_needs_a_login_sends_the_person_to_the_login_form(client):
    response = await client.get("/me", params={"tab": "password"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fme%3Ftab%3Dpassword"


async def test_with_htmx_the_login_redirect_is_an_hx_redirect(client):
    response = await client.get("/me", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/login?next=%2Fme"


async def test_the_api_still_answers_401_problem_json(client):
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_static_files_go_compressed_and_pages_do_not(client):
    gzip = {"Accept-Encoding": "gzip"}
    sheet = await client.get("/static/vendor/pico.min.css", headers=gzip)
    assert sheet.status_code == 200 and sheet.headers.get("content-encoding") == "gzip"
    assert "--pico" in sheet.text  # httpx undoes the compression
    page = await client.get("/", headers=gzip)
    # A page carries a CSRF token beside reflected input: compressing it would invite BREACH.
    assert page.status_code == 200 and "content-encoding" not in page.headers
