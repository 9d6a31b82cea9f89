"""Pure converters between a pipeline definition and dash-cytoscape elements.

Layout (preset positions, no physics): the code source card on the left, stage cards
left to right, each stage's task cards under it — stacked with order edges for a serial
stage, side by side for a parallel one. Node ids name what they show (`source`,
`stage-1`, `task-1-0`); the editor's ghost nodes (`add-stage-2`, `add-task-1`) are the
canvas's "+" buttons. Validation errors (path, message) mark the node they concern.
Elements are sent to the browser, so sealed secret values are stripped first
(editor.yaml_text.strip_secrets: a stored secret becomes an empty value, which saving
reads as "keep the stored one").
"""
from __future__ import annotations

import copy
import re

from dashboard.editor.words import fit, mode_label, type_label, width
from dashboard.editor.yaml_text import strip_secrets
from models.i18n import _

COLUMN = 190          # width of one task column
GAP = 70              # between columns, where the "+ stage" button sits
ROW = 90              # vertical distance between stage and task rows
NODE_W, NODE_H = 165, 54
SOURCE_CHARS = 18           # characters of a line that fit the code source card (14 px text, a barrel shape)
# Half-width cells (a CJK character is two) of a name that fit its card: cytoscape wraps a
# label inside text-max-width but never shortens it, so a longer name is cut with "…".
STAGE_CELLS, TASK_CELLS = 20, 38      # a stage's name: one line; a task's: two (its type is the last)

_NODE_ID = re.compile(r"^(source|stage-(\d+)|task-(\d+)-(\d+)|add-stage-(\d+)|add-task-(\d+))$")
_ERROR_PATH = re.compile(r"^(?:(source)|stages\[(\d+)\](?:\.tasks\[(\d+)\])?)")


def stage_id(i: int) -> str:
    return f"stage-{i}"


def task_id(i: int, j: int) -> str:
    return f"task-{i}-{j}"


def parse_node(node_id) -> tuple:
    """`task-1-0` → ("task", 1, 0); `stage-2` → ("stage", 2); unknown → ()."""
    m = _NODE_ID.match(node_id or "")
    if not m:
        return ()
    if m.group(1) == "source":
        return ("source",)
    if m.group(2) is not None:
        return ("stage", int(m.group(2)))
    if m.group(3) is not None:
        return ("task", int(m.group(3)), int(m.group(4)))
    if m.group(5) is not None:
        return ("add-stage", int(m.group(5)))
    return ("add-task", int(m.group(6)))


def node_path(node_id) -> str | None:
    """The field-path prefix of a node (`stages[1].tasks[0]`), as models.spec errors use it."""
    ref = parse_node(node_id)
    if ref[:1] == ("source",):
        return "source"
    if ref[:1] == ("stage",):
        return f"stages[{ref[1]}]"
    if ref[:1] == ("task",):
        return f"stages[{ref[1]}].tasks[{ref[2]}]"
    return None


def error_node(path: str) -> str | None:
    """The node an error path belongs to; None for pipeline-level fields (name, timeout…)."""
    m = _ERROR_PATH.match(path or "")
    if not m:
        return None
    if m.group(1):
        return "source"
    return task_id(int(m.group(2)), int(m.group(3))) if m.group(3) is not None else stage_id(int(m.group(2)))


def errors_by_node(errors) -> dict:
    out = {}
    for path, message in errors or ():
        node = error_node(path)
        if node:
            out.setdefault(node, []).append(f"{path.split('.')[-1] if '.' in path else path}: {message}")
    return out


def _short(text: str, limit: int = 24) -> str:
    text = str(text or "")
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def _node(node_id, label, kind, x, y, data=None, classes=""):
    if width(label) != len(label):          # wide (CJK) characters: see the ".cjk" style
        classes = f"{classes} cjk".strip()
    return {"data": {"id": node_id, "label": label, "kind": kind, **(data or {})},
            "position": {"x": x, "y": y}, "classes": " ".join(c for c in (kind, classes) if c)}


