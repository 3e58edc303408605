"""Both interface languages are complete, and the compiled catalogues match their sources."""

from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_catalogue_has_no_untranslated_or_fuzzy_entries(language):
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert len(catalogue) > 100
    assert not untranslated, untranslated[:20]
    assert not fuzzy, fuzzy[:20]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_compiled_catalogue_matches_its_source(language):
    folder = LOCALE / language / "LC_MESSAGES"
    source = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0, "")
        for e in polib.pofile(str(folder / "django.po")).translated_entries()
    }
    compiled = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0, "")
        for e in polib.mofile(str(folder / "django.mo"))
    }
    assert source == compiled, "run `make messages` to recompile the catalogues"


def test_russian_translation_of_key_terms():
    catalogue = polib.pofile(str(LOCALE / "ru" / "LC_MESSAGES" / "django.po"))
    translated = {e.msgid: e.msgstr for e in catalogue}
    assert translated["Interaction map"] == "Карта взаимодействия"
    assert translated["Department head"] == "Руководитель подразделения"
