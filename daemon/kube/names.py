"""Names and labels of the Kubernetes objects a task run owns.

Names are deterministic in (run, task run, attempt), so a restarted daemon — or a
retried create — finds the same pod instead of making a second one. Labels carry
the same ids for listing (adoption, the sweeper); only objects labelled
`app.kubernetes.io/managed-by=millrace` and our `millrace.dev/owner` are ever ours to delete.
"""
from __future__ import annotations

import re

MANAGED_BY = "app.kubernetes.io/managed-by"
RUN, TASK_RUN, ATTEMPT = "millrace.dev/run", "millrace.dev/task-run", "millrace.dev/attempt"
PIPELINE, TASK = "millrace.dev/pipeline", "millrace.dev/task"
OWNER = "millrace.dev/owner"      # which Millrace installation (cluster registration) made it
SELECTOR = f"{MANAGED_BY}=millrace"


def selector(owner: str | None = None) -> str:
    return f"{SELECTOR},{OWNER}={owner}" if owner else SELECTOR


def slug(text: str, limit: int) -> str:
    """Lowercase DNS-label-safe form of a user name ("Build & Test" → "build-test")."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")


def object_name(run_id: int, task_run_id: int, attempt: int, task_name: str) -> str:
    # The ids come first so truncating the readable part never makes two names equal.
    ids = f"millrace-{run_id}-{task_run_id}-{attempt}"
    readable = slug(task_name, 63 - len(ids) - 1)
    return f"{ids}-{readable}" if readable else ids


def labels(run_id: int, task_run_id: int, attempt: int, pipeline: str, task: str,
           owner: str | None = None) -> dict[str, str]:
    found = {MANAGED_BY: "millrace", RUN: str(run_id), TASK_RUN: str(task_run_id), ATTEMPT: str(attempt)}
    if owner:
        found[OWNER] = owner
    # Label values must start and end alphanumeric and stay within 63 characters.
    for key, text in ((PIPELINE, pipeline), (TASK, task)):
        value = slug(text, 63)
        if value:
            found[key] = value
    return found
