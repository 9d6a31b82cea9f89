"""The catalogs: every marked string has its English and Chinese translation, with the same
placeholders; messages render in the reader's language, also when stored in the other."""
import re
import string

import pytest
from babel.messages.pofile import read_po

from models import i18n
from translations import sync

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _catalog(lang):
    with open(sync.po_path(lang), "rb") as f:
        return read_po(f, locale=lang)


def _strings(message):
    return message.string if isinstance(message.string, (tuple, list)) else (message.string,)


def _ids(message):
    return message.id if isinstance(message.id, (tuple, list)) else (message.id,)


@pytest.mark.parametrize("lang", sync.LANGUAGES)
def test_every_marked_string_has_a_translation_with_its_placeholders(lang):
    catalog = _catalog(lang)
    missing, broken = [], []
    for message in sync.extract():
        if not message.id:
            continue
        found = catalog.get(message.id)
        if found is None or not all(_strings(found)) or "fuzzy" in found.flags:
            missing.append(_ids(message)[0])
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(_ids(message))))
        for text in _strings(found):
            string.Formatter().parse(text)
            if set(PLACEHOLDER.findall(text)) - wanted or (len(_strings(found)) == 1 and
                                                            set(PLACEHOLDER.findall(text)) != wanted):
                broken.append((_ids(message)[0], text))
    assert not missing, f"{lang}: {len(missing)} strings without a translation (python translations/sync.py): " \
                        f"{missing[:10]}"
    assert not broken, f"{lang}: translations whose placeholders differ from the original: {broken[:10]}"


def test_a_reason_stored_while_reading_english_shows_in_chinese():
    reason = i18n.N_("task '{task}' in stage '{stage}' failed: {reason}", task="构建", stage="Build",
                     reason=i18n.N_("exit code {code}", code=3))
    stored_text, stored_json = i18n.english(reason), reason.to_json()
    assert stored_text == "task '构建' in stage 'Build' failed: exit code 3"
    i18n.use("zh_CN")
    try:
        shown = i18n.shown(stored_text, stored_json)
    finally:
        i18n.use(None)
    assert shown != stored_text and "构建" in shown and "3" in shown
    assert i18n.shown(stored_text, None) == stored_text       # older rows: the text as stored


def test_plural_forms_follow_the_language():
    msg = i18n.P_("timed out after {n} minute of execution", "timed out after {n} minutes of execution", 1)
    assert msg.render("en") == "timed out after 1 minute of execution"
    assert i18n.P_("timed out after {n} minute of execution", "timed out after {n} minutes of execution",
                   5).render("en") == "timed out after 5 minutes of execution"
    assert "1" in msg.render("zh_CN") and msg.render("zh_CN") != msg.render("en")


@pytest.mark.parametrize("value, expected", [("zh_CN.UTF-8", "zh_CN"), ("zh-CN", "zh_CN"), ("zh", "zh_CN"),
                                             ("en_US.UTF-8", "en"), ("C", "en"), ("fr_FR", None), ("", None)])
def test_language_names_are_normalised(value, expected):
    assert i18n.normalise(value) == expected


def test_the_environment_chooses_the_language_when_nothing_else_does():
    assert i18n.from_environment({"LANG": "zh_CN.UTF-8"}) == "zh_CN"
    assert i18n.from_environment({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}) == "zh_CN"
    assert i18n.from_environment({}) == "en"


def test_a_message_without_plural_forms_may_still_have_a_placeholder_named_n():
    assert i18n.N_("at least {n} characters", n=10).render("en") == "at least 10 characters"
