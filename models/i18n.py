"""Translations: the reader's language, gettext catalogs, and language-neutral messages.

Every user-visible string is English in the code, marked with `_()` (translated now, in the
current language) or `N_()` (a `Msg`: translated when shown, so a module constant or a
stored reason renders in whoever reads it's language). The catalogs are Babel/gettext
`.po` files in `translations/<lang>/LC_MESSAGES/millrace.po`, read with Babel (no compile
step: the `.po` is the source of truth); `translations/README.md` says how to extract and
update them. Placeholders are named (`{task}`), filled after translation.

The current language is the dashboard request's (its resolver, set by dashboard/i18n.py:
cookie, then Accept-Language), else the one `use()` set (the CLI's `--lang`), else the
environment's (`LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG`), else English.
"""
from __future__ import annotations

import contextvars
import io
import json
import os
from functools import lru_cache
from pathlib import Path

from babel.messages import mofile, pofile
from babel.support import NullTranslations, Translations

DOMAIN = "millrace"
LANGUAGES = {"en": "English", "zh_CN": "中文"}      # code → its own name (the switcher's labels)
DEFAULT = "en"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

_chosen: contextvars.ContextVar[str | None] = contextvars.ContextVar("millrace_language", default=None)
_resolver = None        # () -> language code or None: the dashboard's request language


def normalise(value: str | None) -> str | None:
    """'zh-CN', 'zh_CN.UTF-8', 'zh', 'zh-Hans' → 'zh_CN'; 'en-US' → 'en'; unknown → None."""
    if not value:
        return None
    code = value.split(".")[0].split("@")[0].replace("-", "_").strip()
    lower = code.lower()
    if lower.startswith("zh"):
        return "zh_CN"        # the one Chinese catalog (simplified, as the manual)
    if lower == "c" or lower == "posix" or lower.startswith("en"):
        return "en"
    return code if code in LANGUAGES else None


def from_environment(env=os.environ) -> str:
    for key in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for part in (env.get(key) or "").split(":"):
            found = normalise(part)
            if found:
                return found
    return DEFAULT


def use(language: str | None) -> None:
    """Choose the language for this context (the CLI's `--lang`); None: the environment's."""
    _chosen.set(normalise(language) if language else None)


def set_resolver(resolver) -> None:
    """The dashboard's: a function giving the current request's language (None outside one)."""
    global _resolver
    _resolver = resolver


def language() -> str:
    found = _resolver() if _resolver is not None else None
    return found or _chosen.get() or from_environment()


@lru_cache(maxsize=None)
def catalog(lang: str) -> NullTranslations:
    """The language's translations, read from its .po file (fuzzy entries are not used)."""
    path = TRANSLATIONS / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return NullTranslations()
    with open(path, "rb") as f:
        messages = pofile.read_po(f, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    mofile.write_mo(buffer, messages)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def _fill(text: str, params: dict, lang: str) -> str:
    if not params:
        return text
    shown = {k: (v.render(lang) if isinstance(v, Msg) else v) for k, v in params.items()}
    try:
        return text.format(**shown)
    except (KeyError, IndexError, ValueError):     # a broken translation never hides the message
        return text + " " + ", ".join(f"{k}={v}" for k, v in shown.items())


def gettext(msgid: str, **params) -> str:
    """`msgid` in the current language, its `{name}` placeholders filled from `params`."""
    lang = language()
    return _fill(catalog(lang).gettext(msgid), params, lang)


def ngettext(singular: str, plural: str, n: int, **params) -> str:
    lang = language()
    return _fill(catalog(lang).ngettext(singular, plural, n), {"n": n, **params}, lang)


_ = gettext


class Msg:
    """A message kept language-neutral: its English id and parameters (which may be Msgs).
    `str()` renders it in the current language; `to_json()`/`from_json()` store it."""

    __slots__ = ("id", "params", "plural", "n")

    def __init__(self, msgid: str, plural: str | None = None, n: int | None = None, **params):
        self.id, self.plural, self.n, self.params = msgid, plural, n, params

    def render(self, lang: str | None = None) -> str:
        lang = lang or language()
        if self.plural is not None:
            text = catalog(lang).ngettext(self.id, self.plural, self.n)
            return _fill(text, {"n": self.n, **self.params}, lang)
        params = self.params if self.n is None else {"n": self.n, **self.params}   # N_("…{n}…", n=3)
        return _fill(catalog(lang).gettext(self.id), params, lang)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Msg({self.id!r}, {self.params!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Msg) and (self.id, self.plural, self.n, self.params) == \
            (other.id, other.plural, other.n, other.params)

    def __hash__(self):
        return hash(self.id)

    def data(self) -> dict:
        out = {"id": self.id, "params": {k: (v.data() if isinstance(v, Msg) else v) for k, v in self.params.items()}}
        if self.plural is not None:
            out.update(plural=self.plural, n=self.n)
        return out

    def to_json(self) -> str:
        return json.dumps(self.data(), ensure_ascii=False)

    @classmethod
    def from_data(cls, data: dict) -> "Msg":
        params = {k: (cls.from_data(v) if isinstance(v, dict) and "id" in v else v)
                  for k, v in (data.get("params") or {}).items()}
        return cls(data["id"], data.get("plural"), data.get("n"), **params)

    @classmethod
    def from_json(cls, text: str) -> "Msg":
        return cls.from_data(json.loads(text))


def N_(msgid: str, **params) -> Msg:
    """Mark `msgid` for translation, to be rendered when shown (constants, stored reasons)."""
    return Msg(msgid, **params)


def P_(singular: str, plural: str, n: int, **params) -> Msg:
    """`N_` for a message with a count: `{n}` picks the language's plural form when shown."""
    return Msg(singular, plural, n, **params)


def english(value) -> str:
    """The English text of a message or plain string (what audit columns store, readable)."""
    return value.render(DEFAULT) if isinstance(value, Msg) else str(value)


def stored(text: str | None, message_json: str | None = None):
    """A stored reason as a message to build on (a Msg when one was stored, else the text)."""
    if message_json:
        try:
            return Msg.from_json(message_json)
        except (ValueError, KeyError, TypeError):
            pass
    return text or ""


def shown(text: str | None, message_json: str | None = None) -> str:
    """A stored reason as the reader should see it: its message in the current language when
    one was stored beside the English text, else the text as it is (older rows, task output)."""
    if message_json:
        try:
            return Msg.from_json(message_json).render()
        except (ValueError, KeyError, TypeError):
            pass
    return text or ""
