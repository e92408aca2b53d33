"""The PDF's layout rules, without a database: the issuer's block (signatures, QR and its
address, issuer, date) is never split across pages, and a long table repeats its heading."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from service.certificates import fonts
from service.certificates.fonts import FontMissing
from service.certificates.pdf import certificate_pdf
from service.models import Certificate

URL = "https://kepu.example.cn/verify/KP-2026-000123/AbCdEfGhIjKlMnOp"


def _certificate(lines: int) -> Certificate:
    line = {
        "day": "2026-03-01",
        "title": "社区急救知识讲座",
        "community": "毓璜顶社区",
        "hours": 2.0,
    }
    return Certificate(
        id=123, serial="KP-2026-000123", token="AbCdEfGhIjKlMnOp", volunteer_id=4,
        period_from=date(2026, 1, 1), period_to=date(2026, 11, 23), volunteer_name="王志愿",
        total_hours=2.0 * lines, activity_count=lines, lines=[line] * lines, fingerprint="0",
        issuer="烟台市芝罘区科学技术协会", issued_on=date(2026, 11, 23),
        issued_at=datetime(2026, 11, 23, 2, tzinfo=UTC),
    )  # fmt: skip


def _pages(body: bytes) -> list[str]:
    return [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(body)).pages]


# 9 lines: the block just fits on page one; 10: it just does not, and moves whole.
@pytest.mark.parametrize(("lines", "pages"), [(9, 1), (10, 2), (40, 3)])
def test_the_issuer_block_stays_whole_on_the_last_page(lines, pages):
    text = _pages(certificate_pdf(_certificate(lines), URL))
    assert len(text) == pages
    last = text[-1]
    assert f"扫码核验{URL}" in last
    assert "出具单位：烟台市芝罘区科学技术协会" in last and "出具日期：2026年11月23日" in last
    assert all(f"第{n}/{pages}页" in page for n, page in enumerate(text, start=1))
    if lines == 40:  # the table runs on: its heading again on the next page
        heading = "序号服务日期服务内容服务地点时长（小时）"
        assert heading in text[0] and heading in text[1]
        assert f"合计：40次{80:g}" in "".join(text)


def test_a_missing_font_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "CJK_FONT", tmp_path / "missing.ttc")
    with pytest.raises(FontMissing, match="apt-get install fonts-wqy-microhei"):
        certificate_pdf(_certificate(1), URL)
