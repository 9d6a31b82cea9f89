"""The editor's commands: a button's operation name, or a tapped canvas "+" node, applied
to the selected node.

One pure function, `run_op`, turns the name into an operation from ops (source, stages)
or tasks (tasks, variables) and says which node to select afterwards; a move past either
end changes nothing. "deselect" (Esc, a tap on the empty canvas) selects nothing, which
shows the pipeline's settings. Undo, redo and reset are history's.
"""
from __future__ import annotations

from dashboard.editor.ops import add_source, add_stage_after, copy_stage, delete_source, delete_stage, insert_stage, move_stage
from dashboard.editor.tasks import add_env, add_task, copy_task, delete_env, delete_task, move_task
from dashboard.graph import parse_node, stage_id, task_id


def run_op(spec: dict, op: str, selected: str | None) -> tuple[dict, str | None]:
    """Apply the operation `op` (a button name or a tapped canvas "+" node) to the selected
    node; return the new definition and the node to select afterwards."""
    if op == "deselect":        # Esc, or a tap on the empty canvas: back to the pipeline's settings
        return spec, None
    tapped = parse_node(op)
    if tapped[:1] == ("add-stage",):
        return insert_stage(spec, tapped[1]), stage_id(tapped[1])
    if tapped[:1] == ("add-task",):
        i = tapped[1]
        return add_task(spec, i), task_id(i, len(spec["stages"][i].get("tasks") or []))
    ref = parse_node(selected)
    if op == "add-source":
        return add_source(spec), "source"
    if op == "delete-source":
        return delete_source(spec), "source"
    if ref[:1] == ("stage",):
        i, n = ref[1], len(spec["stages"])
        if op == "add-stage-after":
            return add_stage_after(spec, i), stage_id(i + 1)
        if op == "copy-stage":
            return copy_stage(spec, i), stage_id(i + 1)
        if op == "delete-stage":
            return delete_stage(spec, i), None
        if op in ("stage-left", "stage-right"):
            to = i + (-1 if op == "stage-left" else 1)
            return (move_stage(spec, i, to - i), stage_id(to)) if 0 <= to < n else (spec, selected)
        if op == "add-task":
            return add_task(spec, i), task_id(i, len(spec["stages"][i].get("tasks") or []))
    if ref[:1] == ("task",):
        i, j = ref[1], ref[2]
        count = len(spec["stages"][i]["tasks"])
        if op == "add-task":
            return add_task(spec, i), task_id(i, count)
        if op == "copy-task":
            return copy_task(spec, i, j), task_id(i, j + 1)
        if op == "delete-task":
            return delete_task(spec, i, j), stage_id(i)
        if op in ("task-up", "task-down"):
            to = j + (-1 if op == "task-up" else 1)
            return (move_task(spec, i, j, to - j), task_id(i, to)) if 0 <= to < count else (spec, selected)
        if op == "add-env":
            return add_env(spec, i, j), selected
        if op.startswith("delete-env:"):
            return delete_env(spec, i, j, int(op.split(":", 1)[1])), selected
    return spec, selected
