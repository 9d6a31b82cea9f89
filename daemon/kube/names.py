"""Names and labels of the Kubernetes objects a task run owns, and the paths its pod mounts.

Names are deterministic in (run, task run, attempt), so a restarted daemon — or a
retried create — finds the same pod instead of making a second one. Labels carry
the same ids for listing (adoption, the sweeper); only objects labelled
`app.kubernetes.io/managed-by=millrace` and our `millrace.dev/owner` are ever ours to delete.
Inside a task run's pod the checkout is at WORKSPACE, the task's files (wrapper, script)
at TASK_DIR and a writable scratch directory at OUT_DIR: the executor's pod spec mounts
them there, and a task that plans for a pod (kaniko's argv) names paths under them.
"""
from __future__ import annotations

import hashlib
import re

MANAGED_BY = "app.kubernetes.io/managed-by"
RUN, TASK_RUN, ATTEMPT = "millrace.dev/run", "millrace.dev/task-run", "millrace.dev/attempt"
PIPELINE, TASK = "millrace.dev/pipeline", "millrace.dev/task"
OWNER = "millrace.dev/owner"      # which Millrace installation (cluster registration) made it
SELECTOR = f"{MANAGED_BY}=millrace"
WORKSPACE, TASK_DIR, OUT_DIR = "/workspace", "/millrace/task", "/millrace/out"


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
    for key, text in ((PIPELINE, pipeline), (TASK, task)):
        value = label_value(text)
        if value:
            found[key] = value
    return found


def label_value(text: str) -> str:
    """A label value for a user's name: its slug (label values must start and end alphanumeric,
    [a-z0-9A-Z-_.], at most 63). A name in another script (流水线-2048) keeps what slug can of it
    plus a hash of the whole name, so two names that differ only in their other letters
    (流水线-2048, 构建-2048) never share a label; the full name is in the pod's annotations."""
    value = slug(text, 63)
    if text.isascii():
        return value
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return f"{slug(text, 63 - len(digest) - 1)}-{digest}".lstrip("-")
