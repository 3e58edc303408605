"""The English catalogue mirrors the English source strings: fill every empty msgstr."""

from pathlib import Path

import polib

path = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
catalogue = polib.pofile(str(path))
catalogue.metadata["Language"] = "en"
catalogue.metadata_is_fuzzy = False
for entry in catalogue:
    # Always overwrite: makemessages may have carried a stale fuzzy match over.
    if entry.msgid_plural:
        entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
    else:
        entry.msgstr = entry.msgid
    entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
catalogue.save()
