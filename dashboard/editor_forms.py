"""The editor's side panel: one form per selected node, built from the definition.

Code source (repository, branch), stage (name, serial/parallel), task (name, type, then
exactly the fields models.spec.TASK_TYPES gives that type, and environment rows with a
"secret" switch), or, with nothing selected, the pipeline's own settings (including where it
runs: a registered cluster, the default, or this machine). Every control's
id carries its field path, and an error for that path shows on it (invalid + message).
Secret values are never filled in: an empty one keeps the stored value on save.
"""
from __future__ import annotations

import json
import re

import dash_bootstrap_components as dbc
from dash import html

from dashboard import editor_ids as eid
from dashboard.editor_ops import MISSING, get_field, secret_key, set_field, set_task_type
from dashboard.graph import parse_node
from dashboard.settings_forms import DEFAULT_CLUSTER, cluster_options
from models.spec import DEFAULT_SCHEDULING_TIMEOUT_MINUTES, STAGE_MODES, TASK_TYPE_LABELS, TASK_TYPES

LABELS = {
    "image": "Image", "tag": "Image tag", "script": "Script", "dockerfile": "Dockerfile path",
    "context": "Build context", "registry": "Registry (blank: the configured one)",
    "workspace": "Registry workspace (namespace)", "file": "YAML file path (in the repository)",
    "cluster": "Cluster (blank: the default)", "namespace": "Namespace", "chart_dir": "Chart directory",
    "chart_name": "Chart name", "chart_version": "Chart version", "release": "Release name", "chart": "Chart name",
    "parameters": "Parameters (key=value, one a line)",
}
FIELD_ORDER = {   # PRODUCT.md §3 order; any field TASK_TYPES adds later still shows, at the end
    "script": ("image", "tag", "script"),
    "build_image": ("dockerfile", "image", "tag", "workspace", "context", "registry"),
    "deploy_yaml": ("file", "cluster", "namespace"),
    "build_chart": ("chart_dir", "chart_name", "chart_version"),
    "deploy_chart": ("release", "chart", "chart_version", "cluster", "namespace", "parameters"),
}
PLACEHOLDERS = {"script": "echo hello", "tag": "latest", "image": "debian", "repository": "https://… or file:///…",
                "chart_version": "1.0.${BUILD_ID}"}
MULTILINE = {"script", "parameters"}
MINUTES = ("timeout_minutes", "scheduling_timeout_minutes")     # whole numbers, blank: none / the default
_TASK_TYPE_PATH = re.compile(r"^stages\[(\d+)\]\.tasks\[(\d+)\]\.type$")


def _is_mapping(path: str) -> bool:
    return path == "parameters" or path.endswith(".parameters")


def to_widget(path: str, value):
    """A definition value as its control shows it (mappings as key=value lines)."""
    if _is_mapping(path):
        return "\n".join(f"{k}={v}" for k, v in (value or {}).items()) if isinstance(value, dict) else value
    if path in MINUTES:
        return value
    return "" if value is None else value


def from_widget(path: str, raw):
    """A control's value as the definition holds it; what cannot be converted is kept for
    validation to name."""
    if path.endswith(".secret"):
        return bool(raw)
    if path == "cluster" and raw == DEFAULT_CLUSTER:
        return ""
    if path in MINUTES:
        if raw in (None, ""):
            return None
        return int(raw) if isinstance(raw, (int, float)) and float(raw).is_integer() else raw
    if _is_mapping(path):
        lines = [line for line in str(raw or "").splitlines() if line.strip()]
        return {k.strip(): v.strip() for k, _, v in (line.partition("=") for line in lines)}
    return "" if raw is None else str(raw)


def apply_form(spec: dict, pairs) -> tuple[dict, list[str]]:
    """Write (path, control value) pairs into the definition; return it and the paths that changed.
    Paths that no longer exist (the form was built for an older definition) are skipped."""
    changed = []
    for path, raw in pairs:
        parent = path.rsplit(".", 1)[0] if "." in path else ""
        if parent and not isinstance(get_field(spec, parent), dict):
            continue
        new, old = from_widget(path, raw), get_field(spec, path, MISSING)
        if new == old or (old is MISSING and new in ("", None, {})):
            continue
        m = _TASK_TYPE_PATH.match(path)
        updated = set_task_type(spec, int(m.group(1)), int(m.group(2)), new) if m else set_field(spec, path, new)
        if updated != spec:
            spec = updated
            changed.append(path)
    return spec, changed


def error_for(errors, path: str) -> str | None:
    return next((m for p, m in errors or () if p == path), None)


def text_field(label, path, value, errors, *, required=False, multiline=False, placeholder=None, help_text=None,
               input_type="text"):
    message = error_for(errors, path)
    props = dict(id=eid.field(path), value=to_widget(path, value), invalid=bool(message),
                 placeholder=placeholder or "")
    control = (dbc.Textarea(rows=6 if path.endswith("script") else 3, className="font-monospace", **props)
               if multiline else dbc.Input(type=input_type, **props))
    return html.Div([dbc.Label([label, html.Span(" *", className="text-danger") if required else None],
                               html_for=eid.dom_id(eid.field(path))),
                     control, dbc.FormFeedback(message or "", id=eid.feedback(path), type="invalid"),
                     dbc.FormText(help_text) if help_text else None], className="mb-2")


