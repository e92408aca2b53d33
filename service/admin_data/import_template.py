"""The downloadable volunteer template: the header row and one example row that imports as is,
taken from this database's own communities and skills, plus a sheet listing what may be typed."""

from __future__ import annotations

import csv
import io

from service.models import Area, Skill

HEADERS = ("姓名*", "手机号*", "社区*", "技能", "服务半径（公里）", "简介")
EXAMPLE_PHONE = "13912345678"


def example_row(community: Area | None, skills: list[Skill]) -> list[str]:
    return [
        "张三",
        EXAMPLE_PHONE,
        community.name if community else "",
        "、".join(s.name for s in skills[:2]),
        "5",
        "退休医生，周末有空",
    ]


def template_csv(community: Area | None, skills: list[Skill]) -> bytes:
    """UTF-8 with a BOM, so Excel on Windows opens the Chinese correctly."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerow(example_row(community, skills))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(
    community: Area | None, skills: list[Skill], communities: list[Area], offered: list[Skill]
) -> bytes:
    import openpyxl  # imported here: the web workers must start fast
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "志愿者"
    sheet.append(HEADERS)
    sheet.append(example_row(community, skills))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet["B2"].number_format = "@"  # the phone as text: Excel would show 1.39E+10
    for column, width in zip("ABCDEF", (10, 16, 18, 28, 16, 30), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    choices = book.create_sheet("可填写的社区和技能")
    choices.append(("社区名称", "社区代码", "技能名称", "技能代码"))
    for i in range(max(len(communities), len(offered))):
        area = communities[i] if i < len(communities) else None
        skill = offered[i] if i < len(offered) else None
        choices.append((
            area.name if area else None, area.code if area else None,
            skill.name if skill else None, skill.code if skill else None,
        ))  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
