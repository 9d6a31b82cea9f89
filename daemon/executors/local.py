"""Durable local processes: a task outlives the daemon that started it.

Each task runs in its own session (its own process group) under a fixed `/bin/sh`
wrapper that sends output to `output.log` and writes the exit status to `exit_code`
when the script ends — so a daemon killed with SIGKILL can be restarted, find the
process by pid (checked against its start time), keep reading the log from its byte
offset, and learn the real exit status even if the task ended while it was away.
User text is never on a command line: the script is a file, values are environment.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from daemon.executors.base import Executor, Launch, Poll

# $1 workspace, $2 script file, $3 output file, $4 exit-code file, $5 "exec" (script has #!) or "sh".
# The wrapper outlives a TERM sent to the group (its trap is set after the script started,
# so the script keeps the default action or its own trap) and records how the script ended.
WRAPPER = r'''cd "$1" || { echo "millrace: cannot enter the workspace $1" >>"$3"; echo 126 >"$4"; exit 126; }
if [ "$5" = exec ]; then "$2" >>"$3" 2>&1 </dev/null & else /bin/sh -e "$2" >>"$3" 2>&1 </dev/null & fi
child=$!
trap : TERM
while :; do
  wait "$child"; code=$?
  kill -0 "$child" 2>/dev/null || break
done
echo "$code" >"$4.tmp" && mv "$4.tmp" "$4"
'''
READ_BYTES = 256 * 1024


def _start_time(pid: int) -> str | None:
    """Kernel start time of pid (None if gone or a zombie): guards against pid reuse."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return None if fields[0] in ("Z", "X") else fields[19]


class LocalExecutor(Executor):
    name = "local"

    def __init__(self):
        self._children: dict[int, subprocess.Popen] = {}
        self._pidfds: dict[int, int] = {}

    def start(self, launch: Launch) -> dict:
        task_dir = launch.task_dir
        handle_file = task_dir / "handle.json"
        if handle_file.exists():           # started before a daemon restart: adopt, never start twice
            return json.loads(handle_file.read_text())
        task_dir.mkdir(parents=True, exist_ok=True)
        launch.workspace.mkdir(parents=True, exist_ok=True)
        script = task_dir / "script"
        script.write_text(launch.script)
        script.chmod(0o700)
        output, exit_file = task_dir / "output.log", task_dir / "exit_code"
        output.touch()
        mode = "exec" if launch.script.startswith("#!") else "sh"
        proc = subprocess.Popen(["/bin/sh", "-c", WRAPPER, "millrace-task", str(launch.workspace), str(script),
                                 str(output), str(exit_file), mode],
                                env=launch.env, start_new_session=True, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)
        self._children[proc.pid] = proc
        handle = {"pid": proc.pid, "start_time": _start_time(proc.pid), "task_dir": str(task_dir),
                  "env_file": launch.env.get("MILLRACE_ENV", "")}
        tmp = task_dir / "handle.json.tmp"
        tmp.write_text(json.dumps(handle))
        tmp.replace(handle_file)
        return handle

    def _exit_code(self, handle) -> int | None:
        try:
            return int((Path(handle["task_dir"]) / "exit_code").read_text().strip())
        except (OSError, ValueError):
            return None

    def _alive(self, handle) -> bool:
        proc = self._children.get(handle["pid"])
        if proc is not None and proc.poll() is not None:    # reap our own child
            self._children.pop(handle["pid"], None)
            return False
        now = _start_time(handle["pid"])
        return now is not None and now == handle.get("start_time")

    def poll(self, handle: dict) -> Poll:
        code = self._exit_code(handle)
        if code is not None:
            self._alive(handle)
            return Poll("exited", exit_code=code)
        if self._alive(handle):
            return Poll("running")
        code = self._exit_code(handle)     # it may have finished between the two looks
        if code is not None:
            return Poll("exited", exit_code=code)
        return Poll("failed", reason="the task's process ended without reporting an exit status (killed)")

    def read_output(self, handle: dict, cursor) -> tuple[bytes, object]:
        """Bytes after `cursor` up to the last complete line (all of it once the task has ended)."""
        offset = cursor or 0
        final = self._exit_code(handle) is not None or not self._alive(handle)
        with open(Path(handle["task_dir"]) / "output.log", "rb") as fh:
            fh.seek(offset)
            data = fh.read(READ_BYTES)
        if not final:
            cut = data.rfind(b"\n") + 1
            if cut == 0 and len(data) == READ_BYTES:
                cut = len(data)        # one enormous line without a newline: ship it in pieces
            data = data[:cut]
        return data, offset + len(data)

    def read_outputs_file(self, handle: dict) -> str:
        try:
            return Path(handle["env_file"]).read_text(errors="replace") if handle.get("env_file") else ""
        except OSError:
            return ""

    def read_reason(self, handle: dict) -> str | None:
        try:
            text = (Path(handle["task_dir"]) / "reason").read_text(errors="replace").strip()
        except OSError:
            return None
        return text.splitlines()[0] if text else None

    def stop(self, handle: dict, force: bool = False) -> None:
        self._signal_group(handle, signal.SIGKILL if force else signal.SIGTERM)

    def _signal_group(self, handle, sig) -> None:
        # Safe even after the wrapper is gone: Linux never reuses a pid that is still
        # the id of a live process group, so this only reaches the task's own leftovers.
        if self._alive(handle) or _start_time(handle["pid"]) is None:
            try:
                os.killpg(handle["pid"], sig)
            except (ProcessLookupError, PermissionError):
                pass

    def wait_fds(self, handle: dict) -> list[int] | None:
        pid = handle["pid"]
        if pid not in self._pidfds:
            if not self._alive(handle):
                return None
            try:
                self._pidfds[pid] = os.pidfd_open(pid)
            except OSError:
                return None
        return [self._pidfds[pid]]

    def cleanup(self, handle: dict) -> None:
        fd = self._pidfds.pop(handle["pid"], None)
        if fd is not None:
            os.close(fd)
        self._signal_group(handle, signal.SIGKILL)   # leftovers: background children, TERM-ignoring scripts
