"""The pipeline definition: its shape, `validate()`, and the lossless YAML round trip.

A definition is a plain dict (JSON-able), normalised by `validate()` into one canonical
form with a fixed key order, so `load_yaml(dump_yaml(spec)) == spec`. Validation
collects every problem with the path of the offending field
(`stages[1].tasks[0].image: required`); nothing invalid ever reaches the database.
A task's fields are its type's, as models.task_types declares them.
Secret environment values are sealed (encrypted) by `models.pipelines` before storage; a
secret typed in that is too short to be masked in logs (models.secrets.secret_problem:
fewer than 6 characters on every line) is refused on its `value` field.
"""
from __future__ import annotations

import re

import yaml

from models import i18n, safe_yaml, task_types
from models.i18n import N_
from models.spec_tasks import TASK_TYPES, VARIABLE_NAME, TaskChecks  # noqa: F401 (spec.TASK_TYPES, spec.VARIABLE_NAME)
from models.variables import BUILTIN_VARIABLES

# Live view of models.task_types: type → label (TASK_TYPES, type → fields, comes from models.spec_tasks)
TASK_TYPE_LABELS = task_types.LABELS
STAGE_MODES = ("serial", "parallel")
DEFAULT_STAGES = ("Source", "Build", "Test", "Deploy")
MAX_TIMEOUT_MINUTES = 14 * 24 * 60
DEFAULT_SCHEDULING_TIMEOUT_MINUTES = 60    # how long a task's pod may wait for cluster resources
CLUSTER_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,52}[a-z0-9])?$")
PIPELINE_NAME = re.compile(r"^[^\W_][\w.-]{0,63}\Z")   # any script's letters and digits (流水线-2048)


class SpecError(ValueError):
    """Bad definition. `.problems` is a list of (path, message): the path names the field
    (`stages[1].tasks[0].image`, never translated), the message is a language-neutral Msg.
    `.errors` is the same list with each message rendered in the current reader's language
    (plain text, so a dashboard store or a CLI line takes it as it is)."""

    def __init__(self, errors):
        self.problems = list(errors)
        super().__init__(self.text(i18n.DEFAULT))

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(p, m.render() if isinstance(m, i18n.Msg) else str(m)) for p, m in self.problems]

    def text(self, lang: str | None = None) -> str:
        shown = [(p, m.render(lang) if isinstance(m, i18n.Msg) else str(m)) for p, m in self.problems]
        return "; ".join(f"{p}: {m}" if p else m for p, m in shown)

    def __str__(self) -> str:      # rendered when read: a Chinese reader sees Chinese whoever raised it
        return self.text()


def new_pipeline(name: str) -> dict:
    """A starting point in canonical form: the four default stages, still without tasks, so
    `validate()` refuses it until a task is added (a run of it would do nothing)."""
    return {"name": name, "description": "", "source": None, "parameters": {}, "timeout_minutes": None,
            "stages": [{"name": s, "mode": "serial", "tasks": []} for s in DEFAULT_STAGES]}


MINUTES_MESSAGE = N_("must be a whole number of minutes from 1 to {max}", max=MAX_TIMEOUT_MINUTES)
MINUTES_PROBLEM = i18n.english(MINUTES_MESSAGE)     # the English text (what minutes_problem says in English)
NAME_PROBLEM = N_("use letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit)")


def minutes_value(raw):
    """A minutes field as a form sends it (text, or a number) → what a definition holds: None
    when blank, an int for a whole number, anything else kept as typed for `minutes_problem`
    to name. The editor's fields and the Advanced settings dialog both read minutes with it,
    so "0", "-5", "1.5" or "abc" are refused alike instead of being read as "none"."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d+\s*", raw):
        return int(raw)
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return raw


def minutes_message(value) -> i18n.Msg | None:
    """Why `value` (after minutes_value) is not a timeout in minutes, or None (None is "none")."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TIMEOUT_MINUTES:
        return MINUTES_MESSAGE
    return None


def minutes_problem(value) -> str | None:
    """minutes_message as text in the current reader's language (a form field's feedback)."""
    message = minutes_message(value)
    return None if message is None else str(message)


def validate(raw) -> dict:
    """Return the canonical form of `raw` or raise SpecError listing every problem."""
    v = _Validator()
    spec = v.pipeline(raw)
    if v.errors:
        raise SpecError(v.errors)
    return spec


