"""Checking a pipeline definition's tasks: fields by type, environment, resources, `${X}`.

`TaskChecks` is the task half of models.spec's validator (which supplies `err`, `text`
and `unknown_keys`); a task's fields are its type's, as models.task_types declares them.
"""
from __future__ import annotations

import re

from models import task_types
from models.i18n import N_
from models.secrets import secret_problem
from models.variables import BUILTIN_VARIABLES, references

TASK_TYPES = task_types.FIELDS     # live view: type → (required fields, optional fields with defaults)
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TaskChecks:
    def task(self, raw, path, seen):
        if not isinstance(raw, dict):
            self.err(path, N_("must be a mapping"))
            return {}
        name = self.text(raw, "name", f"{path}.name")
        if name in seen:
            self.err(f"{path}.name", N_("duplicate task name '{name}' in this stage", name=name))
        seen.add(name)
        kind = raw.get("type")
        if kind not in TASK_TYPES:
            self.err(
                f"{path}.type",
                N_("required") if not kind else N_("unknown task type '{kind}' (one of: {types})", kind=kind,
                                                   types=", ".join(TASK_TYPES)),
            )
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
            self.err(path, N_("must be a mapping of key: value"))
            return {}
        return {str(k): ("" if v is None else str(v)) for k, v in raw.items()}

    def env(self, raw, path):
        if raw in (None, [], {}):
            return []
        if isinstance(raw, dict):      # shorthand: {NAME: value}
            raw = [{"name": k, "value": v} for k, v in raw.items()]
        if not isinstance(raw, list):
            self.err(path, N_("must be a list of {name, value, secret}"))
            return []
        out, seen = [], set()
        for i, item in enumerate(raw):
            p = f"{path}[{i}]"
            if not isinstance(item, dict):
                self.err(p, N_("must be a mapping with name and value"))
                continue
            self.unknown_keys(item, ("name", "value", "secret", "encrypted"), p)
            name = self.text(item, "name", f"{p}.name")
            if name and not VARIABLE_NAME.match(name):
                self.err(f"{p}.name", N_("not a valid variable name"))
            if name in seen:
                self.err(f"{p}.name", N_("duplicate variable '{name}'", name=name))
            seen.add(name)
            entry = {"name": name, "value": "" if item.get("value") is None else str(item.get("value")),
                     "secret": bool(item.get("secret"))}
            if item.get("encrypted"):
                if not entry["secret"]:
                    self.err(f"{p}.encrypted", N_("only secret variables carry an encrypted value"))
                entry = {"name": name, "secret": True, "encrypted": str(item["encrypted"])}
            elif entry["secret"] and entry["value"] and (problem := secret_problem(entry["value"])):
                # An empty value keeps the stored one (models.pipelines.seal_secrets); a sealed one
                # was checked when it was typed. A value this short could not be masked in logs.
                self.err(f"{p}.value", problem)
            out.append(entry)
        return out

    def resources(self, raw, path):
        if not isinstance(raw, dict):
            self.err(path, N_("must be a mapping with requests and/or limits"))
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
                                self.err(f"stages[{i}].tasks[{j}].{field}", N_("undefined variable ${{{var}}}", var=var))
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
