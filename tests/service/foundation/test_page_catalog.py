"""The pages' English catalog is complete and the committed .mo files say what the .po files say."""

import gettext

from tests.i18n.catalog import english, page_ids, page_po_files, placeholders


def test_every_page_message_id_has_an_english_translation():
    known = english()
    missing = {msgid: places[0] for msgid, places in page_ids().items() if msgid not in known}
    assert missing == {}, (
        "untranslated page texts (run `python -m tests.i18n.catalog missing`, fill in the "
        "English in a service/locale/en/LC_MESSAGES/pages*.po, then `make i18n`)"
    )


def test_translations_keep_their_placeholders():
    wrong = {
        msgid: text
        for msgid, text in english().items()
        if placeholders(msgid) != placeholders(text)
    }
    assert wrong == {}


def test_each_compiled_catalog_matches_its_po_file():
    for po in page_po_files():
        with po.with_suffix(".mo").open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)
        from babel.messages.pofile import read_po

        with po.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string and not message.fuzzy:
                    assert compiled.gettext(message.id) == message.string, (po.name, message.id)