class _Validator(TaskChecks):
    def __init__(self):
        self.errors = []

    def err(self, path, msg):
        self.errors.append((path, msg))

    def text(self, obj, key, path, required=True, default=""):
        value = obj.get(key, None) if isinstance(obj, dict) else None
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.err(path, N_("required"))
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.err(path, N_("must be text"))
            return default
        return value

    def unknown_keys(self, obj, allowed, path):
        for key in obj:
            if key not in allowed:
                self.err(f"{path}.{key}" if path else str(key), N_("unknown field"))

    def pipeline(self, raw):
        if not isinstance(raw, dict):
            self.err("", N_("a pipeline definition must be a mapping"))
            return {}
        self.unknown_keys(raw, ("name", "description", "source", "parameters", "timeout_minutes", "cluster",
                                "scheduling_timeout_minutes", "stages"), "")
        name = self.text(raw, "name", "name")
        if name and not PIPELINE_NAME.match(name):
            self.err("name", NAME_PROBLEM)
        spec = {"name": name, "description": self.text(raw, "description", "description", required=False),
                "source": self.source(raw.get("source")), "parameters": self.parameters(raw.get("parameters")),
                "timeout_minutes": self.timeout(raw.get("timeout_minutes")), "stages": []}
        spec.update(self.placement(raw))
        spec["stages"] = spec.pop("stages")      # keep the stages last
        stages = raw.get("stages")
        if not isinstance(stages, list):
            self.err("stages", N_("required (a list)") if stages is None else N_("must be a list"))
            stages = []
        seen = set()
        for i, stage in enumerate(stages):
            spec["stages"].append(self.stage(stage, f"stages[{i}]", seen))
        if isinstance(raw.get("stages"), list):
            self.check_not_empty(spec["stages"])
        self.check_references(spec)
        return spec

    def check_not_empty(self, stages):
        """A run of a pipeline without tasks would "succeed" having done nothing: refuse it at
        save. Empty stages beside others are fine (the editor starts with four)."""
        if not stages:
            self.err("stages", N_("a pipeline needs at least one stage with a task"))
        elif not any(stage["tasks"] for stage in stages):
            self.err("stages[0].tasks", N_("a pipeline needs at least one task: add one to a stage"))

    def source(self, raw):
        if raw in (None, "", {}):
            return None
        if not isinstance(raw, dict):
            self.err("source", N_("must be a mapping with repository and branch"))
            return None
        self.unknown_keys(raw, ("repository", "branch", "account"), "source")
        source = {"repository": self.text(raw, "repository", "source.repository"),
                  "branch": self.text(raw, "branch", "source.branch", required=False, default="main")}
        if raw.get("account") not in (None, ""):
            source["account"] = self.account(raw["account"])
        return source

    def account(self, raw):
        """`source.account`: the id of a code repository account (models/forge_accounts.py) whose
        token checks the repository out. Only its form is checked here; whether the saver owns
        it is the save's check (forge_accounts.usable_by), as the spec reads no table."""
        text = str(raw).strip() if isinstance(raw, (int, str)) and not isinstance(raw, bool) else ""
        if not text.isdigit() or int(text) < 1:
            self.err("source.account", N_("must be the number of a code repository account (see the Code "
                                          "repositories page)"))
            return None
        return int(text)

    def parameters(self, raw):
        if raw in (None, {}):
            return {}
        if not isinstance(raw, dict):
            self.err("parameters", N_("must be a mapping of NAME: value"))
            return {}
        out = {}
        for key, value in raw.items():
            if not VARIABLE_NAME.match(str(key)):
                self.err(f"parameters.{key}", N_("not a valid variable name"))
            elif key in BUILTIN_VARIABLES:
                self.err(f"parameters.{key}", N_("is a built-in variable and cannot be redefined"))
            elif isinstance(value, (dict, list)) or value is None:
                self.err(f"parameters.{key}", N_("must be a single value"))
            else:
                out[str(key)] = (
                    value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
                )
        return out

    def timeout(self, raw):
        if raw in (None, ""):
            return None
        if problem := minutes_message(raw):
            self.err("timeout_minutes", problem)
            return None
        return raw

    def placement(self, raw):
        """Where the pipeline's tasks run: `cluster` (empty: the default cluster if one is marked,
        else this machine; `local`: this machine) and how long a pod may wait for resources.
        Stored only when set, so definitions that never mention clusters stay as they were."""
        out = {}
        cluster = self.text(raw, "cluster", "cluster", required=False)
        if cluster and not CLUSTER_NAME.match(cluster):
            self.err("cluster", N_("a registered cluster's name (lowercase letters, digits, '-') or 'local'"))
        elif cluster:
            out["cluster"] = cluster
        limit = raw.get("scheduling_timeout_minutes")
        if limit not in (None, "", DEFAULT_SCHEDULING_TIMEOUT_MINUTES):
            if problem := minutes_message(limit):
                self.err("scheduling_timeout_minutes", problem)
            else:
                out["scheduling_timeout_minutes"] = limit
        return out

    def stage(self, raw, path, seen):
        if not isinstance(raw, dict):
            self.err(path, N_("must be a mapping"))
            return {"name": "", "mode": "serial", "tasks": []}
        self.unknown_keys(raw, ("name", "mode", "tasks"), path)
        name = self.text(raw, "name", f"{path}.name")
        if name in seen:
            self.err(f"{path}.name", N_("duplicate stage name '{name}'", name=name))
        seen.add(name)
        mode = raw.get("mode") or "serial"
        if mode not in STAGE_MODES:
            self.err(f"{path}.mode", N_("must be serial or parallel"))
        tasks = raw.get("tasks") or []
        if not isinstance(tasks, list):
            self.err(f"{path}.tasks", N_("must be a list"))
            tasks = []
        names = set()
        return {
            "name": name,
            "mode": mode,
            "tasks": [self.task(t, f"{path}.tasks[{j}]", names) for j, t in enumerate(tasks)],
        }


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(spec: dict) -> str:
    return yaml.dump(spec, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


def parse_yaml(text) -> object:
    """The YAML text as plain data, not yet validated; SpecError when it is not YAML or is
    refused (anchors and aliases, over 1 MiB, too deep: models.safe_yaml)."""
    try:
        return safe_yaml.load(text, what=N_("a pipeline definition"))
    except yaml.YAMLError as exc:
        raise SpecError([("", safe_yaml.describe(exc))]) from None


def load_yaml(text) -> dict:
    return validate(parse_yaml(text))
