"""The volunteer import: a dry run that reports every problem row by row, and a commit that
checks the file again against the database as it is now and writes all of it or nothing.

Imported people are **active volunteers with no password**: the file is the district's own
roster of people it already knows (a 志愿者花名册), so there is nothing left for a coordinator
to review, and matching can ask them at once; each logs in after an admin gives them a
password (the user page's 重置密码), as with accounts an admin creates. They get the volunteer
role only. Each account has an audit entry naming the import and the row it came from.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from service.admin_data import repository
from service.admin_data.import_checks import (
    COLUMN_ALIASES,
    REQUIRED,
    RowProblem,
    check_rows,
    make_lookups,
    phones_of,
)
from service.admin_data.import_files import Sheet, UnreadableFile, read_table
from service.context import ActionContext
from service.vocab import AreaLevel, UserStatus, VolunteerStatus
from service.volunteers.service import skill_groups

Progress = Callable[[str, int, int], None]  # (stage, done, total)
WRITE_SLICE = 2_000


@dataclass
class ImportReport:
    """What a dry run or a commit found: the rows, the people ready, every problem."""

    filename: str
    kind: str = ""
    encoding: str | None = None
    rows: int = 0
    people: list[dict] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    file_problem: UnreadableFile | None = None
    created: int = 0  # after a commit
    import_id: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.file_problem is None and not self.problems

    @property
    def rows_with_problems(self) -> int:
        return len({p.row for p in self.problems})


def _quiet(stage: str, done: int, total: int) -> None:
    return None


async def check_file(
    session: AsyncSession, *, data: bytes, filename: str, progress: Progress = _quiet
) -> ImportReport:
    """The dry run: read and check everything, write nothing."""
    report = ImportReport(filename=filename)
    started = time.perf_counter()
    try:
        sheet = read_table(data, filename, aliases=COLUMN_ALIASES, required=REQUIRED)
    except UnreadableFile as problem:
        report.file_problem = problem
        return report
    report.seconds["read"] = time.perf_counter() - started
    progress("read", len(sheet.rows), len(sheet.rows))
    await _check_sheet(session, sheet, report)
    report.seconds["check"] = time.perf_counter() - started - report.seconds["read"]
    progress("check", len(sheet.rows), len(sheet.rows))
    return report


async def _check_sheet(session: AsyncSession, sheet: Sheet, report: ImportReport) -> None:
    report.kind, report.encoding, report.rows = sheet.kind, sheet.encoding, len(sheet.rows)
    areas = await repository.all_areas(session=session)
    streets = {a.id: a for a in areas if a.level == AreaLevel.street}
    communities = [a for a in areas if a.level == AreaLevel.community]
    offered = {s.id for group in await skill_groups(session) for s in group.skills}
    taken = await repository.phones_with_accounts(session=session, phones=phones_of(sheet.rows))
    lookups = make_lookups(
        communities, streets, await repository.all_skills(session=session), offered, taken
    )
    report.people, report.problems = check_rows(sheet.rows, sheet.numbers, lookups)


async def commit_file(
    session: AsyncSession, ctx: ActionContext, *, data: bytes, filename: str,
    progress: Progress = _quiet,
) -> ImportReport:  # fmt: skip
    """Check the file again and, only when every row is right, create every volunteer in the
    caller's transaction (the caller commits; a refusal leaves nothing written)."""
    report = await check_file(session, data=data, filename=filename, progress=progress)
    if not report.ok:
        return report
    started = time.perf_counter()
    report.import_id = f"import-{ctx.now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    for person in report.people:
        person["user_status"] = UserStatus.active
        person["volunteer_status"] = VolunteerStatus.active
    # In slices, so the command line's bar moves while it writes; still one transaction.
    for start in range(0, len(report.people), WRITE_SLICE):
        report.created += await repository.insert_volunteers(
            session=session, people=report.people[start : start + WRITE_SLICE], now=ctx.now,
            actor_user_id=ctx.actor.user_id, import_id=report.import_id,
        )  # fmt: skip
        progress("write", report.created, len(report.people))
    await session.flush()
    report.seconds["write"] = time.perf_counter() - started
    return report


async def template(session: AsyncSession, *, kind: str) -> bytes:
    """The template as XLSX or CSV, its example row naming this database's own places."""
    from service.admin_data import import_template

    areas = await repository.all_areas(session=session)
    communities = [a for a in areas if a.level == AreaLevel.community]
    offered = [s for group in await skill_groups(session) for s in group.skills]
    first = communities[0] if communities else None
    if kind == "csv":
        return import_template.template_csv(first, offered)
    return import_template.template_xlsx(first, offered, communities, offered)
