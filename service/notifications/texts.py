"""A notification's title and body in the reader's language.

A notification is written once, when its cause happens, in Chinese (the default, and what the
SMS gateway sends). When the text is a catalogue ``Message`` its key and parameters are kept in
the payload (``texts``), so the inbox can say it again in the language of whoever reads it.
"""

from __future__ import annotations

from collections.abc import Mapping

from service.messages import DEFAULT_LOCALE, Message, MessageError, text

TEXTS = "texts"  # the payload entry holding {"title"|"body": {"key": ..., "params": {...}}}


def _plain(params: Mapping[str, object]) -> bool:
    return all(isinstance(value, str | int | float) for value in params.values())


def remember_texts(payload: dict, **fields: str) -> dict:
    """``payload`` plus the keys of the fields that are catalogue messages with plain params."""
    texts = {
        name: {"key": value.key, "params": dict(value.params)}
        for name, value in fields.items()
        if isinstance(value, Message) and _plain(value.params)
    }
    return {**payload, TEXTS: texts} if texts else payload


def said_in(payload: Mapping | None, field: str, written: str, locale: str) -> str:
    """The field in ``locale`` when its key was kept, else as it was written."""
    entry = ((payload or {}).get(TEXTS) or {}).get(field)
    if locale == DEFAULT_LOCALE or not entry:
        return written
    try:
        return text(entry["key"], locale=locale, **entry["params"])
    except (MessageError, KeyError, TypeError):
        return written  # a key retired since: the text as written is still right


def public_payload(payload: Mapping | None) -> dict:
    """The payload without the kept texts (an implementation detail, not a related object)."""
    return {key: value for key, value in (payload or {}).items() if key != TEXTS}
