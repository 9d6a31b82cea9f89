"""What the editor's definition looks like on the page: secrets stripped, YAML text read back.

Encrypted secret values never reach the browser: they leave as empty values, which
models.pipelines.save reads as "keep the stored one", and are never taken from the page.
`strip_secrets` is the one stripper: the editor's stores and YAML tab use it, and so does
dashboard.graph for every diagram (pipeline, run and editor pages).
The YAML tab's text becomes a working definition as long as the canvas can draw it.
A secret typed in the editor but not saved yet shows in the YAML tab as MASK, never in
clear; text read back with MASK in a secret's place keeps the typed value (`from_yaml`'s
`present`), or, when that secret cannot be matched any more (renamed in the text), an
empty value: the stored one, or "type it in" at save, never the mask as a value.
"""
from __future__ import annotations

import copy

from models import i18n
from models.i18n import N_, _
from models.spec import SpecError, dump_yaml, parse_yaml, validate

# Shown in the reader's language; read back in any language (the page may have been
# switched between the text's writing and its reading).
MASK_TEXT = N_("(hidden: typed, not saved yet)")
MASK = i18n.english(MASK_TEXT)


def _masks() -> set[str]:
    return {MASK_TEXT.render(lang) for lang in i18n.LANGUAGES}


def secret_key(stage: str, task: str, name: str) -> str:
    return f"{stage}/{task}/{name}"


def strip_secrets(spec: dict) -> tuple[dict, list[str]]:
    """Drop encrypted values before the definition goes to the browser.

    A secret comes back with an empty value, which models.pipelines.save reads as "keep
    the stored one"; the returned keys say which secrets have a stored value.
    """
    out, stored = copy.deepcopy(spec), []
    for stage in out.get("stages") or []:
        for task in stage.get("tasks") or []:
            for k, env in enumerate(task.get("env") or []):
                if env.get("encrypted") or env.get("secret"):
                    if env.get("encrypted"):
                        stored.append(secret_key(stage.get("name"), task.get("name"), env.get("name")))
                    task["env"][k] = {"name": env.get("name", ""), "value": "" if env.get("encrypted") else env.get("value", ""),
                                      "secret": True}
    return out, stored


def _secrets(spec: dict):
    """(key, env entry) of every secret variable in a definition as the editor holds it."""
    def items(obj, key):            # the text may have any shape: only lists of mappings are walked
        found = obj.get(key) if isinstance(obj, dict) else None
        return [x for x in found if isinstance(x, dict)] if isinstance(found, list) else []
    for stage in items(spec, "stages"):
        for task in items(stage, "tasks"):
            for env in items(task, "env"):
                if env.get("secret"):
                    yield secret_key(stage.get("name"), task.get("name"), env.get("name")), env


def masked_yaml(spec: dict) -> str:
    """The YAML tab's text: a typed secret's value replaced by MASK."""
    out = copy.deepcopy(spec)
    for _, env in _secrets(out):
        if env.get("value"):
            env["value"] = str(MASK_TEXT)
    return dump_yaml(out)


def _unmask(spec: dict, present: dict | None) -> dict:
    typed = {key: env.get("value") for key, env in _secrets(present or {})}
    for key, env in _secrets(spec):
        if env.get("value") in _masks():
            env["value"] = typed.get(key) or ""
    return spec


def from_yaml(text: str, present: dict | None = None) -> tuple[dict | None, str | None]:
    """The YAML tab's text as a working definition, or (None, the reason it cannot be one).

    Valid text comes back in canonical form; text that is YAML but not yet a valid
    definition is kept as typed (validation marks it) as long as it has the shape the
    canvas draws: a mapping whose stages are mappings with lists of task mappings.
    Encrypted values are never taken from the page. The text is parsed once, by
    models.safe_yaml (no anchors or aliases, at most 1 MiB), so a hostile paste is refused
    with its reason instead of being expanded by the server.
    """
    try:
        raw = parse_yaml(text)
    except SpecError as exc:
        return None, str(exc.errors[0][1])        # models/ may give a Msg: the reader's language
    if isinstance(raw, dict):
        raw = _unmask(raw, present)
    try:
        return strip_secrets(validate(raw))[0], None
    except SpecError:
        pass
    stages = raw.get("stages") if isinstance(raw, dict) else None
    if not isinstance(stages, list) or not all(
            isinstance(s, dict) and isinstance(s.get("tasks") or [], list)
            and all(isinstance(t, dict) for t in s.get("tasks") or []) for s in stages):
        return None, _("a pipeline is a mapping with name and a list of stages, each with a list of tasks")
    for stage in stages:
        stage["tasks"] = stage.get("tasks") or []
    return strip_secrets(raw)[0], None
