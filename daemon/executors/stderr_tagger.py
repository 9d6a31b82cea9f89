"""The stderr tagger: a local task's stderr → whole lines in output.log, each after the byte TAG.

The local executor's wrapper (daemon/executors/local.py) runs it inside the task's session,
as `python -I -S <this file>`, its stdin the read end of the task's stderr FIFO and its
stdout output.log opened with O_APPEND. The script's stdout goes to that file directly (it
never passes through here), so both streams are appended to one file in about the order
they were written: a stderr line lands when this process has read it, usually well under
a millisecond later. Each write() is whole lines, so a stdout line never lands inside a
stderr line (O_APPEND writes to a regular file do not interleave).

Speed: a read block is tagged with one `bytes.replace` (no Python step per line) and
written with one write(). It imports only the standard library and nothing of Millrace:
it starts in a few milliseconds, and it outlives the daemon like the task does.

Signals: TERM is ignored from the start (`env --ignore-signal=TERM`): a stop sends TERM to
the whole group while the script may still write to stderr in its own TERM trap. It ends
at end of input, or on USR1 (sent by the wrapper once the script has ended) after writing
what is left in the pipe: a leftover background job holding stderr open would never give
end of input. USR1 arrives blocked (`env --block-signal=USR1`) and is unblocked once its
handler is set; the wrapper sends it only after this program made its ready file (argv[1]):
sent while the shell was still opening the FIFO, it killed the tagger and lost the stderr
still in the pipe (1 task in ~10 on a loaded machine).

TAG is daemon.executors.base.STDERR_TAG (bytes never found in UTF-8 text; this file
imports nothing of Millrace, tests check the two agree); daemon/log_blocks.clean turns it
into the stored marker (docs/architecture.md, "Logs": stdout and stderr).
"""
import os
import select
import signal
import sys

TAG = b"\xff\x1e\xfe"
READ_BYTES = 256 * 1024
HOLD_BYTES = 4 * 1024 * 1024   # a stderr line without its newline is held up to this, then written as it is
DRAIN_READS = 64               # after USR1: what is in the pipe, not a writer that never stops


def tagged(lines: bytes) -> bytes:
    """Whole lines (the last ends in "\\n"), each after TAG."""
    return TAG + lines[:-1].replace(b"\n", b"\n" + TAG) + b"\n"


def _write(data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(1, view):]
        except OSError:          # a full disk: these lines are lost (as stdout's would be); keep reading,
            return               # so the script never gets EPIPE on its stderr


def emit(buf: bytes, inside: bool) -> tuple[bytes, bool]:
    """Write the whole lines of `buf`; return what is left (a partial line) and whether a
    line's first part (with its TAG) has already been written (`inside` it)."""
    cut = buf.rfind(b"\n") + 1
    if cut:
        if inside:               # the rest of an over-long line: its TAG went with its first part
            first = buf.find(b"\n") + 1
            _write(buf[:first] + (tagged(buf[first:cut]) if cut > first else b""))
        else:
            _write(tagged(buf[:cut]))
        buf, inside = buf[cut:], False
    if inside or len(buf) > HOLD_BYTES:
        _write(buf if inside else TAG + buf)
        return b"", True
    return buf, inside


def main() -> None:
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    signal.signal(signal.SIGUSR1, lambda *_: None)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
    if len(sys.argv) > 1:        # the wrapper sends USR1 only after this file exists
        os.close(os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600))
    pending, inside, drain = b"", False, None
    while drain is None or drain > 0:
        if drain is None:
            ready = select.select([0, wake_r], [], [])[0]
            if wake_r in ready:
                drain = DRAIN_READS
                os.set_blocking(0, False)
        else:
            drain -= 1
        try:
            data = os.read(0, READ_BYTES)
        except BlockingIOError:
            break
        if not data:
            break
        pending, inside = emit(pending + data if pending else data, inside)
    if pending or inside:        # the last line without its newline: ended here, so no stdout line joins it
        _write(pending + b"\n" if inside else TAG + pending + b"\n")


if __name__ == "__main__":
    main()
    # a USR1 arriving while Python shuts down (its handlers reset to the default) must not kill it
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
