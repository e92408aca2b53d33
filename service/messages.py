"""The texts people read in notifications and refusals, in gettext catalogs keyed by stable ids.

Every entry is a whole sentence with named ``{placeholders}``; callers pass the values by name
and never glue pieces together, so a translator sees the sentence and may reorder it. The
sentences live in ``service/locale/<locale>/LC_MESSAGES/messages.po`` (message id = the key)
and in the ``.mo`` files ``make i18n`` compiles from them; both are committed, so a fresh clone
reads the ``.mo`` files with the standard library and needs neither Babel nor a compile step.
zh_CN is the default; every locale has the same keys and the same placeholders (the tests
check both, and that each ``.mo`` matches its ``.po``). A missing key or a wrong set of
parameters raises ``MessageError``: a programming mistake that the catalogue tests catch,
never a half filled sentence shown to a person.

``text()`` returns a ``Message``: a ``str`` that remembers its key and parameters, so the API
can say the same sentence again in the language a request asks for (``Message.in_locale``).
Anything built from it (concatenation, ``join``, f-strings) is a plain ``str`` again.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from pathlib import Path
from string import Formatter

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
LOCALE_DIR = Path(__file__).parent / "locale"


class MessageError(LookupError):
    """A message asked for under an unknown key or locale, or with the wrong parameters."""


def read_mo(data: bytes) -> dict[str, str]:
    """The id → text pairs of a compiled gettext catalog (no plurals, no contexts; no header)."""
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _, count, originals, translations = struct.unpack(order + "4I", data[4:20])
    pairs = {}
    for i in range(count):
        length, offset = struct.unpack(
            order + "2I", data[originals + 8 * i : originals + 8 * i + 8]
        )
        key = data[offset : offset + length].decode("utf-8")
        length, offset = struct.unpack(
            order + "2I", data[translations + 8 * i : translations + 8 * i + 8]
        )
        if key:
            pairs[key] = data[offset : offset + length].decode("utf-8")
    return pairs


def _read_catalogue(locale: str) -> Mapping[str, str]:
    return read_mo((LOCALE_DIR / locale / "LC_MESSAGES" / "messages.mo").read_bytes())


# locale → (key → template): two small files, read once at import.
CATALOGUES: Mapping[str, Mapping[str, str]] = {
    locale: _read_catalogue(locale) for locale in LOCALES
}
ZH_CN: Mapping[str, str] = CATALOGUES[DEFAULT_LOCALE]


def placeholders(template: str) -> frozenset[str]:
    """The names a template's ``{placeholders}`` need."""
    return frozenset(name for _, name, _, _ in Formatter().parse(template) if name is not None)


def negotiate_locale(accept_language: str | None) -> str:
    """The locale an ``Accept-Language`` header asks for: ``en``/``en-US``/… → en, else zh_CN.

    Language ranges are tried by falling q-value (ties in header order); the first one that names
    English or Chinese wins, and ``q=0`` ranges are refused. Malformed parts are skipped.
    """
    ranges = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranges.append((-quality, position, tag.lower()))
    for _, _, tag in sorted(ranges):
        language = tag.replace("_", "-").split("-")[0]
        if language == "en":
            return "en"
        if language == "zh":
            return DEFAULT_LOCALE
    return DEFAULT_LOCALE


class Message(str):
    """A filled-in catalogue sentence that remembers how to say itself in another locale."""

    __slots__ = ("key", "params")
    key: str
    params: Mapping[str, object]

    def in_locale(self, locale: str) -> str:
        """The same sentence in ``locale`` (parameters unchanged; they are not translated)."""
        return text(self.key, locale=locale, **self.params)


def text(key: str, /, *, locale: str = DEFAULT_LOCALE, **params: object) -> Message:
    """The message ``key`` in ``locale`` with exactly its named placeholders filled in."""
    try:
        template = CATALOGUES[locale][key]
    except KeyError:
        raise MessageError(f"no message {key!r} in locale {locale!r}") from None
    expected = placeholders(template)
    if params.keys() != expected:
        raise MessageError(f"message {key!r} takes {sorted(expected)}, was given {sorted(params)}")
    message = Message(template.format(**params))
    message.key = key
    message.params = params
    return message
