"""OpenAPI: every /api error answer is documented as an RFC 9457 problem body.

FastAPI documents its validation errors as ``application/json`` with a list ``detail``; ours are
``application/problem+json`` (see service.web.errors). Documenting what is really sent lets API
clients — and the schema fuzzer — check error bodies too.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field

from service.auth.access import PUBLIC, access_rule_of

PROBLEM_STATUSES = {
    "400": "请求有误",
    "401": "请先登录",
    "403": "没有权限",
    "404": "未找到",
    "409": "操作无法完成（状态不允许、名额已满等）",
    "422": "输入有误",
    "429": "操作过于频繁",
    "503": "服务繁忙，请稍后重试",
}


class Problem(BaseModel):
    """An RFC 9457 problem body; ``title`` and ``detail`` in the reader's language (Chinese, or
    English for ``Accept-Language: en``); a 422 adds ``errors`` (where, what kind, in words)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "about:blank#order_full",
                    "title": "操作无法完成",
                    "status": 409,
                    "detail": "名额已满，感谢您的热心。",
                    "code": "order_full",
                    "instance": "/api/v1/orders/12/accept",
                }
            ]
        },
    )

    type: str = Field(description="问题类型 URI")
    title: str = Field(description="简短标题（中文；Accept-Language: en 时为英文）")
    status: int = Field(description="HTTP 状态码")
    detail: str = Field(description="给人看的说明（中文；Accept-Language: en 时为英文）")
    code: str = Field(description="机器可读的错误代码")
    instance: str = Field(description="出错的请求路径")


BEARER = "bearerAuth"
# Swagger UI's "Authorize" asks for this; machine clients send ``Authorization: Bearer kp_…``.
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "kp_…",
    "description": (
        "个人访问令牌：登录后在 /me/tokens 创建（只显示一次），请求时放在 "
        "`Authorization: Bearer <令牌>` 中。用令牌的请求不需要 CSRF 令牌。"
    ),
}


def _operations_needing_a_login(app: FastAPI) -> set[tuple[str, str]]:
    """(METHOD, path) of every route whose access rule is not public: those take the token."""
    found = set()
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        rule = access_rule_of(context.dependant)
        if rule is not None and PUBLIC not in rule:
            found |= {(method, context.path) for method in context.methods}
    return found


def install_problem_documentation(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so each /api operation lists its problem+json error answers."""

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        schema["components"]["securitySchemes"] = {BEARER: BEARER_SCHEME}
        signed_in = _operations_needing_a_login(app)
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith("/api/"):
                continue
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status, description in PROBLEM_STATUSES.items():
                    responses[status] = {"description": description, "content": problem}
                if (method.upper(), path) in signed_in:
                    operation["security"] = [{BEARER: []}]
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
