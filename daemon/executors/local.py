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
import sys
from pathlib import Path

from daemon import faults, reasons
from daemon.executors.base import CONTINUES, MAX_LINE_BYTES, STDERR_TAG, Executor, Launch, Poll, PollState
from models.i18n import N_

# $1 workspace, $2 script file, $3 output file, $4 exit-code file, $5 "exec" (script has #!) or "sh".
# The wrapper outlives a TERM sent to the group (its trap is set after the script started,
# so the script keeps the default action or its own trap) and records how the script ended.
# The output file is made private first (it holds the task's output unmasked until shipped).
# A background job of sh starts with SIGINT and SIGQUIT ignored: env gives the script the
# default actions back. The script's pid goes to "$4.pid", so a stop can tell whether the
# script had already ended. Commands are called by path: the task's PATH is the task's.
# On a full disk the exit-code file cannot be created: the code then goes into "$4.reserve",
# a file made before the start whose blocks already exist, marked "disk-full".
# $6 the Python interpreter, $7 the stderr tagger (stderr_tagger.py), $8 its FIFO: the
# script's stdout goes to the output file directly, its stderr through the FIFO to the
# tagger, which appends it to the same file as tagged whole lines (TERM ignored, USR1 blocked
# until it can take it). Opening a FIFO waits for the other end, so the script starts only
# once the tagger reads. After the script, USR1 tells the tagger to write what is left and
# end; the exit code is written after that, so "the wrapper is gone" still means "all output
# is in the file".
WRAPPER = r"""(umask 077; : >>"$3")
cd "$1" || { echo "millrace: cannot enter the workspace $1" >>"$3"; echo 126 >"$4"; exit 126; }
defaults="/usr/bin/env --default-signal=INT,QUIT"
/bin/rm -f "$8"; /usr/bin/mkfifo -m 600 "$8" || { echo "millrace: cannot make the stderr pipe $8" >>"$3"; echo 126 >"$4"; exit 126; }
(trap '' USR1; exec /usr/bin/env --ignore-signal=TERM --block-signal=USR1 "$6" -I -S "$7" "$8.ready" <"$8" >>"$3" 2>/dev/null) &
tagger=$!
if [ "$5" = exec ]; then $defaults "$2" >>"$3" 2>"$8" </dev/null & else $defaults /bin/sh -e "$2" >>"$3" 2>"$8" </dev/null & fi
child=$!
echo "$child" >"$4.pid" 2>/dev/null
trap : TERM
while :; do
  wait "$child"; code=$?
  kill -0 "$child" 2>/dev/null || break
done
# USR1 only once the tagger has its handler ($8.ready): sent earlier (a script that ends at once)
# it met the shell still opening the FIFO, whose default action killed the tagger and lost the
# stderr in the pipe. Ignored until then, never fatal; bounded, should the tagger never start.
n=0; while [ ! -e "$8.ready" ] && [ "$n" -lt 600 ]; do /bin/sleep 0.05; n=$((n+1)); done
kill -USR1 "$tagger" 2>/dev/null
while :; do
  wait "$tagger"
  kill -0 "$tagger" 2>/dev/null || break
done
/bin/rm -f "$8" "$8.ready"
{ echo "$code" >"$4.tmp" && /bin/mv "$4.tmp" "$4"; } 2>/dev/null || printf '%s disk-full\n' "$code" 1<>"$4.reserve"
"""
TAGGER = Path(__file__).with_name("stderr_tagger.py")
READ_BYTES = 256 * 1024
RESERVE = b" " * 63 + b"\n"


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
        """Start the task once. An `intent` file exists before the process does; if
        a daemon died after writing it, the restarted one adopts what was started (found by
        find_started) and only spawns when nothing of the script ever ran."""
        task_dir = launch.task_dir
        task_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(task_dir, 0o700)          # its files hold output and values the task wrote
        adopted = self.find_started(task_dir)
        if adopted is not None:
            return adopted
        launch.workspace.mkdir(parents=True, exist_ok=True)
        script = task_dir / "script"
        script.write_text(launch.script)
        script.chmod(0o700)
        exit_file = task_dir / "exit_code"
        (task_dir / "exit_code.reserve").write_bytes(RESERVE)
        # No fsync: the faults this guards against kill the daemon, not the machine, and the
        # page cache outlives a killed process (after a power cut the task died with it).
        (task_dir / "intent").write_bytes(b"start\n")
        mode = "exec" if launch.script.startswith("#!") else "sh"
        # output.log is created by the wrapper's first line: once it exists, the script may have run
        proc = subprocess.Popen(["/bin/sh", "-c", WRAPPER, "millrace-task", str(launch.workspace), str(script),
                                 str(task_dir / "output.log"), str(exit_file), mode,
                                 sys.executable, str(TAGGER), str(task_dir / "stderr.fifo")],
                                env=launch.env, start_new_session=True, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)
        self._children[proc.pid] = proc
        faults.point("local.after_spawn")
        return self._record(task_dir, proc.pid, _start_time(proc.pid), launch.env.get("MILLRACE_ENV", ""))

    @staticmethod
    def _record(task_dir: Path, pid, start_time, env_file: str) -> dict:
        handle = {"pid": pid, "start_time": start_time, "task_dir": str(task_dir), "env_file": env_file}
        tmp = task_dir / "handle.json.tmp"
        tmp.write_text(json.dumps(handle))
        tmp.replace(task_dir / "handle.json")
        return handle

    def find_started(self, task_dir: Path) -> dict | None:
        """The handle of this task directory's process if one was ever started, else None."""
        task_dir = Path(task_dir)
        handle_file = task_dir / "handle.json"
        if handle_file.exists():           # started and recorded before a daemon restart
            return json.loads(handle_file.read_text())
        if not (task_dir / "intent").exists():
            return None
        env_file = str(task_dir / "millrace.env")
        pid = _find_wrapper(task_dir / "script")
        if pid is not None:                # spawned, then the daemon died before recording it
            return self._record(task_dir, pid, _start_time(pid), env_file)
        if (task_dir / "output.log").exists() or self._exit_code({"task_dir": str(task_dir)}) is not None:
            return self._record(task_dir, None, None, env_file)    # ran and is gone: poll tells how it ended
        return None                        # the daemon died before the spawn: nothing ran

    def _exit_code(self, handle) -> int | None:
        code, _ = self._exit_status(handle)
        return code

    @staticmethod
    def _exit_status(handle) -> tuple[int | None, bool]:
        """(exit code or None, whether it was written on a full disk)."""
        task_dir = Path(handle["task_dir"])
        try:
            return int((task_dir / "exit_code").read_text().strip()), False
        except (OSError, ValueError):
            pass
        try:
            words = (task_dir / "exit_code.reserve").read_text().split()
            return (int(words[0]), True) if words else (None, False)
        except (OSError, ValueError):
            return None, False

    def _alive(self, handle) -> bool:
        if handle["pid"] is None:
            return False
        proc = self._children.get(handle["pid"])
        if proc is not None:       # our own child: waitpid is enough (an unreaped pid is never reused)
            if proc.poll() is None:
                return True
            self._children.pop(handle["pid"], None)
            return False
        now = _start_time(handle["pid"])
        return now is not None and now == handle.get("start_time")

    def poll(self, handle: dict) -> Poll:
        # Alive first: for a running task that is one waitpid (or one /proc read), no file opens.
        # The wrapper writes the exit code just before it exits, so alive means "not ended yet".
        if self._alive(handle):
            return Poll(PollState.RUNNING)
        code, disk_full = self._exit_status(handle)
        if code is not None:
            if disk_full:
                return Poll(
                    PollState.FAILED,
                    exit_code=code,
                    reason=reasons.text(N_("disk full: the task ended with exit code {code} while no space was "
                                           "left on its disk; its log may be incomplete", code=code)),
                )
            return Poll(PollState.EXITED, exit_code=code)
        return Poll(PollState.FAILED,
                    reason=reasons.text(N_("the task's process ended without reporting an exit status (killed)")))

    def read_output(self, handle: dict, cursor, safe_cut=None) -> tuple[bytes, object]:
        """Whole lines after `cursor` (byte offset in output.log); the partial last line stays
        behind the cursor until its newline comes, or the task ends. A line over MAX_LINE_BYTES
        comes in pieces, each ending in CONTINUES; the cursor then points inside the line, as
        [offset, "err"] in a stderr line (`_inside`), so each further piece is tagged too."""
        offset, inside = (cursor[0], cursor[1]) if isinstance(cursor, list) else (cursor or 0, None)
        final = not self._alive(handle)    # looked at first: once ended, the file holds everything
        path = Path(handle["task_dir"]) / "output.log"
        try:
            if os.stat(path).st_size <= offset:
                return b"", cursor if inside else offset   # nothing new: one stat, no open (most polls)
            with open(path, "rb") as fh:
                fh.seek(offset)
                data = fh.read(READ_BYTES)
        except FileNotFoundError:
            if not Path(handle["task_dir"]).is_dir():
                raise                      # the task's directory was deleted: the daemon fails the task
            return b"", cursor if inside else offset       # the wrapper has not opened its output yet
        cut = data.rfind(b"\n") + 1
        if cut:
            return _inside(data[:cut], inside), offset + cut
        if len(data) >= MAX_LINE_BYTES:    # one line longer than the limit: a piece of it
            cut = safe_cut(data, MAX_LINE_BYTES, final) if safe_cut else MAX_LINE_BYTES
            if cut == 0:
                return b"", cursor if inside else offset   # a secret may be still being written across the cut
            piece = _inside(data[:cut], inside) + CONTINUES
            return piece, [offset + cut, "err"] if piece.startswith(STDERR_TAG) else offset + cut
        if final:                          # the task's last line, without its newline
            return _inside(data, inside), offset + len(data)
        return b"", cursor if inside else offset           # a line still being written

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
        if not force:
            self._note_first_stop(Path(handle["task_dir"]))
        self._signal_group(handle, signal.SIGKILL if force else signal.SIGTERM)

    def _note_first_stop(self, task_dir: Path) -> None:
        """Record, before the first TERM, whether the script had already ended on its own
        (its pid, written by the wrapper, is gone or a zombie, or the exit code is there)."""
        try:
            fd = os.open(task_dir / "stop_sent", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError:
            return                         # not the first stop
        try:
            script = int((task_dir / "exit_code.pid").read_text().strip())
            ended = _start_time(script) is None
        except (OSError, ValueError):
            ended = False
        ended = ended or self._exit_status({"task_dir": str(task_dir)})[0] is not None
        os.write(fd, b"ended\n" if ended else b"running\n")
        os.close(fd)

    def ended_before_stop(self, handle: dict) -> bool:
        try:
            return (Path(handle["task_dir"]) / "stop_sent").read_text().strip() == "ended"
        except OSError:
            return False

    def _signal_group(self, handle, sig) -> None:
        if handle["pid"] is None:
            return
        # Safe even after the wrapper is gone: Linux never reuses a pid that is still
        # the id of a live process group, so this only reaches the task's own leftovers.
        if self._alive(handle) or _start_time(handle["pid"]) is None:
            try:
                os.killpg(handle["pid"], sig)
            except (ProcessLookupError, PermissionError):
                pass

    def wait_fds(self, handle: dict) -> list[int] | None:
        pid = handle["pid"]
        if pid is None:
            return None
        if pid not in self._pidfds:
            if not self._alive(handle):
                return None
            try:
                self._pidfds[pid] = os.pidfd_open(pid)
            except OSError:
                return None
        return [self._pidfds[pid]]

    def discard_output(self, handle: dict) -> None:
        """Everything is stored (masked): remove the raw, unmasked output.log, so no second
        copy of a secret the task printed stays on disk. Before the task's final status is
        recorded: a daemon killed in between finds no output left to ship and finishes it."""
        try:
            (Path(handle["task_dir"]) / "output.log").unlink()
        except FileNotFoundError:
            pass

    def cleanup(self, handle: dict) -> None:
        fd = self._pidfds.pop(handle["pid"], None) if handle["pid"] is not None else None
        if fd is not None:
            os.close(fd)
        self._signal_group(handle, signal.SIGKILL)   # leftovers: background children, TERM-ignoring scripts
        # Read by now, and they may hold what the task printed or wrote: values, its own reason.
        task_dir = Path(handle["task_dir"])
        for leftover in (handle.get("env_file"), task_dir / "reason", task_dir / "output.log",
                         task_dir / "stderr.fifo"):
            if leftover:
                try:
                    Path(leftover).unlink()
                except OSError:
                    pass


def _inside(data: bytes, stream: str | None) -> bytes:
    """`data` read from inside a long line of `stream` ("err"; None: a line's start or a
    stdout line's piece): a stderr line's further pieces get the tag too."""
    return STDERR_TAG + data if stream == "err" else data


def _find_wrapper(script: Path) -> int | None:
    """The pid of the live wrapper running `script` (its argv names the script file)."""
    needle = b"\0" + str(script).encode() + b"\0"
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if b"\0millrace-task\0" in cmdline and needle in cmdline and _start_time(int(entry)) is not None:
            return int(entry)
    return None
