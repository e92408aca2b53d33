"""The certificate pages: a volunteer downloads their PDF (read back and checked against the
records), the verification page shows the certificate's fields and nothing else, bad input is
said next to its field, and a street coordinator reaches only their street's volunteers."""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest
import sqlalchemy as sa

from service.certificates import service
from service.models import Certificate
from tests.service.certificates.conftest import LI_PHONE, WANG_PHONE
from tests.service.certificates.pdftext import embedded_fonts, pdf_text, pdf_urls
from tests.service.certificates.test_issuing import LAST_YEAR, expected_lines

EN = {"Accept-Language": "en"}
ORIGIN = "https://kepu.example.cn"


def words(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


async def _download(client, **form) -> tuple[str, bytes]:
    response = await client.post("/v/certificates", data=form)
    assert response.status_code == 303, response.text
    pdf = await client.get(response.headers["location"])
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    return response.headers["location"], pdf.content


async def _issued(session, world, ctx_of) -> Certificate:
    """王志愿's certificate of last year, issued through the service (no PDF drawn)."""
    certificate = await service.issue(
        session, ctx_of("wang"), volunteer_id=world.ids["volunteer:wang"], period=LAST_YEAR
    )
    await session.commit()
    return certificate


async def _only_certificate(session) -> Certificate:
    await session.rollback()
    return await session.scalar(sa.select(Certificate).order_by(Certificate.id.desc()))


async def test_the_volunteer_s_pdf_holds_every_field_of_the_records(login, world, session):
    client = await login(world.users["wang"].id, Host="evil.example")
    location, body = await _download(client, period="last_year")
    certificate = await _only_certificate(session)
    assert location == f"/certificates/{certificate.serial}.pdf"
    text = pdf_text(body)
    expected = await expected_lines(session, world.ids["volunteer:wang"], LAST_YEAR)
    for line in expected:
        hours = f"{line['hours']:g}"
        assert f"{line['day']}{line['title']}" in text
        assert f"{line['community']}{hours}" in text
    total = sum(line["hours"] for line in expected)
    assert f"合计：{len(expected)}次{total:g}" in text
    assert "兹证明王志愿同志于2025年1月1日至2025年12月31日期间" in text
    assert f"活动{len(expected)}次，累计志愿服务时长{total:g}小时" in text
    assert "出具单位：烟台市芝罘区科学技术协会" in text
    assert "出具日期：2026年11月23日" in text
    assert f"证明编号：{certificate.serial}" in text
    assert f"V{world.ids['volunteer:wang']:06d}" in text
    assert WANG_PHONE not in text  # the certificate needs no phone
    # The QR's address: the configured origin, never the Host the request came with.
    assert pdf_urls(body) == [f"{ORIGIN}/verify/{certificate.serial}/{certificate.token}"]
    assert "evil.example" not in text
    # The Chinese font travels inside the file, as a subset.
    assert any(re.fullmatch(r"/?[A-Z]{6}\+.*", name) for name in embedded_fonts(body))


async def test_downloading_twice_gives_the_same_serial(login, world, session):
    client = await login(world.users["wang"].id)
    first, _ = await _download(client, period="custom", first="2025-01-01", last="2025-12-31")
    again = await client.post(
        "/v/certificates", data={"period": "last_year"}, headers={"HX-Request": "true"}
    )
    assert again.status_code == 204 and again.headers["HX-Redirect"] == first
    page = words((await client.get("/v/certificates")).text)
    serial = first.rsplit("/", 1)[-1].removesuffix(".pdf")
    assert serial in page and "2 次 · 4.5 小时" in page and "有效" in page


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({}, "请选择时间段：今年、去年或自定义。"),
        ({"period": "custom", "first": "2026-03-01", "last": "2026-02-01"},
         "结束日期不能早于开始日期。"),
        ({"period": "custom", "first": "昨天", "last": "2026-02-01"}, "请按 年-月-日 填写日期"),
        ({"period": "custom", "first": "2026-01-01", "last": "2027-01-01"},
         "结束日期不能晚于今天（2026-11-23）。"),
        ({"period": "custom", "first": "2026-06-01", "last": "2026-06-30"},
         "这段时间没有经社区确认的服务时长，无法出具证明。"),
    ],
)  # fmt: skip
async def test_a_bad_period_is_said_on_the_form_never_a_500(login, world, session, form, said):
    client = await login(world.users["wang"].id)
    response = await client.post("/v/certificates", data=form)
    assert response.status_code == 422
    assert said in words(response.text)
    assert 'aria-invalid="true"' in response.text
    assert await session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 0


