"""The editor's words for what models/ names in English: task types (by their code), the
labels of their fields, the stage modes as the canvas and the stage form show them, and
text cut to what a canvas card holds.

models/task_types.py declares each type's label and its fields' labels in English (it is
not the dashboard's to translate); the editor shows them in the reader's language: a
built-in type's label by its code, a field's label by its English text (marked here so
the catalogs carry it). A type declared elsewhere (a test's) keeps its own words. The
stored values ("serial", a type's code) never change: only what is shown.
"""
from __future__ import annotations

import unicodedata

from models import task_types
from models.i18n import N_, Msg, english

TYPE_LABELS = {"script": N_("run script"), "build_image": N_("build & publish image"),
               "deploy_yaml": N_("deploy YAML"), "build_chart": N_("build & publish chart"),
               "deploy_chart": N_("deploy chart"), "checkout": N_("checkout")}
MODES = {"serial": N_("serial"), "parallel": N_("parallel")}
MODE_CHOICES = {"serial": N_("serial — one after another"), "parallel": N_("parallel — all at once")}

# The field labels models/task_types.py declares, so that extraction puts them in the
# catalogs; field_label() looks a label up by its English text.
FIELD_LABELS = (
    N_("Image"), N_("Image tag"), N_("Script"), N_("Dockerfile path"), N_("Registry workspace (namespace)"),
    N_("Build context"), N_("Registry (blank: the configured one)"), N_("YAML file path (in the repository)"),
    N_("Cluster (blank: the default)"), N_("Namespace"), N_("Chart directory"), N_("Chart name"),
    N_("Chart version"), N_("Release name"), N_("Parameters (key=value, one a line)"),
)


def type_label(code) -> str:
    """A task type as the reader reads it ("运行脚本"); an unknown code as it is written."""
    if code in TYPE_LABELS:
        return str(TYPE_LABELS[code])
    declared = task_types.get(code)
    return field_label(declared.label) if declared else str(code or "")


def type_options() -> list[tuple[str, str]]:
    """(code, label) of every type a definition may name, in the declared order."""
    return [(code, type_label(code)) for code in task_types.LABELS]


def field_label(label) -> str:
    """A declared label (English text, or a Msg) in the reader's language; the English text
    where the catalog has no translation (a type declared by a test)."""
    return Msg(english(label)).render() if label else ""


def mode_label(mode) -> str:
    return str(MODES[mode]) if mode in MODES else str(mode or "")


def mode_options(modes) -> list[tuple[str, str]]:
    return [(m, str(MODE_CHOICES[m]) if m in MODE_CHOICES else str(m)) for m in modes]


def width(text: str) -> int:
    """Display width in half-width cells: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fit(text, cells: int) -> str:
    """`text` cut with "…" to at most `cells` half-width cells (what a card's lines hold:
    cytoscape wraps a label but never shortens it, so a long name would spill out)."""
    text = str(text or "")
    if width(text) <= cells:
        return text
    out, used = "", 1
    for c in text:
        used += width(c)
        if used > cells:
            break
        out += c
    return out + "…"