def select_field(label, path, value, options, errors):
    message = error_for(errors, path)
    return html.Div([dbc.Label(label), dbc.Select(id=eid.field(path), value=value, invalid=bool(message),
                                                  options=[{"label": t, "value": v} for v, t in options]),
                     dbc.FormFeedback(message or "", id=eid.feedback(path), type="invalid")], className="mb-2")


def op_button(label, name, colour="secondary", **kwargs):
    return dbc.Button(label, id=eid.op(name), color=colour, outline=colour != "primary", size="sm",
                      className="me-1 mb-1", **kwargs)


def header(spec: dict, errors) -> html.Div:
    return text_field("Pipeline name", "name", spec.get("name"), errors, required=True,
                      placeholder="my-pipeline", help_text="Letters, digits, '.', '_' or '-'.")


def pipeline_form(spec, errors, placement=None):
    """`placement`: the registered clusters and the default (settings_forms.placement_choices())."""
    return [html.H5("Pipeline settings"),
            html.P("Click a card on the canvas to edit it; the + buttons add stages and tasks.", className="text-muted"),
            text_field("Description", "description", spec.get("description"), errors, multiline=True),
            text_field("Timeout (minutes, blank: none)", "timeout_minutes", spec.get("timeout_minutes"), errors,
                       input_type="number"),
            text_field("Static parameters (NAME=value, one a line)", "parameters", spec.get("parameters"), errors,
                       multiline=True, help_text="Tasks read them as ${NAME}; ${BUILD_ID} is always defined."),
            select_field("Runs on", "cluster", spec.get("cluster") or DEFAULT_CLUSTER,
                         cluster_options(placement, spec.get("cluster")), errors),
            text_field("Scheduling timeout (minutes a task may wait for cluster resources)",
                       "scheduling_timeout_minutes", spec.get("scheduling_timeout_minutes"), errors, input_type="number",
                       placeholder=str(DEFAULT_SCHEDULING_TIMEOUT_MINUTES),
                       help_text=f"Blank: {DEFAULT_SCHEDULING_TIMEOUT_MINUTES}. The wait does not count toward the "
                                 "timeout; only tasks on a cluster wait.")]


def source_form(spec, errors):
    source = spec.get("source")
    if not source:
        return [html.H5("Code source"),
                html.P("No code source: tasks start in an empty workspace.", className="text-muted"),
                op_button("+ Add code source", "add-source", "primary")]
    return [html.H5("Code source"),
            text_field("Repository URL", "source.repository", source.get("repository"), errors, required=True,
                       placeholder=PLACEHOLDERS["repository"], help_text="A git URL or a local path."),
            text_field("Branch", "source.branch", source.get("branch"), errors, placeholder="main"),
            op_button("Remove code source", "delete-source", "danger")]


STAGE_OPS = (("+ Stage after", "add-stage-after", "primary"), ("+ Task", "add-task", "primary"),
             ("Copy stage", "copy-stage", "secondary"), ("← Move left", "stage-left", "secondary"),
             ("Move right →", "stage-right", "secondary"), ("Delete stage", "delete-stage", "danger"))
TASK_OPS = (("Copy task", "copy-task", "secondary"), ("↑ Move up", "task-up", "secondary"),
            ("↓ Move down", "task-down", "secondary"), ("Delete task", "delete-task", "danger"))


def toolbars() -> list:
    """The stage and task buttons. They stay in the page (shown for the selected kind of node)
    rather than being rebuilt with each form, so a quick second click is never lost."""
    return [html.Div([op_button(*b) for b in STAGE_OPS], id=eid.STAGE_TOOLBAR, style={"display": "none"}),
            html.Div([op_button(*b) for b in TASK_OPS], id=eid.TASK_TOOLBAR, style={"display": "none"})]


def toolbar_state(spec: dict, selected: str | None) -> dict:
    """Which toolbar shows, and which moves are possible, for the selected node."""
    ref, hidden = parse_node(selected), {"display": "none"}
    out = {"stage": hidden, "task": hidden, "stage-left": True, "stage-right": True, "task-up": True, "task-down": True}
    stages = spec.get("stages") or []
    if ref[:1] == ("stage",) and ref[1] < len(stages):
        out.update(stage={}, **{"stage-left": ref[1] == 0, "stage-right": ref[1] == len(stages) - 1})
    elif ref[:1] == ("task",) and ref[1] < len(stages) and ref[2] < len(stages[ref[1]].get("tasks") or []):
        count = len(stages[ref[1]]["tasks"])
        out.update(task={}, **{"task-up": ref[2] == 0, "task-down": ref[2] == count - 1})
    return out


def stage_form(spec, i, errors):
    stage, p = spec["stages"][i], f"stages[{i}]"
    return [html.H5("Stage"),
            text_field("Stage name", f"{p}.name", stage.get("name"), errors, required=True),
            select_field("Tasks run", f"{p}.mode", stage.get("mode") or "serial",
                         [(m, {"serial": "serial — one after another", "parallel": "parallel — all at once"}[m])
                          for m in STAGE_MODES], errors)]


