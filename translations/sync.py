#!/usr/bin/env python3
"""Bring the catalogs up to date with the code: `python translations/sync.py`.

Extracts every marked string (`_`, `N_`, `P_`, `ngettext`) from cli/, daemon/, dashboard/
and models/ into translations/millrace.pot, then updates each language's .po from it
(new strings added, strings gone from the code marked obsolete and dropped). English
strings get their msgid as translation; Chinese ones are left empty for a translator,
and this script lists them. tests/test_translations.py fails while any is empty.
"""
from __future__ import annotations

import copy
import datetime
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "translations"
SOURCES = ("cli", "daemon", "dashboard", "models")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "P_": (1, 2)}
LANGUAGES = ("en", "zh_CN")
FIXED_DATE = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)


def extract() -> Catalog:
    """Every marked string of the code, as a template catalog."""
    # A fixed creation date: the header would otherwise change at every run (diff noise, and a
    # conflict in every merge of two branches that both ran this script).
    template = Catalog(project="Millrace", domain="millrace", creation_date=FIXED_DATE)
    for source in SOURCES:
        found = extract_from_dir(ROOT / source, method_map=[("**.py", "python")], keywords=KEYWORDS,
                                 comment_tags=("Translators:",), strip_comment_tags=True)
        for filename, lineno, message, comments, context in found:
            template.add(message, locations=[(f"{source}/{filename}", None)],   # no line numbers: no churn
                         auto_comments=comments,
                         context=context, flags=("python-brace-format",))
    return template


def po_path(lang: str) -> Path:
    return HERE / lang / "LC_MESSAGES" / "millrace.po"


def update(template: Catalog, lang: str) -> list[str]:
    """Update one language's catalog from the template; returns the msgids it lacks."""
    path = po_path(lang)
    if path.exists():
        with open(path, "rb") as f:
            catalog = read_po(f, locale=lang)
    else:
        catalog = Catalog(locale=lang, domain="millrace", project="Millrace")
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
    catalog.obsolete.clear()
    missing = []
    for message in catalog:
        if not message.id:
            continue
        if lang == "en" and not _filled(message):
            message.string = message.id     # English is the source language
        if not _filled(message):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        write_po(f, catalog, width=0, omit_header=False, sort_output=True, include_previous=False)
    return missing


def _filled(message) -> bool:
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return all(strings) and "fuzzy" not in message.flags


def fill(lang: str, mapping: dict) -> int:
    """Set translations from {msgid: text, or [forms] for a plural}; returns how many were set."""
    path = po_path(lang)
    with open(path, "rb") as f:
        catalog = read_po(f, locale=lang)
    done = 0
    for message in catalog:
        key = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
        if key in mapping:
            value = mapping[key]
            message.string = tuple(value) if isinstance(message.id, (tuple, list)) else value
            message.flags.discard("fuzzy")
            done += 1
    with open(path, "wb") as f:
        write_po(f, catalog, width=0, sort_output=True, include_previous=False)
    return done


def main() -> int:
    """`sync.py`: extract and update; `sync.py --fill LANG FILE.json [FILE.json …]`: the same,
    then set translations typed in bulk ({msgid: text}) — after the update, so new strings
    are there to be filled."""
    template = extract()
    with open(HERE / "millrace.pot", "wb") as f:
        write_po(f, template, width=0, sort_output=True)
    for lang in LANGUAGES:
        update(template, lang)
    if sys.argv[1:2] == ["--fill"]:
        import json
        for name in sys.argv[3:]:
            print(name, fill(sys.argv[2], json.loads(Path(name).read_text(encoding="utf-8"))), "set")
    status = 0
    for lang in LANGUAGES:
        missing = update(template, lang)
        print(f"{lang}: {len(template)} strings, {len(missing)} without a translation")
        for msgid in missing:
            print(f"  {msgid}")
        status = status or (1 if missing else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