async def test_a_bad_period_in_english(login, world):
    client = await login(world.users["wang"].id, **EN)
    response = await client.post("/v/certificates", data={"period": "custom", "first": "x"})
    assert response.status_code == 422
    assert "Please write the date as year-month-day" in words(response.text)


async def test_the_hours_page_links_to_the_certificates(login, world):
    client = await login(world.users["wang"].id)
    page = await client.get("/v/hours")
    assert 'href="/v/certificates"' in page.text


async def test_a_pdf_is_only_for_its_volunteer_and_their_coordinators(login, world, session):
    wang = await login(world.users["wang"].id)
    location, _ = await _download(wang, period="last_year")
    for who, status in (("li", 404), ("street_b", 404), ("district", 200)):
        client = await login(world.users[who].id)
        assert (await client.get(location)).status_code == status, who
    assert (await wang.get("/certificates/KP-2026-999999.pdf")).status_code == 404
    assert (await wang.get("/certificates/nonsense.pdf")).status_code == 404


# ---------------------------------------------------------------- verification


FIELDS = ["证明编号", "志愿者姓名", "服务期间", "服务次数", "累计时长", "出具单位", "出具日期"]


async def test_the_verification_page_shows_the_certificate_and_nothing_else(
    world, session, client, ctx_of
):
    c = await _issued(session, world, ctx_of)
    page = await client.get(f"/verify/{c.serial}/{c.token}")
    assert page.status_code == 200
    assert page.headers["x-robots-tag"] == "noindex, nofollow"
    main = re.search(r"<dl class=\"cert-fields\">(.*?)</dl>", page.text, re.S).group(1)
    shown = dict(
        zip(
            [words(t).strip() for t in re.findall(r"<dt>(.*?)</dt>", main, re.S)],
            [words(d).strip() for d in re.findall(r"<dd>(.*?)</dd>", main, re.S)],
            strict=True,
        )
    )
    assert shown == {
        "证明编号": c.serial,
        "志愿者姓名": "王志愿",
        "服务期间": "2025-01-01 – 2025-12-31",
        "服务次数": "2 次",
        "累计时长": "4.5 小时",
        "出具单位": "烟台市芝罘区科学技术协会",
        "出具日期": "2026-11-23",
    }
    text = words(page.text)
    assert "这份证明真实有效。" in text
    # Nothing of the person or the activities beyond the certificate's face.
    for secret in (WANG_PHONE, WANG_PHONE[-4:], "138****", "朝阳街社区", "珠玑社区",
                   "老年人防范电信诈骗讲座", "跨年夜应急安全宣传", "向阳街道",
                   f"V{world.ids['volunteer:wang']:06d}", c.token):  # fmt: skip
        assert secret not in text, secret
    # No phone number in what the page says (attributes hold random tokens, e.g. the CSRF
    # one, whose hex digits can look like a phone number now and then).
    assert not re.search(r"1[3-9]\d{9}", text)


@pytest.mark.parametrize(
    "path",
    [
        "/verify/{serial}/{wrong}",
        "/verify/{serial}/x",
        "/verify/KP-2026-999999/{token}",
        "/verify/' OR 1=1 --/{token}",
        "/verify/{serial}/" + "a" * 300,
    ],
)
async def test_a_wrong_address_is_a_clear_404_page(world, session, client, ctx_of, path):
    c = await _issued(session, world, ctx_of)
    wrong = c.token[:-1] + ("A" if c.token[-1] != "A" else "B")
    page = await client.get(path.format(serial=c.serial, token=c.token, wrong=wrong))
    assert page.status_code == 404
    text = words(page.text)
    assert "没有找到这份证明" in text and "王志愿" not in text


async def test_a_nul_byte_in_the_address_is_refused_not_a_500(client):
    response = await client.get("/verify/KP-2026-000001/abc%00def")
    assert response.status_code in (404, 422)


