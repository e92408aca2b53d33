"""Input types every domain can use: bounded text without NUL bytes, phone numbers, ids.

asyncpg cannot store a NUL byte in text and an unbounded string is a 500 (PostgreSQL) or a
silently stored blob (SQLite); these types turn both into a 422 with a Chinese message.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
MAX_ID = 2_147_483_647  # PostgreSQL integer: a larger id would be a database error, not a 404


def _text_checker(max_len: int, min_len: int):
    def check(value: str) -> str:
        if "\x00" in value:
            raise PydanticCustomError("nul_byte", "不能包含空字符（NUL）")
        value = value.strip()
        if len(value) > max_len:
            raise PydanticCustomError(
                "too_long", "长度不能超过 {max_len} 个字符", {"max_len": max_len}
            )
        if len(value) < min_len:
            raise PydanticCustomError(
                "too_short", "长度不能少于 {min_len} 个字符", {"min_len": min_len}
            )
        return value

    return check


def Text(max_len: int, *, min_len: int = 0):  # a type-like name: used in annotations
    """A stripped string of at most ``max_len`` characters with no NUL byte."""
    schema = {"type": "string", "maxLength": max_len}
    if min_len:
        schema["minLength"] = min_len
    return Annotated[str, AfterValidator(_text_checker(max_len, min_len)), WithJsonSchema(schema)]


def _check_password(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul_byte", "不能包含空字符（NUL）")
    if len(value) > 128:
        raise PydanticCustomError("too_long", "密码不能超过 128 个字符")
    return value  # not stripped: spaces may be part of a password


def _normalize_phone(value: object) -> object:
    # People paste numbers with spaces or dashes; the stored form is 11 bare digits.
    return re.sub(r"[\s-]", "", value) if isinstance(value, str) else value


def _check_phone(value: str) -> str:
    if not PHONE_PATTERN.fullmatch(value):
        raise PydanticCustomError("phone", "请输入有效的中国大陆手机号（11 位数字，以 1 开头）")
    return value


PhoneNumber = Annotated[
    str,
    BeforeValidator(_normalize_phone),
    AfterValidator(_check_phone),
    WithJsonSchema({"type": "string", "pattern": PHONE_PATTERN.pattern, "example": "13812345678"}),
]
Password = Annotated[
    str, AfterValidator(_check_password), WithJsonSchema({"type": "string", "maxLength": 128})
]
Name = Text(64, min_len=1)
