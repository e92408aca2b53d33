"""The one input layer: every value from outside passes one of these types before it goes deeper.

asyncpg cannot store a NUL byte in text, no driver can encode a lone surrogate (``"\ud800"``
arrives through a JSON escape), an id past PostgreSQL's ``integer`` or an offset past ``bigint``
is a database error, and a date-time whose UTC value leaves years 1–9999 cannot even be
converted. These types turn each of them into a 422 with a Chinese message before any code
runs: ``Text`` (no NUL, surrogates or control characters; newline and tab only where the text
may span lines), ``Id`` / ``Count`` / ``Offset`` (bounded integers), ``Instant`` (an aware
date-time between 2000 and 2100; a naive one is refused, not guessed).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated

from annotated_types import Interval
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from service.messages import text

PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
MAX_ID = 2_147_483_647  # PostgreSQL integer: a larger id would be a database error, not a 404
MAX_COUNT = MAX_ID  # counts and offsets: far beyond any real list, far below bigint's limit

Id = Annotated[int, Interval(ge=1, le=MAX_ID)]
"""A database id (path, query or body): 1 … 2³¹−1."""
Count = Annotated[int, Interval(ge=0, le=MAX_COUNT)]
"""A number of things asked for: 0 … 2³¹−1."""
Offset = Annotated[int, Interval(ge=0, le=MAX_COUNT)]
"""How many items of a list to skip: 0 … 2³¹−1."""

SURROGATES = re.compile("[\ud800-\udfff]")
LINE_BREAKS = frozenset("\n\r\t")


def _refuse_unencodable(value: str, *, multiline: bool) -> None:
    """Refuse what no database can store or no reader should get: NUL, surrogates, controls."""
    if "\x00" in value:
        raise PydanticCustomError("nul_byte", "不能包含空字符（NUL）")
    if SURROGATES.search(value):
        raise PydanticCustomError("surrogate", text("refusal.input.surrogate"))
    for char in value:
        if unicodedata.category(char) == "Cc" and not (multiline and char in LINE_BREAKS):
            key = "refusal.input.control_character" if multiline else "refusal.input.line_break"
            raise PydanticCustomError("control_character", text(key))


def _text_checker(max_len: int, min_len: int, multiline: bool):
    def check(value: str) -> str:
        _refuse_unencodable(value, multiline=multiline)
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


def Text(max_len: int, *, min_len: int = 0, multiline: bool = False):  # a type-like name
    """A stripped string of at most ``max_len`` characters: no NUL, surrogate or control
    character (newline, carriage return and tab allowed only when ``multiline``)."""
    schema = {"type": "string", "maxLength": max_len}
    if min_len:
        schema["minLength"] = min_len
    checker = _text_checker(max_len, min_len, multiline)
    return Annotated[str, AfterValidator(checker), WithJsonSchema(schema)]


def _check_password(value: str) -> str:
    # A surrogate cannot be hashed (argon2 hashes UTF-8 bytes); controls are never typed.
    _refuse_unencodable(value, multiline=False)
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


# Instants a person can mean: an activity, a filter, a preferred time. Wider than any plan,
# narrow enough that converting to UTC (and back to local time) can never overflow.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def _check_instant(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError("naive_datetime", text("refusal.input.naive_datetime"))
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not EARLIEST_YEAR <= in_utc.year <= LATEST_YEAR:
        window = text(
            "refusal.input.datetime_out_of_range", earliest=EARLIEST_YEAR, latest=LATEST_YEAR
        )
        raise PydanticCustomError("datetime_out_of_range", window)
    return value


Instant = Annotated[
    datetime,
    AfterValidator(_check_instant),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "example": "2026-12-01T09:00:00+08:00"}
    ),
]
"""An aware date-time between the years 2000 and 2100 (UTC); naive values are refused."""