async def test_a_revoked_certificate_says_so_and_the_next_issue_is_new(
    login, world, session, client, ctx_of
):
    c = await _issued(session, world, ctx_of)
    serial, token = c.serial, c.token
    wang = await login(world.users["wang"].id)
    coordinator = await login(world.users["street_a"].id)
    refused = await (await login(world.users["street_b"].id)).post(
        f"/desk/certificates/{serial}/revoke", data={"period": "last_year"}
    )
    assert refused.status_code == 404
    revoked = await coordinator.post(
        f"/desk/certificates/{serial}/revoke", data={"period": "last_year"}
    )
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/desk/certificates?period=last_year"
    page = words((await client.get(f"/verify/{serial}/{token}")).text)
    assert "这份证明已被出具单位作废，不再有效。" in page
    # Revoked: the next download is a new certificate with a new serial.
    again = await wang.post("/v/certificates", data={"period": "last_year"})
    assert again.status_code == 303
    newer = await _only_certificate(session)
    assert newer.serial != serial
    assert again.headers["location"] == f"/certificates/{newer.serial}.pdf"


# ---------------------------------------------------------------- the desk


async def test_the_desk_lists_only_the_street_s_volunteers(login, world):
    client = await login(world.users["street_a"].id)
    page = await client.get("/desk/certificates", params={"period": "last_year"})
    assert page.status_code == 200
    text = words(page.text)
    assert "王志愿" in text and "李白石" not in text and "赵无时" not in text
    assert "139****5678" in text and WANG_PHONE not in text
    assert "1 位志愿者有服务时长" in text
    district = words(
        (await (await login(world.users["district"].id)).get(
            "/desk/certificates", params={"period": "last_year"}
        )).text
    )  # fmt: skip
    assert "王志愿" in district and "李白石" in district


async def test_the_desk_refuses_a_bad_period_and_another_street_s_volunteer(login, world):
    client = await login(world.users["street_b"].id)
    bad = await client.get("/desk/certificates", params={"period": "custom", "first": "2026-02-30"})
    assert bad.status_code == 422 and "请按 年-月-日 填写日期" in words(bad.text)
    foreign = await client.post(
        "/desk/certificates/issue",
        data={"volunteer": str(world.ids["volunteer:wang"]), "period": "last_year"},
    )
    assert foreign.status_code == 404
    assert "这位志愿者不在您负责的区域内，或者不存在。" in words(foreign.text)
    junk = await client.post("/desk/certificates/issue", data={"volunteer": "abc", "period": "x"})
    assert junk.status_code == 422


async def test_the_zip_holds_one_pdf_per_volunteer_of_the_street(login, world, session):
    street_b = await login(world.users["street_b"].id)
    issued = await street_b.post("/desk/certificates/export", data={"period": "last_year"})
    assert issued.status_code == 303
    location = issued.headers["location"]
    assert (
        location == "/desk/certificates/export.zip?period=custom&first=2025-01-01&last=2025-12-31"
    )
    response = await street_b.get(location)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    # Another street's coordinator downloading the same address gets their own volunteers only.
    other = await (await login(world.users["street_a"].id)).get(location)
    assert other.status_code == 422  # nothing issued for 向阳街道 in that period yet
    assert "还没有为您负责区域的志愿者出具过证明" in words(other.text)
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert len(names) == 1 and names[0].endswith("-李白石.pdf")
    text = pdf_text(archive.read(names[0]))
    assert "兹证明李白石同志" in text and "青少年科学实验：水火箭" in text
    assert "王志愿" not in text and LI_PHONE not in text
    c = await _only_certificate(session)
    assert pdf_urls(archive.read(names[0])) == [f"{ORIGIN}/verify/{c.serial}/{c.token}"]


async def test_the_zip_refuses_an_empty_period(login, world):
    client = await login(world.users["street_a"].id)
    response = await client.post(
        "/desk/certificates/export",
        data={"period": "custom", "first": "2024-01-01", "last": "2024-12-31"},
    )
    assert response.status_code == 422
    assert "这段时间您负责区域内没有志愿者有经确认的服务时长。" in words(response.text)
