"""The page catalog's tooling: which Chinese source strings the pages use, and their English.

    python -m tests.i18n.catalog missing        # .po entries to fill in, with where each is used

Page ids are extracted with Babel from the templates (``{% trans %}``, ``_()``) and from the
Python sources (``_()``, ``gettext()``, ``N_()``); the English is the union of
``service/locale/en/LC_MESSAGES/pages*.po`` (one file per page family).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = ROOT / "service" / "locale" / "en" / "LC_MESSAGES"
METHODS = [("templates/**.html", "jinja2"), ("service/**.py", "python")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def page_ids() -> dict[str, list[str]]:
    """Every page message id → the places that use it (file:line)."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, METHODS, OPTIONS, keywords=KEYWORDS, comment_tags=()
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def page_po_files() -> list[Path]:
    return sorted(ENGLISH.glob("pages*.po"))


def english() -> dict[str, str]:
    """msgid → English, over every page family's .po (fuzzy entries count as missing)."""
    merged: dict[str, str] = {}
    for path in page_po_files():
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string and not message.fuzzy:
                    merged.setdefault(message.id, message.string)
    return merged


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _po_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def missing_entries() -> str:
    """The untranslated ids as .po entries (msgstr empty), ready to be filled in."""
    known = english()
    blocks = []
    for msgid, places in sorted(page_ids().items(), key=lambda item: item[1][0]):
        if msgid not in known:
            refs = " ".join(places[:3])
            blocks.append(f'#: {refs}\nmsgid {_po_quote(msgid)}\nmsgstr ""\n')
    return "\n".join(blocks)


if __name__ == "__main__":
    if sys.argv[1:] == ["missing"]:
        print(missing_entries())
    else:
        print(__doc__)
