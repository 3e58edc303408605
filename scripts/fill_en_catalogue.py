"""The English catalogue mirrors the English source strings: fill every empty msgstr."""

from pathlib import Path

import polib

path = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
catalogue = polib.pofile(str(path))
catalogue.metadata["Language"] = "en"
catalogue.metadata_is_fuzzy = False
for entry in catalogue:
    if entry.msgid_plural:
        if not all(entry.msgstr_plural.values()):
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
    elif not entry.msgstr:
        entry.msgstr = entry.msgid
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
catalogue.save()
