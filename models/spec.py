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

from models import safe_yaml, task_types
from models.secrets import secret_problem
from models.variables import BUILTIN_VARIABLES, references

# Live views of models.task_types: type → (required fields, optional fields with defaults), type → label
TASK_TYPES = task_types.FIELDS
TASK_TYPE_LABELS = task_types.LABELS
STAGE_MODES = ("serial", "parallel")
DEFAULT_STAGES = ("Source", "Build", "Test", "Deploy")
MAX_TIMEOUT_MINUTES = 14 * 24 * 60
DEFAULT_SCHEDULING_TIMEOUT_MINUTES = 60    # how long a task's pod may wait for cluster resources
CLUSTER_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,52}[a-z0-9])?$")
PIPELINE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SpecError(ValueError):
    """Bad definition; `.errors` is a list of (path, message)."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in self.errors))


def new_pipeline(name: str) -> dict:
    """A starting point in canonical form: the four default stages, still without tasks, so
    `validate()` refuses it until a task is added (a run of it would do nothing)."""
    return {"name": name, "description": "", "source": None, "parameters": {}, "timeout_minutes": None,
            "stages": [{"name": s, "mode": "serial", "tasks": []} for s in DEFAULT_STAGES]}


MINUTES_PROBLEM = f"must be a whole number of minutes from 1 to {MAX_TIMEOUT_MINUTES}"


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


def minutes_problem(value) -> str | None:
    """Why `value` (after minutes_value) is not a timeout in minutes, or None (None is "none")."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TIMEOUT_MINUTES:
        return MINUTES_PROBLEM
    return None


def validate(raw) -> dict:
    """Return the canonical form of `raw` or raise SpecError listing every problem."""
    v = _Validator()
    spec = v.pipeline(raw)
    if v.errors:
        raise SpecError(v.errors)
    return spec


