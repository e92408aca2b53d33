"""The import pages: template downloads, upload → dry run report → commit, refusals in words."""

from __future__ import annotations

import html
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa

from service.admin_data import kept_uploads
from service.models import User
from tests.service.admin_data.conftest import csv_bytes, digest, good_rows

EN = {"Accept-Language": "en"}


def words(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _token(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


async def _upload(client, data: bytes, name: str = "v.csv", url="/admin/data/import"):
    return await client.post(url, files={"file": (name, data, "text/csv")})


@pytest.fixture
def admin_client(login, world):
    return lambda **headers: login(world.users["admin"].id, **headers)


async def test_the_templates_download_and_reimport_through_the_page(admin_client, session):
    client = await admin_client()
    page = await client.get("/admin/data/import")
    assert page.status_code == 200 and "下载 Excel 模板" in page.text
    xlsx = await client.get("/admin/data/import/template.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]][:3] == ["姓名*", "手机号*", "社区*"]
    assert sheet.max_row == 2
    csv = await client.get("/admin/data/import/template.csv")
    assert csv.content.startswith(b"\xef\xbb\xbf")
    report = await _upload(client, xlsx.content, "模板.xlsx")
    assert report.status_code == 200, words(report.text)
    assert "1 行全部检查通过" in words(report.text)


async def test_upload_dry_run_then_commit(admin_client, session, world):
    client = await admin_client()
    before = await digest(session)
    report = await _upload(client, csv_bytes(good_rows(12)))
    text = words(report.text)
    assert report.status_code == 200 and "12 行全部检查通过" in text
    assert "1350000****" not in text and "135****0000" in text  # phones masked
    assert await digest(session) == before
    done = await client.post("/admin/data/import/commit", data={"token": _token(report.text)})
    assert done.status_code == 200 and "已导入 12 名志愿者" in words(done.text)
    after = await digest(session)
    assert after["users"] - before["users"] == 12
    again = await client.post("/admin/data/import/commit", data={"token": _token(report.text)})
    assert again.status_code == 409 and "已过期或不存在" in words(again.text)
    assert (await digest(session))["users"] == after["users"]


async def test_a_bad_file_shows_every_problem_and_offers_no_commit(admin_client, session):
    client = await admin_client()
    rows = [*good_rows(3), ["", "123", "哪里社区", "飞行", "", ""]]
    report = await _upload(client, csv_bytes(rows))
    text = words(report.text)
    assert report.status_code == 422
    assert "1 行有问题，整个文件都没有导入" in text
    for expected in ("5 姓名 姓名为空", "5 手机号 「123」不是有效的中国大陆手机号",
                     "5 社区 找不到社区「哪里社区」", "5 技能 找不到技能「飞行」"):  # fmt: skip
        assert expected in text
    assert 'name="token"' not in report.text
    english = await _upload(await admin_client(**EN), csv_bytes(rows))
    assert "Name is empty" in words(english.text)


async def test_the_commit_checks_again_and_writes_nothing_if_the_database_changed(
    admin_client, session
):
    client = await admin_client()
    report = await _upload(client, csv_bytes(good_rows(5)))
    session.add(User(phone="13500000003", name="抢先注册"))
    await session.commit()
    before = await digest(session)
    done = await client.post("/admin/data/import/commit", data={"token": _token(report.text)})
    assert done.status_code == 409
    assert "这次没有导入任何人" in words(done.text) and "这个手机号已有账号" in words(done.text)
    assert await digest(session) == before


async def test_a_token_is_only_its_uploaders(admin_client, login, session, world):
    report = await _upload(await admin_client(), csv_bytes(good_rows(2)))
    token = _token(report.text)
    other = await login(world.users["other_admin"].id)
    refused = await other.post("/admin/data/import/commit", data={"token": token})
    assert refused.status_code == 409
    assert kept_uploads.take(token, owner_user_id=world.users["admin"].id, kind="volunteers")


async def test_files_that_are_not_tables_are_refused_in_words(admin_client):
    client = await admin_client()
    missing = await client.post("/admin/data/import", data={"x": "1"})
    assert missing.status_code == 422 and "请选择要上传的文件" in words(missing.text)
    fake = await _upload(client, b"PK\x03\x04 not really", "v.xlsx")
    assert fake.status_code == 422 and "不是有效的 XLSX 文件" in words(fake.text)
    old = await _upload(client, b"\xd0\xcf\x11\xe0 old excel", "v.xls")
    assert "不支持旧版 Excel" in words(old.text)
    big = await _upload(client, b"a,b\n" * (6 * 1024 * 1024 // 4), "big.csv")
    assert big.status_code == 422 and "一次最多导入 5 MB" in words(big.text)


async def test_only_admins_import(login, world):
    client = await login(world.users["coordinator"].id)
    assert (await client.get("/admin/data/import")).status_code == 403
    assert (await _upload(client, csv_bytes(good_rows(1)))).status_code == 403
    count = sa.select(sa.func.count()).select_from(User)
    assert count is not None
