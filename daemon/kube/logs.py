"""Reading a pod's output incrementally, and its lifecycle events, from a cursor.

The log cursor is the timestamp of the last line handed over plus how many lines
carried exactly that timestamp. `sinceTime` has whole-second precision, so each read
asks from the start of that second and skips what was already seen: after a daemon
restart nothing is repeated and nothing dropped. Events are rendered like the manual
shows them (`[Warning] FailedScheduling 0/5 nodes are available: …`), each once.
"""
from __future__ import annotations

import hashlib
import re

_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z ?")
# A partial line (no newline before our marker) gets the next entry's timestamp glued on.
_GLUED_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z ?$")


def _key(stamp: str) -> tuple[str, int]:
    """Sortable form of an RFC 3339 timestamp whose fraction may have any length."""
    m = _STAMP.match(stamp + " ")
    return m.group(1), int((m.group(2) or "0").ljust(9, "0"))


def fetch(core, namespace: str, pod: str, container: str, since: str | None = None,
          timestamps: bool = True, _request_timeout=(10, 60)) -> str:
    """The container's log as text. The generated client has no `sinceTime`, so the
    request is built with its own serializer (auth, host and TLS stay the client's)."""
    query = [("container", container), ("timestamps", "true" if timestamps else "false")]
    if since:
        query.append(("sinceTime", since))
    api = core.api_client
    request = api.param_serialize("GET", "/api/v1/namespaces/{namespace}/pods/{name}/log",
                                  path_params={"namespace": namespace, "name": pod}, query_params=query,
                                  header_params={"Accept": "text/plain"}, auth_settings=["BearerToken"])
    response = api.call_api(*request, _request_timeout=_request_timeout)
    response.read()
    return api.response_deserialize(response, {"200": "str"}).data


def since_of(cursor: dict) -> str | None:
    return cursor["ts"][:19] + "Z" if cursor.get("ts") else None


def new_lines(text: str, cursor: dict, final: bool = False) -> tuple[list[str], dict]:
    """Complete lines of `text` (a timestamped log read from `since_of(cursor)`) that
    come after the cursor, and the cursor after them. A last line without a newline
    counts only once the container has ended (`final`)."""
    ts, n = cursor.get("ts"), cursor.get("n", 0)
    at, skip = (_key(ts) if ts else None), n
    lines = text.split("\n")
    if lines[-1] == "" or not final:
        lines.pop()   # "" after the last newline, or a partial line still being written
    out = []
    for line in lines:
        m = _STAMP.match(line)
        if not m:
            continue
        stamp, body = line[:m.end()].rstrip(" "), line[m.end():]
        key = _key(stamp)
        if at is not None and key < at:
            continue
        if key == at and skip > 0:
            skip -= 1
            continue
        out.append(body)
        if key == at:
            n += 1
        else:
            ts, n, at, skip = stamp, 1, key, 0
    return out, {**cursor, "ts": ts, "n": n}


def cut_at_marker(lines: list[str], marker: str) -> tuple[list[str], bool]:
    """Lines before the wrapper's trailer (and whether it was reached)."""
    for i, line in enumerate(lines):
        if line.endswith(marker):
            head = _GLUED_STAMP.sub("", line[: -len(marker)])
            return lines[:i] + ([head] if head else []), True
    return lines, False


def trailer(text: str, uid: str, markers) -> tuple[str, str] | None:
    """($MILLRACE_ENV contents, reason file contents) from an untimestamped full log."""
    begin, mid, end = markers(uid)
    b = text.rfind(begin)
    if b < 0:
        return None
    rest = text[b + len(begin):].removeprefix("\n")
    m = rest.find(mid)
    e = rest.find(end, max(m, 0))
    if m < 0 or e < 0:
        return None
    return rest[:m], rest[m + len(mid):e].removeprefix("\n")


def render_events(events: list[dict], seen: list[str]) -> tuple[list[str], list[str]]:
    """Lines for events not rendered before; an event shows again only if its message changes."""
    out, seen = [], list(seen)
    for ev in sorted(events, key=lambda e: (str(e.get("firstTimestamp") or e.get("eventTime") or ""),
                                            e["metadata"]["name"])):
        key = hashlib.sha1(f"{ev['metadata'].get('uid')}|{ev.get('message')}".encode()).hexdigest()[:12]
        if key in seen:
            continue
        seen.append(key)
        out.append(f"[{ev.get('type') or 'Normal'}] {ev.get('reason')} {ev.get('message') or ''}".rstrip())
    return out, seen
