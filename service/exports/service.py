"""What an export is: which rows (orders, or service hours per volunteer), of which area and
period, in which format; who may have it; its file name; its bytes as a stream.

The page, the command line and the benchmark call these functions. Bytes are produced by
``service.tabular``'s writers from rows the repository streams, so nothing here holds a whole
export in memory. Files are in Chinese whatever the page's language: they are records kept by
the office and handed to the level above.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service import tabular
from service.actor import Actor
from service.auth import policy
from service.exports import repository as repo
from service.localtime import to_local
from service.masking import mask_phone
from service.models import Area
from service.page_text import N_
from service.vocab import ORDER_STATUS_LABELS, TARGET_GROUP_LABELS

MAX_PERIOD_DAYS = 1_827  # five years: a typo like 2062 is refused, a long record is not


class ExportKind(StrEnum):
    orders = "orders"
    hours = "hours"


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


KIND_LABELS = {ExportKind.orders: N_("活动清单"), ExportKind.hours: N_("志愿服务时长")}
KIND_FILE_WORDS = {ExportKind.orders: "活动清单", ExportKind.hours: "志愿服务时长"}
ALL_AREAS = "全部区域"

ORDER_HEADER = (
    "活动编号", "活动名称", "社区", "街道", "主题", "所需技能", "服务对象", "开始时间",
    "结束时间", "状态", "需要人数", "已接单人数", "预计参加人数", "派单时间", "满员时间",
)  # fmt: skip
HOURS_HEADER = (
    "志愿者编号", "姓名", "手机号（隐藏中间四位）", "所在社区", "参加活动数",
    "服务时长（小时）", "首次服务日期", "最近服务日期",
)  # fmt: skip

# Form errors, worded as page text (Chinese source; the page says them in its language).
KIND_UNKNOWN = N_("请选择要导出的内容：活动清单或志愿服务时长。")
FORMAT_UNKNOWN = N_("请选择文件格式：CSV 或 Excel（XLSX）。")
DAY_MISSING = N_("请填写日期。")
DAY_INVALID = N_("日期格式不对，请写成 2026-11-01 这样。")
PERIOD_BACKWARDS = N_("结束日期不能早于开始日期。")
PERIOD_TOO_LONG = N_("一次最多导出 %(days)s 天，请缩短时间段。")
AREA_MISSING = N_("请选择区域。")
AREA_OUT_OF_SCOPE = N_("这个区域不在您负责的范围内，或者不存在。")


class ExportRefusal(Exception):
    """Bad or forbidden export input: page-text messages keyed by field (``area``,
    ``day_from``, ``day_to``, ``kind``, ``format``), with their values."""

    def __init__(self, errors: dict[str, str], params: dict | None = None, status_code=422):
        super().__init__(next(iter(errors.values())))
        self.errors = errors
        self.params = params or {}
        self.status_code = status_code


@dataclass(frozen=True)
class ExportRequest:
    """Parsed but not yet authorized: what was asked for."""

    kind: ExportKind
    format: ExportFormat
    first: date
    last: date
    area_key: str  # area id or 12-digit code; "" for all (admins only)


@dataclass(frozen=True)
class Export:
    """An authorized export: what, where (None: everywhere) and when."""

    kind: ExportKind
    format: ExportFormat
    area: Area | None
    first: date
    last: date

    @property
    def media_type(self) -> str:
        return (
            tabular.CSV_MEDIA_TYPE if self.format == ExportFormat.csv else tabular.XLSX_MEDIA_TYPE
        )

    @property
    def filename(self) -> str:
        """活动清单_芝罘区_2026-11-01至2026-11-30.xlsx"""
        area = self.area.name if self.area else ALL_AREAS
        words = KIND_FILE_WORDS[self.kind]
        return f"{words}_{area}_{self.first.isoformat()}至{self.last.isoformat()}.{self.format}"

    @property
    def ascii_filename(self) -> str:
        """orders_370602001000_2026-11-01_2026-11-30.xlsx, for clients without RFC 5987."""
        area = self.area.code if self.area else "all"
        return f"{self.kind}_{area}_{self.first.isoformat()}_{self.last.isoformat()}.{self.format}"


def parse_request(
    *, kind: str | None, fmt: str | None, day_from: str | None, day_to: str | None, area: str | None
) -> ExportRequest:
    """Check the words of a request (page or command line); every bad field is said at once."""
    errors: dict[str, str] = {}
    params: dict = {}
    kinds = {k.value for k in ExportKind}
    formats = {f.value for f in ExportFormat}
    kind, fmt = (kind or "").strip().lower(), (fmt or "").strip().lower()
    if kind not in kinds:
        errors["kind"] = KIND_UNKNOWN
    if fmt not in formats:
        errors["format"] = FORMAT_UNKNOWN
    first, last = _day(day_from, "day_from", errors), _day(day_to, "day_to", errors)
    if first and last:
        if last < first:
            errors["day_to"] = PERIOD_BACKWARDS
        elif (last - first).days + 1 > MAX_PERIOD_DAYS:
            errors["day_to"] = PERIOD_TOO_LONG
            params["days"] = MAX_PERIOD_DAYS
    if errors:
        raise ExportRefusal(errors, params)
    return ExportRequest(ExportKind(kind), ExportFormat(fmt), first, last, (area or "").strip())


def _day(value: str | None, field: str, errors: dict[str, str]) -> date | None:
    value = (value or "").strip()
    if not value:
        errors[field] = DAY_MISSING
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else _bad(field, errors)
    except ValueError:
        return _bad(field, errors)


def _bad(field: str, errors: dict[str, str]) -> None:
    errors[field] = DAY_INVALID
    return None


async def authorize(session: AsyncSession, actor: Actor, asked: ExportRequest) -> Export:
    """The export the actor may have: an area they oversee (admins: any, or all areas)."""
    area = None
    if asked.area_key:
        area = await repo.area_by_code_or_id(session=session, key=asked.area_key)
        if area is None or not policy.can_oversee_area(actor, area.path):
            raise ExportRefusal({"area": AREA_OUT_OF_SCOPE}, status_code=403)
    elif not actor.is_admin:
        raise ExportRefusal({"area": AREA_MISSING})
    return Export(asked.kind, asked.format, area, asked.first, asked.last)


async def areas_to_offer(session: AsyncSession, actor: Actor) -> list[Area]:
    """The districts and streets the actor may export, for the form's picker."""
    return await repo.areas_to_export(session=session, scope=policy.areas_in_scope(actor))


