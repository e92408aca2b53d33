"""The words on the pages, in the reader's language: gettext with Chinese source strings.

Pages are written in Chinese (zh_CN, the default, needs no catalog) and wrapped in
``{% trans %}`` / ``_()``; ``make i18n`` extracts them with Babel and the English lives in
``service/locale/en/LC_MESSAGES/pages*.po`` (one file per page family, so families can be
written side by side), compiled to the committed ``.mo`` files that are read here with the
standard library. A test fails on any extracted id without an English translation.

This differs from ``service.messages`` on purpose: refusals and notifications are keyed
sentences that services raise and the API re-renders; page words are the template's own text.

The locale is a context variable, set around each rendering (``use_locale``), so ``_()`` in a
template, a page route or a page view-model reads the same value without passing it around.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from service.messages import DEFAULT_LOCALE, LOCALE_DIR, LOCALES

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """Every ``pages*.mo`` of ``locale`` merged into one catalog (zh_CN: the source text)."""
    merged: _gettext.NullTranslations = _gettext.NullTranslations()
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    for path in sorted(folder.glob("pages*.mo")) if locale != DEFAULT_LOCALE else ():
        with path.open("rb") as handle:
            catalog = _gettext.GNUTranslations(handle)
        catalog.add_fallback(merged)
        merged = catalog
    return merged


def gettext(message: str) -> str:
    """``message`` in the current locale (the Chinese source when there is no translation)."""
    return translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (labels kept in tables)."""
    return message


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Render in ``locale`` (an unknown one falls back to zh_CN)."""
    token = current_locale.set(locale if locale in LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        current_locale.reset(token)
