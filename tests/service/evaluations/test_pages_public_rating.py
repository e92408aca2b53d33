"""The residents' rating page a card's QR code opens: no login, one rating per code, counted tries."""

import re

import pytest
import sqlalchemy as sa

from service.models import Evaluation
from tests.service.activity.page_helpers import ENGLISH, HTMX, checked, control, is_fragment
from tests.service.evaluations.test_pages_rating import completed


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html).group(1)


async def evaluations(session) -> list[tuple[int, str]]:
    await session.commit()
    rows = await session.scalars(sa.select(Evaluation).where(Evaluation.volunteer_id.is_(None)))
    return [(e.stars, e.comment) for e in rows]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
async def test_a_resident_rates_with_the_code_from_the_card(client, session, clock, headers):
    _, order, _, codes = await completed(client, session, clock)
    code = codes[0]
    page = await client.get(f"/rate/{code.lower()}", headers=headers)  # typed loosely: still fine
    assert page.status_code == 200 and is_fragment(page.text) == bool(headers)
    html = page.text
    assert "<h1>给活动打分</h1>" in html and order.title in html
    assert "<legend>您对这次活动满意吗？</legend>" in html
    assert [c["value"] for c in _stars(html)] == ["1", "2", "3", "4", "5"]
    data = {"stars": "4", "comment": "讲得很实用", "csrf_token": csrf_of(html)}
    done = await client.post(f"/rate/{code}", data=data, headers=headers)
    if headers:
        assert done.status_code == 204 and done.headers["HX-Redirect"] == "/rate/done"
    else:
        assert done.status_code == 303 and done.headers["location"] == "/rate/done"
    assert await evaluations(session) == [(4, "讲得很实用")]
    thanks = await client.get("/rate/done")
    assert thanks.status_code == 200 and "感谢您的评价！" in thanks.text
    # The same code again: refused on the page, in words, and nothing is counted twice.
    again = await client.post(f"/rate/{code}", data={**data, "stars": "1"})
    assert again.status_code == 409 and "该评价码已使用过" in again.text
    assert control(again.text, name="code")["value"] == code
    assert await evaluations(session) == [(4, "讲得很实用")]
    used = await client.get(f"/rate/{code}")
    assert used.status_code == 200 and "这个评价码已经用过了" in used.text
    assert 'name="stars"' not in used.text


def _stars(html: str) -> list[dict]:
    from tests.service.activity.page_helpers import controls

    return [c for c in controls(html) if c.get("name") == "stars"]


async def test_the_page_speaks_english(client, session, clock):
    _, _, _, codes = await completed(client, session, clock)
    page = await client.get(f"/rate/{codes[0]}", headers=ENGLISH)
    assert "How satisfied are you with this activity?" in page.text
    assert "Very satisfied" in page.text and "给活动打分" not in page.text


async def test_without_stars_the_comment_is_kept_and_the_choice_asked_for(client, session, clock):
    _, _, _, codes = await completed(client, session, clock)
    html = (await client.get(f"/rate/{codes[0]}")).text
    data = {"comment": "希望多办", "csrf_token": csrf_of(html)}
    refused = await client.post(f"/rate/{codes[0]}", data=data)
    english = await client.post(f"/rate/{codes[0]}", data=data, headers=ENGLISH)
    assert refused.status_code == 422
    assert 'id="error-stars" class="field-error">请选择 1 到 5 星。' in refused.text
    assert _stars(refused.text)[0]["aria-invalid"] == "true"
    assert ">希望多办</textarea>" in refused.text
    assert english.status_code == 422 and "Choose from 1 to 5 stars." in english.text
    assert await evaluations(session) == []
    chosen = await client.post(f"/rate/{codes[0]}", data={**data, "stars": "9"})
    assert chosen.status_code == 422 and checked(chosen.text, "stars") is None


async def test_a_wrong_code_is_said_next_to_the_code_field(client, session, clock):
    await completed(client, session, clock)
    page = await client.get("/rate/ZZZZZZ")
    assert page.status_code == 404
    field = control(page.text, name="code")
    assert field["value"] == "ZZZZZZ" and field["aria-invalid"] == "true"
    assert "评价码无效，请核对后重新输入。" in page.text
    english = await client.get("/rate/ZZZZZZ", headers=ENGLISH)
    assert english.status_code == 404 and "The rating code is invalid" in english.text
    nonsense = await client.get("/rate/" + "x" * 40)
    assert nonsense.status_code == 404 and "评价码无效" in nonsense.text


async def test_the_code_form_leads_to_the_rating_page(client, session, clock):
    _, _, _, codes = await completed(client, session, clock)
    start = await client.get("/rate")
    assert start.status_code == 200 and control(start.text, name="code")["value"] == ""
    typed = f" {codes[1][:3].lower()}-{codes[1][3:]} "
    found = await client.get("/rate", params={"code": typed})
    assert found.status_code == 303 and found.headers["location"] == f"/rate/{codes[1]}"
    wrong = await client.get("/rate", params={"code": "1O"})
    assert wrong.status_code == 404 and "评价码无效" in wrong.text


class TestTooManyTries:
    @pytest.fixture
    def settings_overrides(self):
        return {"rating_code_max_attempts": 2}

    async def test_guessing_is_slowed_down_politely(self, client, session, clock):
        await completed(client, session, clock)
        for guess in ("ZZZZZZ", "YYYYYY"):
            assert (await client.get(f"/rate/{guess}")).status_code == 404
        slowed = await client.get("/rate/XXXXXX")
        assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) > 0
        assert "操作过于频繁，请在约" in slowed.text
        assert control(slowed.text, name="code")["value"] == "XXXXXX"