def _edge(a, b, classes=""):
    return {"data": {"id": f"e-{a}-{b}", "source": a, "target": b}, "classes": classes}


def spec_to_elements(spec: dict, errors=(), selected: str | None = None, editable: bool = True,
                     annotations: dict | None = None) -> list[dict]:
    """Cytoscape elements for `spec`.

    `errors` are models.spec (path, message) pairs; `annotations` maps a node id to
    {"status": ..., "note": ...} for run views (class `status-<status>`, note as a last line).
    Sealed secret values are left out (a stored secret's value is empty).
    """
    marks, annotations = errors_by_node(errors), annotations or {}
    spec = strip_secrets(spec)[0]      # elements go to the browser: never a sealed value
    elements = []

    def decorate(el):
        nid, extra = el["data"]["id"], []
        if nid in marks:
            extra.append("invalid")
            el["data"]["error"] = "; ".join(marks[nid])
            el["data"]["label"] = "⚠ " + el["data"]["label"]
        if nid == selected:
            extra.append("chosen")
        note = annotations.get(nid) or {}
        if note.get("status"):
            extra.append(f"status-{note['status']}")
        if note.get("note"):
            el["data"]["label"] += f"\n{note['note']}"
        if extra:
            el["classes"] = " ".join([el["classes"], *extra])
        return el

    source = spec.get("source")
    pipeline = {k: copy.deepcopy(v) for k, v in spec.items() if k not in ("source", "stages")}
    # Both lines cut to what the card holds at its font size (a URL has no space to wrap at).
    label = _("+ code source")
    if source:          # (marked strings outside the f-string: extraction does not look inside one)
        repository = _short(source.get("repository"), SOURCE_CHARS) or _("repository?")
        branch = _short(_("branch {name}", name=source.get("branch") or "main"), SOURCE_CHARS)
        label = f"{repository}\n{branch}"
    if source or editable:
        elements.append(decorate(_node("source", label, "source", 0, 0, {"spec": copy.deepcopy(source), "pipeline": pipeline},
                                       "" if source else "empty")))
    left = COLUMN / 2
    stages = spec.get("stages") or []
    for i, stage in enumerate(stages):
        if editable:
            elements.append(_node(f"add-stage-{i}", "+", "add-stage", left + GAP / 2, 0, {"title": _("add a stage here")}))
        tasks = stage.get("tasks") or []
        parallel = stage.get("mode") == "parallel"
        width = COLUMN * max(1, len(tasks) if parallel else 1)
        start, centre = left + GAP, left + GAP + width / 2
        sid = stage_id(i)
        stage_data = {k: copy.deepcopy(v) for k, v in stage.items() if k != "tasks"}
        name = fit(stage.get("name"), STAGE_CELLS) or _("(no name)")
        elements.append(decorate(_node(sid, f"{name}\n{mode_label(stage.get('mode') or 'serial')}", "stage",
                                       centre, 0, {"spec": stage_data, "index": i})))
        previous = stage_id(i - 1) if i else ("source" if (source or editable) else None)
        if previous:
            elements.append(_edge(previous, sid, "flow" + ("" if source or i else " dashed")))
        for j, task in enumerate(tasks):
            x = start + COLUMN * (j + 0.5) if parallel else centre
            y = ROW * (1 if parallel else j + 1)
            tid = task_id(i, j)
            kind = type_label(task.get("type")) or _("no type")
            name = fit(task.get("name"), TASK_CELLS) or _("(no name)")
            elements.append(decorate(_node(tid, f"{name}\n{kind}", "task", x, y,
                                           {"spec": copy.deepcopy(task), "stage": i, "index": j})))
            elements.append(_edge(sid if parallel or j == 0 else task_id(i, j - 1), tid, "order"))
        if editable:
            rows = (1 if tasks else 0) if parallel else len(tasks)
            elements.append(_node(f"add-task-{i}", _("+ task"), "add-task", centre, ROW * (rows + 1), {"stage": i}))
        left = start + width
    if editable:
        elements.append(_node(f"add-stage-{len(stages)}", "+", "add-stage", left + GAP / 2, 0, {"title": _("add a stage here")}))
    return elements


