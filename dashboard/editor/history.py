"""The canvas editor's undo history: present, past, future and the definition it opened with.

A JSON-able dict kept in a dcc.Store (editor.ids.STATE), so every function is pure and
returns a new history. Consecutive edits of one field make one undo step; reset goes back
to the opening definition and can itself be undone.
"""
from __future__ import annotations

HISTORY_LIMIT = 100


def history_new(spec: dict) -> dict:
    return {"present": spec, "past": [], "future": [], "initial": spec, "key": None}


def history_push(history: dict, spec: dict, key: str | None = None) -> dict:
    """Record a change. Consecutive edits with the same `key` (typing in one field) make one step."""
    if spec == history["present"]:
        return history
    if key is not None and key == history.get("key") and history["past"]:
        return {**history, "present": spec, "future": []}
    past = (history["past"] + [history["present"]])[-HISTORY_LIMIT:]
    return {**history, "present": spec, "past": past, "future": [], "key": key}


def undo(history: dict) -> dict:
    if not history["past"]:
        return history
    return {**history, "present": history["past"][-1], "past": history["past"][:-1],
            "future": [history["present"]] + history["future"], "key": None}


def redo(history: dict) -> dict:
    if not history["future"]:
        return history
    return {**history, "present": history["future"][0], "past": history["past"] + [history["present"]],
            "future": history["future"][1:], "key": None}


def reset(history: dict) -> dict:
    """Back to the definition the editor opened with; itself undoable."""
    return history_push(history, history["initial"])
