"""The message catalogue: every key formats, every key the code names exists, no inline texts."""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from service.messages import (
    CATALOGUES,
    DEFAULT_LOCALE,
    LOCALE_DIR,
    LOCALES,
    ZH_CN,
    Message,
    MessageError,
    placeholders,
    read_mo,
    text,
)
from service.settings import PROJECT_ROOT

SOURCES = sorted((PROJECT_ROOT / "service").rglob("*.py"))
KEY = re.compile(r"^(notification|refusal|reason|suggestion|name|title)(\.[a-z_]+)+$")
# Calls whose title/body (or, for the _tell_* helpers, any argument) reach a person's inbox.
NOTIFYING = re.compile(r"^(notify|notify_workers|_tell_\w+)$")


def _parsed():
    for path in SOURCES:
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _uses_catalogue(tree: ast.Module) -> bool:
    """Imports ``text`` from service.messages (sqlalchemy has a ``text`` too)."""
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "service.messages"
        and any(alias.name == "text" for alias in node.names)
        for node in tree.body
    )


def _name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


@pytest.mark.parametrize("key", sorted(ZH_CN))
def test_every_message_formats_with_its_declared_placeholders(key):
    names = placeholders(ZH_CN[key])
    assert all(name.isidentifier() for name in names), "placeholders are plain names"
    filled = text(key, **dict.fromkeys(names, 7))
    assert "{" not in filled and "}" not in filled
    for name in names:
        with pytest.raises(MessageError):
            text(key, **dict.fromkeys(names - {name}, 7))


def test_every_locale_has_the_same_keys_and_placeholders():
    for locale, catalogue in CATALOGUES.items():
        assert catalogue.keys() == ZH_CN.keys(), locale
        for key, template in catalogue.items():
            assert placeholders(template) == placeholders(ZH_CN[key]), (locale, key)


def _po(locale: str):
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def _entries(locale: str) -> dict[str, str]:
    return {m.id: m.string for m in _po(locale) if m.id}


def test_every_locale_translates_every_id_with_the_same_placeholders():
    source = _entries(DEFAULT_LOCALE)
    assert source.keys() == ZH_CN.keys()
    for locale in LOCALES:
        entries = _entries(locale)
        assert sorted(entries.keys() ^ source.keys()) == [], locale
        untranslated = sorted(k for k, v in entries.items() if not v.strip() or v == k)
        assert untranslated == [], locale
        fuzzy = sorted(m.id for m in _po(locale) if m.id and m.fuzzy)
        assert fuzzy == [], locale
        mismatched = sorted(
            key for key, v in entries.items() if placeholders(v) != placeholders(source[key])
        )
        assert mismatched == [], locale


@pytest.mark.parametrize("locale", LOCALES)
def test_the_committed_mo_file_is_compiled_from_the_po_file(locale):
    compiled = io.BytesIO()
    write_mo(compiled, _po(locale))
    committed = (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert read_mo(compiled.getvalue()) == read_mo(committed), "run `make i18n`"
    assert CATALOGUES[locale] == _entries(locale)


def test_a_message_is_a_str_that_can_say_itself_in_another_locale():
    message = text("refusal.accept.full", slots=3)
    assert isinstance(message, Message) and isinstance(message, str)
    assert message == "名额已满：该活动需要 3 名志愿者，已全部接满。"
    assert (message.key, dict(message.params)) == ("refusal.accept.full", {"slots": 3})
    assert message.in_locale("en") == (
        "No places left: this activity needs 3 volunteers and all places are taken."
    )
    assert message.in_locale("zh_CN") == message
    # Anything built from it is a plain str: it has no key to be said again with.
    assert type(message + "！") is str and type(f"{message}") is str


def test_a_missing_key_an_unknown_locale_or_a_wrong_parameter_fails_loudly():
    with pytest.raises(MessageError, match="no message"):
        text("notification.no_such_kind.title")
    with pytest.raises(MessageError, match="locale"):
        text("notification.no_show.body", locale="xx_XX")
    with pytest.raises(MessageError, match="order_title"):
        text("notification.offer_new.title")
    with pytest.raises(MessageError, match="extra"):
        text("notification.no_show.body", extra=1)
    assert DEFAULT_LOCALE == "zh_CN"
    assert text("notification.offer_new.title", order_title="反诈讲座") == "新的活动邀请：反诈讲座"


def test_every_key_the_code_names_exists_and_every_message_is_used():
    named: set[str] = set()
    for path, tree in _parsed():
        if path.name == "messages.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and KEY.match(str(node.value)):
                named.add(node.value)
    assert sorted(named - ZH_CN.keys()) == []
    assert sorted(ZH_CN.keys() - named) == []


def test_text_calls_pass_exactly_the_placeholders_of_their_key():
    checked = 0
    for path, tree in filter(lambda parsed: _uses_catalogue(parsed[1]), _parsed()):
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
                continue
            if not (call.func.id == "text" and call.args):
                continue
            if any(k.arg is None for k in call.keywords):
                continue  # **params: the call builds them; formatting checks at run time
            given = {k.arg for k in call.keywords} - {"locale"}
            key = call.args[0]
            keys = [key.body, key.orelse] if isinstance(key, ast.IfExp) else [key]
            for one in keys:
                if isinstance(one, ast.Constant):
                    assert given == placeholders(ZH_CN[one.value]), (path, call.lineno)
                    checked += 1
    assert checked > 100


def _inline(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value != ""


def test_no_notification_text_is_written_inline_at_a_call_site():
    inline = []
    calls = 0
    for path, tree in _parsed():
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and NOTIFYING.match(_name(call) or "")):
                continue
            calls += 1
            args = [k.value for k in call.keywords if k.arg in {"title", "body"}]
            if _name(call).startswith("_tell_"):
                args += call.args
            for arg in args:
                if _inline(arg) or (isinstance(arg, ast.IfExp) and _inline(arg.body)):
                    where = path.relative_to(PROJECT_ROOT)
                    inline.append(f"{where}:{call.lineno}")
    assert calls >= 13
    assert inline == []


def test_catalogue_and_local_time_are_core_modules():
    probe = (
        "import sys, service.messages, service.localtime\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'fastapi', 'starlette', 'sqlalchemy', 'sqlmodel'} or m.count('.') and "
        "m.startswith('service.') and m not in {'service.messages', 'service.localtime'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )
    assert out.stdout.strip() == "[]"