def utc_bounds(export: Export, zone: str) -> tuple[datetime, datetime]:
    """The period's local days as a half-open UTC interval [first 00:00, last + 1 00:00)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(export.first, time(), tz).astimezone(UTC)
    end = datetime.combine(export.last + timedelta(days=1), time(), tz).astimezone(UTC)
    return start, end


def _scope_args(export: Export, zone: str) -> dict:
    start, end = utc_bounds(export, zone)
    return {
        "area_path": export.area.path if export.area else None,
        "starts_from": start,
        "starts_before": end,
    }


async def count_rows(session: AsyncSession, export: Export, *, zone: str) -> int:
    """How many rows the export will have (the command line's progress bar)."""
    count = repo.count_orders if export.kind == ExportKind.orders else repo.count_hours
    return await count(session=session, **_scope_args(export, zone))


def _local(moment: datetime | None, zone: str) -> datetime | None:
    # Excel has no time zones: the office's wall clock, without an offset.
    return None if moment is None else to_local(moment, zone).replace(tzinfo=None, microsecond=0)


async def _order_cells(session: AsyncSession, export: Export, zone: str):
    domains = await repo.skill_domains(session=session)
    async for row in repo.order_rows(session=session, **_scope_args(export, zone)):
        (order_id, title, community, street, skill_ids, group, starts, ends, status, slots,
         accepted, expected, published, staffed) = row  # fmt: skip
        ids = (int(s) for s in (skill_ids or "").split(",") if s.strip())
        skills = [domains[i] for i in ids if i in domains]
        topics = "、".join(sorted({domain for domain, _name in skills}))
        names = "、".join(sorted(name for _domain, name in skills))
        yield (
            order_id, title, community, street or "", topics, names,
            TARGET_GROUP_LABELS.get(group, group), _local(starts, zone), _local(ends, zone),
            ORDER_STATUS_LABELS.get(status, status), slots, accepted, expected,
            _local(published, zone), _local(staffed, zone),
        )  # fmt: skip


async def _hours_cells(session: AsyncSession, export: Export, zone: str):
    # The coordinator keeps these records about people they oversee: the name in full (as the
    # coordinator's pages show it), the phone masked — a file travels further than a page.
    async for row in repo.hours_rows(session=session, **_scope_args(export, zone)):
        volunteer_id, name, phone, home, activities, hours, first, last = row
        yield (
            volunteer_id, name, mask_phone(phone) or "", home, activities,
            round(float(hours or 0), 2), _local(first, zone).date(), _local(last, zone).date(),
        )  # fmt: skip


def table_of(session: AsyncSession, export: Export, *, zone: str) -> tabular.Table:
    """The export as a table whose rows stream from ``session`` as they are consumed."""
    if export.kind == ExportKind.orders:
        return tabular.Table("活动清单", ORDER_HEADER, _order_cells(session, export, zone))
    return tabular.Table("志愿服务时长", HOURS_HEADER, _hours_cells(session, export, zone))


async def export_bytes(
    sessionmaker: async_sessionmaker[AsyncSession],
    export: Export,
    *,
    zone: str,
    progress: Callable[[int], None] | None = None,
) -> AsyncIterator[bytes]:
    """The file's bytes, on a session of their own (a response streams after the request's
    unit of work has closed). XLSX is complete in a temporary file before its first byte."""
    async with sessionmaker() as session:
        table = table_of(session, export, zone=zone)
        if export.format == ExportFormat.csv:
            async for chunk in tabular.csv_stream(table, progress=progress):
                yield chunk
            return
        path = await tabular.xlsx_file([table], progress=progress)
    chunks = tabular.file_chunks(path)
    try:
        async for chunk in chunks:
            yield chunk
    finally:
        await chunks.aclose()
        path.unlink(missing_ok=True)  # also when the reader left early


async def open_download(
    sessionmaker: async_sessionmaker[AsyncSession], export: Export, *, zone: str
) -> AsyncIterator[bytes]:
    """The bytes, their first chunk already made (the whole XLSX, the CSV's first rows): a
    failure to start is an error answer, not a cut file answered 200."""
    body = export_bytes(sessionmaker, export, zone=zone)
    first = await anext(body, b"")
    return _prepend(first, body)


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    try:
        yield first
        async for chunk in rest:
            yield chunk
    finally:
        await rest.aclose()
