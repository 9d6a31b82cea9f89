"""Paths a task reads from the run's checkout: resolved, and kept inside it.

A definition names files of the repository (the deploy task's YAML file, the chart
directory, the Dockerfile and build context). Checking the text is not enough: the
repository may hold a symlink (`x.yaml -> /etc/hostname`, `chart -> /`), and following it
would read the daemon machine's files into a deployment, a chart or an image. So:

- `lexical()` refuses what is outside by its text alone (absolute, `..`), for checks made
  before the checkout exists (plan time; kaniko, whose checkout is in the pod);
- `inside()` resolves the path (symlinks followed) and refuses it unless it stays in the
  checkout; symlinks that stay inside are fine (a repository may link its own files);
- `check_tree()` does that for every symlink under a directory read as a whole (a chart),
  which is then copied with its links followed, so nothing reads a link afterwards;
- `read_inside()` also opens the file along its resolved path refusing any symlink met
  (O_NOFOLLOW), so one swapped in after the check is refused, not followed.

Refusals are `PathOutside` (a ValueError) naming the path as written and, for a symlink,
where it leads; a missing file is `PathMissing`.
"""
from __future__ import annotations

import errno
import os
import posixpath
import stat
from pathlib import Path


MAX_TREE_ENTRIES = 20_000       # a chart is tens of files; links can make a tree of millions


class PathOutside(ValueError):
    pass


class PathMissing(ValueError):
    pass


def lexical(rel: str, what: str) -> str:
    """`rel` as a clean relative path; refused when absolute or climbing out with `..`."""
    clean = posixpath.normpath(rel or ".")
    if clean.startswith("/") or clean == ".." or clean.startswith("../"):
        raise PathOutside(f"{what} {rel!r} points outside the checkout")
    return clean


def _outside(root: Path, rel: str, what: str, resolved: Path) -> PathOutside:
    written = Path(os.path.normpath(root / rel))
    through = "" if not written.is_relative_to(root) else f" (through a symlink, to {resolved})"
    return PathOutside(f"{what} {rel!r} points outside the checkout{through}")


def inside(workspace, rel: str, what: str) -> Path:
    """The resolved path of `rel` in the checkout at `workspace`, or PathOutside."""
    root = Path(workspace).resolve()
    resolved = (root / (rel or ".")).resolve()
    if not resolved.is_relative_to(root):
        raise _outside(root, rel, what, resolved)
    return resolved


def check_tree(workspace, directory: Path, shown: str, what: str, max_entries: int = MAX_TREE_ENTRIES) -> None:
    """Every symlink under `directory` (shown to the user as `shown`) must lead to something
    that exists inside the checkout, and linked directories are walked too: the whole tree
    is about to be copied with its links followed. A link back to an ancestor (a loop) and a
    tree of more than `max_entries` entries (links can multiply one) are refused."""
    root, top = Path(workspace).resolve(), Path(directory)
    stack, seen = [(top, top.resolve(), ())], 0
    while stack:
        here, real, chain = stack.pop()
        for entry in sorted(here.iterdir()):
            seen += 1
            rel = posixpath.join(shown.rstrip("/"), str(entry.relative_to(top)))
            if seen > max_entries:
                raise PathOutside(f"{what} {shown!r} holds more than {max_entries} files and directories "
                                  "(with its symlinks followed)")
            if not entry.is_symlink():
                if entry.is_dir():
                    stack.append((entry, real / entry.name, (*chain, real)))
                continue
            target = entry.resolve()
            if not target.is_relative_to(root):
                raise PathOutside(f"{what} {shown!r} holds {rel!r}, a symlink to {target}, outside the checkout")
            if not target.exists():
                raise PathMissing(f"{what} {shown!r} holds {rel!r}, a symlink to {target}, which does not exist")
            if target.is_dir():
                if any(d.is_relative_to(target) for d in (*chain, real)):
                    raise PathOutside(f"{what} {shown!r} holds {rel!r}, a symlink to {target}, which contains it "
                                      "(a loop)")
                stack.append((entry, target, (*chain, real)))


def read_inside(workspace, rel: str, what: str, limit: int) -> bytes:
    """The bytes of file `rel` (at most `limit` + 1, enough to tell it is too big), read along
    its resolved path with every component opened O_NOFOLLOW."""
    root = Path(workspace).resolve()
    resolved = inside(root, rel, what)
    parts = resolved.relative_to(root).parts
    if not parts:
        raise PathMissing(f"{what} {rel!r} is the checkout itself, not a file")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for part in parts[:-1]:                       # _step closes the directory it was given
        fd = _step(fd, part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, rel, what)
    # O_NONBLOCK: a FIFO planted in the repository must not hang the task at open()
    fd = _step(fd, parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, rel, what)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise PathMissing(f"{what} {rel!r} is not a file")
    with os.fdopen(fd, "rb") as fh:
        return fh.read(limit + 1)


def _step(fd: int, name: str, flags: int, rel: str, what: str) -> int:
    """Open `name` under directory `fd` (closing it); a symlink there now was swapped in after
    the path was resolved, so it is refused rather than followed."""
    try:
        return os.open(name, flags, dir_fd=fd)
    except FileNotFoundError:
        raise PathMissing(f"{what} {rel!r} not found in the checkout") from None
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        if stat.S_ISLNK(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
            raise PathOutside(f"{what} {rel!r} changed while it was read (a symlink appeared in its path)") from None
        raise PathMissing(f"{what} {rel!r} not found in the checkout ({name} is not a directory)") from None
    finally:
        os.close(fd)