def env_rows(task, p, errors, stored, stage_name):
    rows = []
    for k, env in enumerate(task.get("env") or []):
        q = f"{p}.env[{k}]"
        secret = bool(env.get("secret"))
        kept = secret and secret_key(stage_name, task.get("name"), env.get("name")) in stored
        hint = "(stored)" if kept else ("secret value" if secret else "value")
        rows.append(dbc.Row([
            dbc.Col(text_field("Name", f"{q}.name", env.get("name"), errors, placeholder="NAME"), width=4),
            dbc.Col(text_field("Value", f"{q}.value", env.get("value"), errors, placeholder=hint,
                               input_type="password" if secret else "text"), width=4),
            dbc.Col([dbc.Label("Secret"), dbc.Switch(id=eid.toggle(f"{q}.secret"), value=secret)], width=2),
            dbc.Col(op_button("✕", f"delete-env:{k}", "danger", title="remove this variable"), width=2,
                    className="pt-4"),
        ], className="g-1"))
    return rows


def task_form(spec, i, j, errors, stored):
    stage, p = spec["stages"][i], f"stages[{i}].tasks[{j}]"
    task = stage["tasks"][j]
    kind = task.get("type")
    out = [html.H5(f"Task in stage '{stage.get('name')}'"),
           text_field("Task name", f"{p}.name", task.get("name"), errors, required=True),
           select_field("Type", f"{p}.type", kind if kind in TASK_TYPES else "",
                        ([] if kind in TASK_TYPES else [("", "choose a type")]) + list(TASK_TYPE_LABELS.items()), errors)]
    if kind not in TASK_TYPES:
        return out
    required, optional = TASK_TYPES[kind]
    fields = list(FIELD_ORDER.get(kind, ())) + [f for f in (*required, *optional) if f not in FIELD_ORDER.get(kind, ())]
    for field in fields:
        out.append(text_field(LABELS.get(field, field), f"{p}.{field}", task.get(field), errors,
                              required=field in required, multiline=field in MULTILINE,
                              placeholder=optional.get(field) if isinstance(optional.get(field), str) and optional.get(field)
                              else PLACEHOLDERS.get(field)))
    out += [html.H6("Environment variables", className="mt-3"),
            *env_rows(task, p, errors, stored, stage.get("name")),
            op_button("+ Variable", "add-env"),
            dbc.FormText("Secret values are stored encrypted, never shown again, and masked as *** in logs; "
                         "a stored one stays as it is while its value is left empty.", className="d-block")]
    return out


def panel(spec: dict, selected: str | None, errors, stored=(), rev: int = 0, placement=None) -> list:
    """The form for the selected node, its controls stamped with the panel revision `rev`."""
    ref = parse_node(selected)
    form = None
    try:
        if ref[:1] == ("source",):
            form = source_form(spec, errors)
        elif ref[:1] == ("stage",):
            form = stage_form(spec, ref[1], errors)
        elif ref[:1] == ("task",):
            form = task_form(spec, ref[1], ref[2], errors, set(stored))
    except (IndexError, KeyError, TypeError, AttributeError):
        pass     # the node is gone (undo, YAML edit): fall back to the pipeline's settings
    return _stamp(form or pipeline_form(spec, errors, placement), rev)


def _stamp(node, rev: int):
    if isinstance(node, (list, tuple)):
        for child in node:
            _stamp(child, rev)
        return node
    cid = getattr(node, "id", None)
    if isinstance(cid, dict) and cid.get("type") in (eid.FIELD, eid.TOGGLE):
        node.id = {**cid, "rev": rev}
    label_for = getattr(node, "html_for", None)
    if isinstance(label_for, str) and label_for.startswith("{"):
        node.html_for = eid.dom_id({**json.loads(label_for), "rev": rev})
    _stamp(getattr(node, "children", None) or [], rev)
    return node


def current_pairs(field_ids, values, rev: int) -> list:
    """(path, value) of the controls built for panel revision `rev` (or always current)."""
    return [(i["path"], v) for i, v in zip(field_ids, values) if i.get("rev") in (-1, rev)]


def describe_path(spec: dict, path: str) -> str:
    """`stages[1].tasks[0].image` → "stage 'Build' › task 'compile' › Image"."""
    if path in ("name", "description", "parameters", "cluster"):
        return f"pipeline {path}"
    words, prefix = [], ""
    for part in path.split("."):
        prefix = f"{prefix}.{part}" if prefix else part
        name = part.split("[")[0]
        if name in ("stages", "tasks") and "[" in part:
            found = get_field(spec, f"{prefix}.name")
            words.append(f"{name[:-1]} '{found}'" if found else f"{name[:-1]} {int(part[part.index('[') + 1:-1]) + 1}")
        elif name == "env" and "[" in part:
            found = get_field(spec, f"{prefix}.name")
            words.append(f"variable '{found}'" if found else "variable")
        else:
            words.append(LABELS.get(part, part.replace("_", " ")))
    return " › ".join(words) or "definition"
