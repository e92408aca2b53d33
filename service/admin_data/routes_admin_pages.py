"""The admin data pages: the area tree and its code import, the skill taxonomy, venues, and the
volunteer import (template, dry run, commit).

Each route parses, authorizes, calls the service the command line calls too, and renders.
Uploads are checked in full and kept server-side under a token (``kept_uploads``): the commit
reads the same bytes again and checks them again; the browser never sends rows back.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.datastructures import UploadFile

from service.actor import Actor
from service.admin_data import areas, importing, kept_uploads, skills, venues
from service.admin_data.import_checks import COLUMN_LABELS
from service.admin_data.import_files import MAX_UPLOAD_BYTES, UnreadableFile
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.auth.web import form_fields, redirect, say
from service.masking import mask_phone
from service.page_text import N_
from service.schemas_common import MAX_ID
from service.vocab import Role
from service.web.deps import SessionDep
from service.web.templating import render

router = APIRouter(prefix="/admin/data", include_in_schema=False)
Admin = Annotated[Actor, requires(Role.admin)]
Coordinator = Annotated[Actor, requires(Role.coordinator)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
SHOWN_PROBLEMS = 500  # a page longer than this helps nobody; the count says how many more
SHOWN_PEOPLE = 20
LIMIT_MB = MAX_UPLOAD_BYTES // 1024 // 1024


def _phrase(request: Request, problem) -> str:
    """A row problem or a file problem in the reader's language."""
    if isinstance(problem, UnreadableFile):
        return say(request, problem.message, **problem.params)
    return say(request, problem.source, **problem.params)


