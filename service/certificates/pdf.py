"""The certificate as an A4 PDF (fpdf2, the CJK font subset embedded, the QR code drawn as
vector squares so it stays sharp when printed).

The layout follows the 推荐格式 of the 志愿服务记录证明: the volunteer's identity, the service
(each activity: date, content, place, hours) and its total, the issuing organisation with room
for its seal and signatures, the issue date, the serial and how to verify it.
"""

from __future__ import annotations

from datetime import date

import segno
from fpdf import FPDF
from fpdf.fonts import FontFace

from service.certificates.fonts import cjk_font_path
from service.models import Certificate

FONT = "cjk"
INK = (33, 33, 33)
MUTED = (96, 96, 96)
RULE = (150, 150, 150)
PAGE_BREAK_MARGIN = 22  # mm: where running text (the activity table) breaks to a new page
FOOTER_ROOM = 17  # mm kept free at the bottom of a page for the footer line


def hours_text(hours: float) -> str:
    return f"{hours:g}"


def date_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def volunteer_number(volunteer_id: int) -> str:
    return f"V{volunteer_id:06d}"


class _Document(FPDF):
    serial = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"证明编号 {self.serial}    第 {self.page_no()} / {{nb}} 页", align="C")


def _qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    qr = segno.make(url, error="m", micro=False)
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=2)]
    module = size / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for j, row in enumerate(rows):
        i = 0
        while i < len(row):
            if row[i]:
                start = i
                while i < len(row) and row[i]:
                    i += 1
                pdf.rect(x + start * module, y + j * module, (i - start) * module, module, "F")
            else:
                i += 1


def certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """The certificate, ready to print or send."""
    pdf = _Document(format="A4")
    pdf.serial = certificate.serial or ""
    pdf.set_title(f"志愿服务记录证明 {certificate.serial}")
    # Only fixed words in the document information: it is stored as plain text, unlike the
    # page text (glyph ids), and a name or title typed by people has no business there.
    pdf.set_author("科普点单派单平台")
    pdf.set_creation_date(certificate.issued_at)
    pdf.add_font(FONT, fname=str(cjk_font_path()))
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=PAGE_BREAK_MARGIN)
    pdf.add_page()
    pdf.set_text_color(*INK)
    width = pdf.epw

    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*MUTED)
    pdf.cell(width, 5, f"证明编号：{certificate.serial}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, size=22)
    pdf.cell(width, 12, "志愿服务记录证明", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    pdf.set_font(FONT, size=11.5)
    # Chinese runs without spaces; left-aligned, since justifying stretches the few spaces.
    pdf.multi_cell(
        width, 7,
        f"兹证明{certificate.volunteer_name}同志于{date_text(certificate.period_from)}至"
        f"{date_text(certificate.period_to)}期间，参加由本单位组织、记录的科普志愿服务活动"
        f"{certificate.activity_count}次，累计志愿服务时长{hours_text(certificate.total_hours)}"
        "小时。特此证明。",
        align="L", new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    pdf.ln(2)

    _section(pdf, "一、志愿者身份信息")
    pdf.set_font(FONT, size=10.5)
    heading = FontFace(emphasis=None, fill_color=(240, 240, 240))
    with pdf.table(
        col_widths=(30, 55, 30, 55), text_align="LEFT", line_height=6.5, first_row_as_headings=False,
        borders_layout="ALL", padding=1.5,
    ) as table:  # fmt: skip
        row = table.row()
        row.cell("姓名", style=heading)
        row.cell(certificate.volunteer_name)
        row.cell("志愿者编号", style=heading)
        row.cell(volunteer_number(certificate.volunteer_id))
        row = table.row()
        row.cell("证件类型及号码", style=heading)
        row.cell("（由出具单位核验证件后填写）", colspan=3)
    pdf.set_font(FONT, size=8.5)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(
        width, 5,
        "本平台不采集身份证件号码；志愿者编号为本平台注册编号。",
        align="L", new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    pdf.set_text_color(*INK)
    pdf.ln(1)

    _section(pdf, "二、志愿服务情况")
    pdf.set_font(FONT, size=10)
    with pdf.table(
        col_widths=(11, 26, 69, 36, 28), text_align=("CENTER", "CENTER", "LEFT", "LEFT", "RIGHT"),
        line_height=5.8, headings_style=heading, padding=1.5, repeat_headings=1,
    ) as table:  # fmt: skip
        table.row(("序号", "服务日期", "服务内容", "服务地点", "时长（小时）"))
        for number, line in enumerate(certificate.lines, start=1):
            day = date.fromisoformat(line["day"])
            table.row(
                (str(number), day.isoformat(), line["title"], line["community"],
                 hours_text(line["hours"]))
            )  # fmt: skip
        row = table.row()
        row.cell(f"合计：{certificate.activity_count} 次", colspan=4, align="RIGHT", style=heading)
        row.cell(hours_text(certificate.total_hours), align="RIGHT", style=heading)
    pdf.ln(2)

    _section(pdf, "三、说明")
    pdf.set_font(FONT, size=9.5)
    pdf.multi_cell(
        width, 5.2,
        "1．本证明依据本平台中经社区工作者确认的服务记录出具，服务时长以社区确认为准。\n"
        "2．扫描左下方二维码，或在浏览器中打开二维码下方的网址，可核验本证明的真伪与状态"
        "（有效、已被新证明替代或已作废）。\n"
        "3．本证明加盖出具单位公章后有效。",
        align="L", new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    _issuer_block(pdf, certificate, verify_url)
    return bytes(pdf.output())


def _section(pdf: FPDF, title: str) -> None:
    pdf.set_font(FONT, size=12)
    pdf.cell(pdf.epw, 7.5, title, new_x="LMARGIN", new_y="NEXT")


def _issuer_block(pdf: FPDF, certificate: Certificate, verify_url: str) -> None:
    """Signatures; the QR with its address on the left; issuer and date on the right under the
    place for the seal. Kept together: moved to a new page whole when it does not fit."""
    qr_size = 28
    caption = 2 * 3.4  # the address under the QR wraps to two lines
    needed = 3 + 8 + 3 + qr_size + 0.5 + caption
    if pdf.get_y() + needed > pdf.h - FOOTER_ROOM:
        pdf.add_page()
    # Measured to fit above the footer: no automatic break may split the block.
    pdf.set_auto_page_break(False)
    pdf.ln(3)
    pdf.set_font(FONT, size=10.5)
    pdf.cell(
        pdf.epw, 8,
        "负责人（签字）：__________    经办人（签字）：__________    联系电话：______________",
        new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    top = pdf.get_y() + 3
    left = pdf.l_margin
    _qr(pdf, verify_url, left, top, qr_size)
    pdf.set_font(FONT, size=7.5)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(left, top + qr_size + 0.5)
    pdf.multi_cell(70, 3.4, f"扫码核验  {verify_url}", align="L")
    # The seal goes over the issuer's name and the date, as on paper: a dashed circle marks it.
    right = pdf.w - pdf.r_margin
    centre_x, centre_y = right - 32, top + 15
    pdf.set_draw_color(*RULE)
    pdf.set_dash_pattern(dash=1.2, gap=1.2)
    pdf.circle(x=centre_x, y=centre_y, radius=19)
    pdf.set_dash_pattern()
    pdf.set_font(FONT, size=8)
    pdf.text(centre_x - 3.2, centre_y - 9, "（公章）")
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, size=11)
    pdf.set_xy(left + qr_size + 6, top + 10)
    pdf.cell(right - left - qr_size - 6, 8, f"出具单位：{certificate.issuer}", align="R")
    pdf.set_xy(left + qr_size + 6, top + 19)
    pdf.cell(
        right - left - qr_size - 6, 8, f"出具日期：{date_text(certificate.issued_on)}", align="R"
    )
    pdf.set_auto_page_break(True, margin=PAGE_BREAK_MARGIN)
