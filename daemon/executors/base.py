"""The executor interface: how the daemon starts, watches and stops one task.

Two kinds of executor (local durable processes, Kubernetes pods) are found by name in
`daemon.executors.registry.Executors`: "local", and "kubernetes:<cluster>" for each
registered cluster (`executor_name`, `kind_of`). Everything an executor needs to find
its work again after a daemon restart lives in the JSON-able `handle` it returns from
`start()`; the daemon stores it on the task run row. Calls never block for long:
the daemon's tick calls `poll()` and `read_output()` on every running task.
An executor knows no task type: what differs between types comes in the `Launch`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Callable

LOCAL, KUBERNETES = "local", "kubernetes"       # the executor kinds; a task type plans for each it supports


def executor_name(kind: str, cluster: str = "") -> str:
    """"local", or "kubernetes:<cluster>": the name a task run row stores."""
    return f"{kind}:{cluster}" if cluster else kind


def kind_of(name: str) -> str:
    """The kind of the executor called `name` ("kubernetes:prod" → "kubernetes")."""
    return name.split(":", 1)[0]


def cluster_of(name: str) -> str:
    """The cluster of a Kubernetes executor's name ("kubernetes:prod" → "prod"; "" for "local")."""
    return name.split(":", 1)[1] if ":" in name else ""


# A line longer than this is handed to the shipper in pieces, each ending in CONTINUES.
MAX_LINE_BYTES = 64 * 1024
CONTINUES = b" [millrace: line continues]\n"
# An output line that begins with these bytes was written to stderr: the local executor's
# tagger writes them, daemon/log_blocks.clean stores them as STDERR_MARK. Never in UTF-8 text
# (0xFF, 0xFE are not UTF-8), and three bytes, so even binary output does not begin a line
# with them by chance (one line in 16 million; the text of such a line is U+FFFD anyway).
STDERR_TAG = b"\xff\x1e\xfe"


@dataclass
class Launch:
    """Everything needed to start one task. `env` may hold secret values: never store it."""
    task_run_id: int
    run_id: int
    run_number: int
    pipeline_name: str
    task_name: str
    task_type: str
    script: str                     # script text, written to a file, never put on a command line
    env: dict[str, str]             # full environment for the task (secrets included)
    secret_values: list[str]        # values to mask in output
    workspace: Path                 # the run's checkout / working directory
    task_dir: Path                  # private directory for this task run (script, output, exit code)
    image: str | None = None        # "name:tag" for container executors
    resources: dict = field(default_factory=dict)   # {"requests": {...}, "limits": {...}}
    attempt: int = 1
    source: dict | None = None      # {"repository", "branch", "commit"} for executors that check out themselves
    task_env: dict[str, str] = field(
        default_factory=dict
    )  # the task's own variables (env minus the daemon's environment)
    timeout_seconds: int | None = None    # the pipeline's execution limit (for backstops such as activeDeadlineSeconds)
    scheduling_timeout_seconds: int | None = None   # how long a pod may wait for cluster resources before failing
    # From the task's plan, for executors that run pods: a change to the Pod and Secret before
    # they are made (kaniko's argv and config file), and the name of the explainer that says
    # from the pod's log why it failed (the executor is given explainers by name).
    shape_pod: Callable[[dict, dict, dict], None] | None = None
    explain: str | None = None


class PollState(str, Enum):
    RUNNING = "running"
    WAITING = "waiting"     # not started yet for a reason outside the task (e.g. an unschedulable pod)
    EXITED = "exited"       # ended on its own: exit_code set
    FAILED = "failed"       # could not run, or was lost: reason set

    def __str__(self):
        return self.value


@dataclass
class Poll:
    """What a task is doing now; `reason` is a one-line human message."""
    state: PollState
    exit_code: int | None = None
    reason: str | None = None


class Executor:
    name = "base"

    def start(self, launch: Launch) -> dict:
        """Start the task; return a JSON-able handle. Must be idempotent per (task_run_id, attempt)."""
        raise NotImplementedError

    def poll(self, handle: dict) -> Poll:
        raise NotImplementedError

    def read_output(self, handle: dict, cursor, safe_cut=None) -> tuple[bytes, object]:
        """Return output bytes produced after `cursor` and the new cursor (JSON-able).
        `cursor` is None at first. Reading from the same cursor twice returns the same bytes.
        The bytes are whole lines ("\\n"-terminated) — only once the task has ended may the
        last one lack its newline — or one piece of a line over MAX_LINE_BYTES ending in
        CONTINUES, cut where `safe_cut(raw, cut, final)` says (0: wait for more of the line).
        b"" with the same cursor: nothing new."""
        raise NotImplementedError

    def read_outputs_file(self, handle: dict) -> str:
        """Contents the task appended to $MILLRACE_ENV (dynamic parameters), '' if none."""
        raise NotImplementedError

    def stop(self, handle: dict, force: bool = False) -> None:
        """Ask the task to end (TERM); with force, kill it. Never raises for an already-gone task."""
        raise NotImplementedError

    def cleanup(self, handle: dict) -> None:
        """Release what the task held (pods, secrets). Called once the task is final."""
        raise NotImplementedError

    def discard_output(self, handle: dict) -> None:
        """All output is stored: drop any raw copy the executor keeps (called before finishing)."""

    def ended_before_stop(self, handle: dict) -> bool:
        """True when the task had already ended on its own when its stop was sent (so its
        exit status, not the stop, decides). Executors that cannot tell say False."""
        return False

    def find_started(self, task_dir: Path) -> dict | None:
        """A handle for a task this executor started without the daemon recording it (the
        daemon died in between), else None. Start-idempotent executors need not look."""
        return None

    def wait_fds(self, handle: dict) -> list[int] | None:
        """File descriptors that become readable when the task ends (lets the loop sleep);
        None when the task has already ended, so the loop should tick again at once."""
        return []

    def read_reason(self, handle: dict) -> str | None:
        """A one-line failure reason the task itself left (e.g. the checkout's missing branch)."""
        return None