class _Validator:
    def __init__(self):
        self.errors = []

    def err(self, path, msg):
        self.errors.append((path, msg))

    def text(self, obj, key, path, required=True, default=""):
        value = obj.get(key, None) if isinstance(obj, dict) else None
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.err(path, "required")
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.err(path, "must be text")
            return default
        return value

    def unknown_keys(self, obj, allowed, path):
        for key in obj:
            if key not in allowed:
                self.err(f"{path}.{key}" if path else str(key), "unknown field")

    def pipeline(self, raw):
        if not isinstance(raw, dict):
            self.err("", "a pipeline definition must be a mapping")
            return {}
        self.unknown_keys(raw, ("name", "description", "source", "parameters", "timeout_minutes", "cluster",
                                "scheduling_timeout_minutes", "stages"), "")
        name = self.text(raw, "name", "name")
        if name and not PIPELINE_NAME.match(name):
            self.err("name", "use letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit)")
        spec = {"name": name, "description": self.text(raw, "description", "description", required=False),
                "source": self.source(raw.get("source")), "parameters": self.parameters(raw.get("parameters")),
                "timeout_minutes": self.timeout(raw.get("timeout_minutes")), "stages": []}
        spec.update(self.placement(raw))
        spec["stages"] = spec.pop("stages")      # keep the stages last
        stages = raw.get("stages")
        if not isinstance(stages, list):
            self.err("stages", "required (a list)" if stages is None else "must be a list")
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
            self.err("stages", "a pipeline needs at least one stage with a task")
        elif not any(stage["tasks"] for stage in stages):
            self.err("stages[0].tasks", "a pipeline needs at least one task: add one to a stage")

    def source(self, raw):
        if raw in (None, "", {}):
            return None
        if not isinstance(raw, dict):
            self.err("source", "must be a mapping with repository and branch")
            return None
        self.unknown_keys(raw, ("repository", "branch"), "source")
        return {"repository": self.text(raw, "repository", "source.repository"),
                "branch": self.text(raw, "branch", "source.branch", required=False, default="main")}

    def parameters(self, raw):
        if raw in (None, {}):
            return {}
        if not isinstance(raw, dict):
            self.err("parameters", "must be a mapping of NAME: value")
            return {}
        out = {}
        for key, value in raw.items():
            if not VARIABLE_NAME.match(str(key)):
                self.err(f"parameters.{key}", "not a valid variable name")
            elif key in BUILTIN_VARIABLES:
                self.err(f"parameters.{key}", "is a built-in variable and cannot be redefined")
            elif isinstance(value, (dict, list)) or value is None:
                self.err(f"parameters.{key}", "must be a single value")
            else:
                out[str(key)] = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        return out

    def timeout(self, raw):
        if raw in (None, ""):
            return None
        if problem := minutes_problem(raw):
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
            self.err("cluster", "a registered cluster's name (lowercase letters, digits, '-') or 'local'")
        elif cluster:
            out["cluster"] = cluster
        limit = raw.get("scheduling_timeout_minutes")
        if limit not in (None, "", DEFAULT_SCHEDULING_TIMEOUT_MINUTES):
            if problem := minutes_problem(limit):
                self.err("scheduling_timeout_minutes", problem)
            else:
                out["scheduling_timeout_minutes"] = limit
        return out

    def stage(self, raw, path, seen):
        if not isinstance(raw, dict):
            self.err(path, "must be a mapping")
            return {"name": "", "mode": "serial", "tasks": []}
        self.unknown_keys(raw, ("name", "mode", "tasks"), path)
        name = self.text(raw, "name", f"{path}.name")
        if name in seen:
            self.err(f"{path}.name", f"duplicate stage name '{name}'")
        seen.add(name)
        mode = raw.get("mode") or "serial"
        if mode not in STAGE_MODES:
            self.err(f"{path}.mode", "must be serial or parallel")
        tasks = raw.get("tasks") or []
        if not isinstance(tasks, list):
            self.err(f"{path}.tasks", "must be a list")
            tasks = []
        names = set()
        return {"name": name, "mode": mode, "tasks": [self.task(t, f"{path}.tasks[{j}]", names) for j, t in enumerate(tasks)]}

    def task(self, raw, path, seen):
        if not isinstance(raw, dict):
            self.err(path, "must be a mapping")
            return {}
        name = self.text(raw, "name", f"{path}.name")
        if name in seen:
            self.err(f"{path}.name", f"duplicate task name '{name}' in this stage")
        seen.add(name)
        kind = raw.get("type")
        if kind not in TASK_TYPES:
            self.err(f"{path}.type", "required" if not kind else f"unknown task type '{kind}' (one of: {', '.join(TASK_TYPES)})")
            return {"name": name, "type": kind or ""}
        required, optional = TASK_TYPES[kind]
        self.unknown_keys(raw, ("name", "type", *required, *optional, "env", "resources"), path)
        task = {"name": name, "type": kind}
        for field in required:
            task[field] = self.text(raw, field, f"{path}.{field}")
        for field, default in optional.items():
            if isinstance(default, dict):
                task[field] = self.string_map(raw.get(field), f"{path}.{field}")
            else:
                task[field] = self.text(raw, field, f"{path}.{field}", required=False, default=default)
        task["env"] = self.env(raw.get("env"), f"{path}.env")
        if raw.get("resources"):
            task["resources"] = self.resources(raw["resources"], f"{path}.resources")
        return task

    def string_map(self, raw, path):
        if raw in (None, {}):
            return {}
        if not isinstance(raw, dict):
            self.err(path, "must be a mapping of key: value")
            return {}
        return {str(k): ("" if v is None else str(v)) for k, v in raw.items()}

    def env(self, raw, path):
        if raw in (None, [], {}):
            return []
        if isinstance(raw, dict):      # shorthand: {NAME: value}
            raw = [{"name": k, "value": v} for k, v in raw.items()]
        if not isinstance(raw, list):
            self.err(path, "must be a list of {name, value, secret}")
            return []
        out, seen = [], set()
        for i, item in enumerate(raw):
            p = f"{path}[{i}]"
            if not isinstance(item, dict):
                self.err(p, "must be a mapping with name and value")
                continue
            self.unknown_keys(item, ("name", "value", "secret", "encrypted"), p)
            name = self.text(item, "name", f"{p}.name")
            if name and not VARIABLE_NAME.match(name):
                self.err(f"{p}.name", "not a valid variable name")
            if name in seen:
                self.err(f"{p}.name", f"duplicate variable '{name}'")
            seen.add(name)
            entry = {"name": name, "value": "" if item.get("value") is None else str(item.get("value")),
                     "secret": bool(item.get("secret"))}
            if item.get("encrypted"):
                if not entry["secret"]:
                    self.err(f"{p}.encrypted", "only secret variables carry an encrypted value")
                entry = {"name": name, "secret": True, "encrypted": str(item["encrypted"])}
            elif entry["secret"] and entry["value"] and (problem := secret_problem(entry["value"])):
                # An empty value keeps the stored one (models.pipelines.seal_secrets); a sealed one
                # was checked when it was typed. A value this short could not be masked in logs.
                self.err(f"{p}.value", problem)
            out.append(entry)
        return out

    def resources(self, raw, path):
        if not isinstance(raw, dict):
            self.err(path, "must be a mapping with requests and/or limits")
            return {}
        self.unknown_keys(raw, ("requests", "limits"), path)
        return {k: self.string_map(raw[k], f"{path}.{k}") for k in ("requests", "limits") if raw.get(k)}

    def check_references(self, spec):
        """Undefined ${X} in substituted fields is an error when it can be known at save time:
        before the first script task nothing can have set a dynamic parameter."""
        known = set(BUILTIN_VARIABLES) | set(spec["parameters"])
        dynamic_possible = False
        for i, stage in enumerate(spec["stages"]):
            earlier_in_stage = False
            for j, task in enumerate(stage["tasks"]):
                local = known | {e["name"] for e in task.get("env", [])}
                if not dynamic_possible and not earlier_in_stage:
                    for field, value in _substituted_fields(task):
                        for var in references(value):
                            if var not in local:
                                self.err(f"stages[{i}].tasks[{j}].{field}", f"undefined variable ${{{var}}}")
                if stage["mode"] == "serial" and task.get("type") == "script":
                    earlier_in_stage = True
            if any(t.get("type") == "script" for t in stage["tasks"]):
                dynamic_possible = True


def _substituted_fields(task):
    declared = task_types.get(task.get("type"))
    for field, value in task.items():
        own = declared.field_named(field) if declared else None
        if (own is not None and not own.substituted) or field in ("name", "type"):
            continue
        if isinstance(value, str):
            yield field, value
        elif field == "env":
            for k, e in enumerate(value):
                yield f"env[{k}].value", e.get("value", "")
        elif field == "parameters":
            for k, v in value.items():
                yield f"parameters.{k}", v


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
        return safe_yaml.load(text, what="a pipeline definition")
    except yaml.YAMLError as exc:
        raise SpecError([("", safe_yaml.describe(exc))]) from None


def load_yaml(text) -> dict:
    return validate(parse_yaml(text))