async def _upload(request: Request) -> tuple[bytes, str, dict] | str:
    """The uploaded file's bytes, name and the form's text fields; or why there is none."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_UPLOAD_BYTES + 64 * 1024:
        return say(
            request, N_("文件太大：一次最多导入 %(limit)s MB，请分成几个文件。"), limit=LIMIT_MB
        )
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return say(request, N_("请选择要上传的文件（.xlsx 或 .csv）。"))
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    return data, upload.filename, form_fields(form)


# ---------------------------------------------------------------- volunteer import


def _import_page(request, actor, *, status_code=200, **context):
    context = {"actor": actor, "limit_mb": LIMIT_MB, "column_labels": COLUMN_LABELS,
               "shown": SHOWN_PROBLEMS, **context}  # fmt: skip
    return render(request, "admin/admin_data/import.html", context, status_code=status_code)


def _report_context(request, report: importing.ImportReport) -> dict:
    problems = [
        {"row": p.row, "column": p.column, "text": _phrase(request, p)}
        for p in report.problems[:SHOWN_PROBLEMS]
    ]
    preview = [
        {**person, "phone": mask_phone(person["phone"])} for person in report.people[:SHOWN_PEOPLE]
    ]
    file_problem = _phrase(request, report.file_problem) if report.file_problem else None
    return {
        "report": report,
        "problems": problems,
        "preview": preview,
        "file_problem": file_problem,
    }


@router.get("/import", name="admin_data_import")
async def import_form(request: Request, actor: Admin):
    """The template downloads and the upload form."""
    return _import_page(request, actor)


TEMPLATE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
TEMPLATE_NAME = "%E5%BF%97%E6%84%BF%E8%80%85%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF"  # 志愿者导入模板


async def _template(session, kind: str) -> Response:
    data = await importing.template(session, kind=kind)
    disposition = (
        f'attachment; filename="volunteers-template.{kind}"; '
        f"filename*=UTF-8''{TEMPLATE_NAME}.{kind}"
    )
    return Response(
        data, media_type=TEMPLATE_TYPES[kind], headers={"Content-Disposition": disposition}
    )


@router.get("/import/template.xlsx", name="admin_data_template_xlsx")
async def import_template_xlsx(actor: Admin, session: SessionDep):
    """The template with a header row and one example row, and a sheet of what may be typed."""
    return await _template(session, "xlsx")


@router.get("/import/template.csv", name="admin_data_template_csv")
async def import_template_csv(actor: Admin, session: SessionDep):
    return await _template(session, "csv")


@router.post("/import", name="admin_data_import_check")
async def import_check(request: Request, actor: Admin, session: SessionDep):
    """The dry run: every row checked, nothing written; a right file is kept for the commit."""
    upload = await _upload(request)
    if isinstance(upload, str):
        return _import_page(request, actor, error=upload, status_code=422)
    data, filename, _ = upload
    report = await importing.check_file(session, data=data, filename=filename)
    token = None
    if report.ok:
        token = kept_uploads.keep(
            data, filename=filename, owner_user_id=actor.user_id, kind="volunteers"
        )
    return _import_page(
        request, actor, token=token, status_code=200 if report.ok else 422,
        **_report_context(request, report),
    )  # fmt: skip


@router.post("/import/commit", name="admin_data_import_commit")
async def import_commit(request: Request, actor: Admin, session: SessionDep, ctx: ContextDep):
    """Check the kept file again and create everyone, or no one."""
    token = form_fields(await request.form()).get("token", "")
    kept = kept_uploads.take(token, owner_user_id=actor.user_id, kind="volunteers")
    if kept is None:
        error = say(request, N_("这次上传已过期或不存在，请重新上传文件。"))
        return _import_page(request, actor, error=error, status_code=409)
    report = await importing.commit_file(session, ctx, data=kept.data, filename=kept.filename)
    if not report.ok:
        # Something changed since the dry run (a phone registered meanwhile): nothing written.
        await session.rollback()
        kept_uploads.forget(token)
        return _import_page(
            request, actor, status_code=409, changed=True, **_report_context(request, report)
        )
    kept_uploads.forget(token)
    return _import_page(request, actor, done=True, **_report_context(request, report))


# ---------------------------------------------------------------- areas


async def _areas_page(request, actor, session, *, status_code=200, **context):
    nodes = await areas.tree(session)
    context = {"actor": actor, "nodes": nodes, "limit_mb": LIMIT_MB, **context}
    return render(request, "admin/admin_data/areas.html", context, status_code=status_code)


def _area_plan_context(request, plan: areas.AreaPlan) -> dict:
    return {
        "plan": plan,
        "problems": [{"row": p.row, "column": p.column, "text": _phrase(request, p)}
                     for p in plan.problems[:SHOWN_PROBLEMS]],
        "file_problem": _phrase(request, plan.file_problem) if plan.file_problem else None,
    }  # fmt: skip


@router.get("/areas", name="admin_data_areas")
async def areas_page(request: Request, actor: Admin, session: SessionDep):
    """The tree, and the official-code import."""
    return await _areas_page(request, actor, session)


@router.post("/areas/import", name="admin_data_areas_check")
async def areas_check(request: Request, actor: Admin, session: SessionDep):
    upload = await _upload(request)
    if isinstance(upload, str):
        return await _areas_page(request, actor, session, error=upload, status_code=422)
    data, filename, _ = upload
    plan = await areas.plan_import(session, data=data, filename=filename)
    token = None
    if plan.ok and (plan.added or plan.renamed):
        token = kept_uploads.keep(
            data, filename=filename, owner_user_id=actor.user_id, kind="areas"
        )
    return await _areas_page(
        request, actor, session, token=token, status_code=200 if plan.ok else 422,
        **_area_plan_context(request, plan),
    )  # fmt: skip


@router.post("/areas/import/commit", name="admin_data_areas_commit")
async def areas_commit(request: Request, actor: Admin, session: SessionDep):
    token = form_fields(await request.form()).get("token", "")
    kept = kept_uploads.take(token, owner_user_id=actor.user_id, kind="areas")
    if kept is None:
        error = say(request, N_("这次上传已过期或不存在，请重新上传文件。"))
        return await _areas_page(request, actor, session, error=error, status_code=409)
    plan = await areas.import_areas(session, data=kept.data, filename=kept.filename)
    kept_uploads.forget(token)
    if not plan.ok:
        await session.rollback()
        return await _areas_page(
            request, actor, session, status_code=409, **_area_plan_context(request, plan)
        )
    await session.flush()
    return await _areas_page(
        request, actor, session, done=True, **_area_plan_context(request, plan)
    )


# ---------------------------------------------------------------- skills


async def _skills_page(request, actor, session, *, status_code=200, **context):
    context = {"actor": actor, "groups": await skills.taxonomy(session), "form": {}, "errors": {},
               **context}  # fmt: skip
    return render(request, "admin/admin_data/skills.html", context, status_code=status_code)


def _skill_id(fields: dict) -> int:
    value = fields.get("skill_id", "")
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_ID else 0


async def _skill_change(request, actor, session, change, *, done: str, fields: dict):
    try:
        await change()
    except skills.SkillRefused as refused:
        await session.rollback()
        said = say(request, refused.message, **refused.params)
        return await _skills_page(
            request, actor, session, status_code=refused.status, error=said,
            errors={refused.field: said}, form=fields,
        )  # fmt: skip
    return redirect(request, str(request.url_for("admin_data_skills").path) + f"?done={done}")


DONE = {"added": N_("已添加。"), "renamed": N_("已改名；用过它的活动和志愿者显示新名称。"),
        "retired": N_("已停用：新活动、志愿者资料和导入不再提供它，过去的记录不变。"),
        "restored": N_("已恢复。")}  # fmt: skip


@router.get("/skills", name="admin_data_skills")
async def skills_page(
    request: Request, actor: Admin, session: SessionDep,
    done: Annotated[str | None, Query(max_length=16)] = None,
):  # fmt: skip
    message = say(request, DONE[done]) if done in DONE else None
    return await _skills_page(request, actor, session, message=message)


@router.post("/skills", name="admin_data_skill_add")
async def skill_add(request: Request, actor: Admin, session: SessionDep):
    fields = form_fields(await request.form())
    parent = fields.get("parent_id", "")
    parent_id = int(parent) if parent.isdigit() and 0 < int(parent) <= MAX_ID else None

    async def change():
        if parent and parent_id is None:
            raise skills.SkillRefused(N_("请选择一个技能领域。"), field="parent_id")
        await skills.add_skill(
            session, name=fields.get("name", ""), parent_id=parent_id, code=fields.get("code", "")
        )

    return await _skill_change(request, actor, session, change, done="added", fields=fields)


@router.post("/skills/rename", name="admin_data_skill_rename")
async def skill_rename(request: Request, actor: Admin, session: SessionDep):
    fields = form_fields(await request.form())

    async def change():
        await skills.rename_skill(session, skill_id=_skill_id(fields), name=fields.get("name", ""))

    return await _skill_change(request, actor, session, change, done="renamed", fields={})


@router.post("/skills/active", name="admin_data_skill_active")
async def skill_active(request: Request, actor: Admin, session: SessionDep):
    fields = form_fields(await request.form())
    active = fields.get("active") == "true"

    async def change():
        await skills.set_active(session, skill_id=_skill_id(fields), active=active)

    done = "restored" if active else "retired"
    return await _skill_change(request, actor, session, change, done=done, fields={})


# ---------------------------------------------------------------- venues


async def _venues_page(
    request, actor, session, *, community=None, page=1, status_code=200, **context
):
    found, total = await venues.venues_for(session, actor, community_id=community, page=page)
    query = f"community={community}&" if community else ""
    base = str(request.url_for("admin_data_venues").path)
    context = {
        "actor": actor,
        "venues": found,
        "total": total,
        "prev_url": f"{base}?{query}page={page - 1}" if page > 1 else None,
        "next_url": f"{base}?{query}page={page + 1}" if page * venues.PAGE_SIZE < total else None,
        "communities": await venues.communities_for(session, actor),
        "community": community, "form": {}, "errors": {}, **context,
    }  # fmt: skip
    return render(request, "admin/admin_data/venues.html", context, status_code=status_code)


def _venue_form(fields: dict) -> venues.VenueForm:
    return venues.VenueForm(**{k: fields.get(k, "").strip() for k in ("community_id", "name",
                                                                     "address", "lat", "lng")})  # fmt: skip


@router.get("/venues", name="admin_data_venues")
async def venues_page(
    request: Request, actor: Coordinator, session: SessionDep,
    community: OptionalId = None, edit: OptionalId = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[str | None, Query(max_length=16)] = None,
):  # fmt: skip
    """Venues of the actor's communities; ``edit`` opens one in the form."""
    form, editing = {}, None
    if edit is not None:
        venue = await venues.venue_in_scope(session, actor, edit)
        if venue is not None:
            editing = venue.id
            form = {"community_id": str(venue.community_id), "name": venue.name,
                    "address": venue.address, "lat": f"{venue.lat:.6f}", "lng": f"{venue.lng:.6f}"}  # fmt: skip
    message = say(request, N_("已保存。")) if done == "saved" else None
    return await _venues_page(
        request, actor, session, community=community, page=page, form=form, editing=editing,
        message=message,
    )  # fmt: skip


@router.post("/venues", name="admin_data_venue_save")
async def venue_save(request: Request, actor: Coordinator, session: SessionDep):
    """Add a venue, or edit one (``venue_id`` in the form)."""
    fields = form_fields(await request.form())
    venue_id = fields.get("venue_id", "")
    editing = int(venue_id) if venue_id.isdigit() and 0 < int(venue_id) <= MAX_ID else None
    try:
        if editing is None:
            await venues.add_venue(session, actor, _venue_form(fields))
        else:
            await venues.edit_venue(session, actor, editing, _venue_form(fields))
    except venues.VenueRefused as refused:
        await session.rollback()
        errors = {key: say(request, message, **params)
                  for key, (message, params) in refused.problems.items()}  # fmt: skip
        return await _venues_page(
            request, actor, session, status_code=refused.status, form=fields, errors=errors,
            editing=editing, error=say(request, N_("请修改标出的内容后再保存。")),
        )  # fmt: skip
    return redirect(request, str(request.url_for("admin_data_venues").path) + "?done=saved")