def elements_to_spec(elements: list[dict]) -> dict:
    """The definition editable elements were made from (the inverse of `spec_to_elements`)."""
    nodes = [e["data"] for e in elements if "target" not in e["data"]]
    head = next((n for n in nodes if n.get("kind") == "source"), {})
    spec = copy.deepcopy(head.get("pipeline") or {})
    stages = sorted((n for n in nodes if n.get("kind") == "stage"), key=lambda n: n["index"])
    spec["source"] = copy.deepcopy(head.get("spec"))
    spec["stages"] = [{**copy.deepcopy(s["spec"]), "tasks": []} for s in stages]
    for task in sorted((n for n in nodes if n.get("kind") == "task"), key=lambda n: (n["stage"], n["index"])):
        spec["stages"][task["stage"]]["tasks"].append(copy.deepcopy(task["spec"]))
    order = ("name", "description", "source", "parameters", "timeout_minutes", "stages")
    return {k: spec[k] for k in sorted(spec, key=lambda k: order.index(k) if k in order else len(order))}


STATUS_COLOURS = {"pending": "#adb5bd", "queued": "#6c757d", "running": "#0d6efd", "waiting": "#fd7e14",
                  "succeeded": "#198754", "failed": "#dc3545", "stopped": "#6f42c1", "timed_out": "#d63384",
                  "skipped": "#ced4da"}

STYLESHEET = [
    {"selector": "node", "style": {
        "label": "data(label)", "text-wrap": "wrap", "text-valign": "center", "text-halign": "center",
        "shape": "round-rectangle", "width": NODE_W, "height": NODE_H, "font-size": 14,
        "background-color": "#ffffff", "border-width": 2, "border-color": "#adb5bd", "color": "#212529"}},
    {"selector": ".source", "style": {"background-color": "#e7f1ff", "border-color": "#0d6efd", "shape": "barrel",
                                      "text-max-width": NODE_W - 14, "text-overflow-wrap": "anywhere"}},
    {"selector": ".source.empty", "style": {"border-style": "dashed", "color": "#0d6efd"}},
    {"selector": ".stage", "style": {"background-color": "#343a40", "color": "#ffffff", "border-color": "#343a40",
                                     "font-weight": "bold", "height": 46, "text-max-width": NODE_W - 10}},
    {"selector": ".task", "style": {"text-max-width": NODE_W - 10}},
    # Chinese has no spaces to wrap at: its lines may break between any two characters
    # (English keeps breaking at spaces).
    {"selector": ".cjk", "style": {"text-overflow-wrap": "anywhere"}},
    {"selector": ".add-stage", "style": {"shape": "ellipse", "width": 26, "height": 26, "font-size": 18,
                                         "background-color": "#0d6efd", "color": "#ffffff", "border-width": 0,
                                         "z-index": 10}},
    {"selector": ".add-task", "style": {"border-style": "dashed", "color": "#0d6efd", "border-color": "#0d6efd",
                                        "height": 34, "background-color": "#f8f9fa"}},
    {"selector": ".invalid", "style": {"border-color": "#dc3545", "border-width": 4, "background-color": "#f8d7da",
                                       "color": "#842029"}},
    {"selector": ".chosen", "style": {"border-color": "#ffc107", "border-width": 5}},
    *({"selector": f".status-{s}", "style": {"border-color": c, "border-width": 4}} for s, c in STATUS_COLOURS.items()),
    {"selector": "edge", "style": {"width": 2, "line-color": "#adb5bd", "target-arrow-color": "#adb5bd",
                                   "target-arrow-shape": "triangle", "curve-style": "taxi",
                                   "taxi-direction": "downward"}},
    {"selector": "edge.flow", "style": {"curve-style": "straight", "width": 3}},
    {"selector": "edge.dashed", "style": {"line-style": "dashed"}},
]
