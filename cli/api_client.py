"""HTTP to a Millrace server's /api/v1 for the remote CLI: requests with timeouts, one error
type per way it fails, paging through Link headers, and a Server-Sent Events reader that
resumes after a dropped connection.

Failures become exceptions whose text is what the user reads: `ApiError` for an answer
with a 4xx/5xx status (the problem+json `detail`, and its `errors` field paths, kept for
the printer), `Unreachable` for no answer (refused, DNS, timeout), `TlsError` for a
certificate the CLI will not trust. The token travels only in the Authorization header of
this process's own requests; it is never printed, logged or passed to a child process.

The SSE reader remembers the `id:` of the last event it yielded; when the connection drops
(or the server closes it before `event: end`), it connects again with `Last-Event-ID`, and
the server continues after that line, so nothing is lost or repeated.
"""
from __future__ import annotations

import json
import time
from typing import Iterator, NamedTuple

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from cli.client_config import Server
from models.i18n import _

CONNECT_SECONDS = 10
READ_SECONDS = 60             # the stream sends a keep-alive comment every 15 s
RECONNECTS = 8                # consecutive failed attempts before the stream gives up
# how a stream breaks: requests' errors, and urllib3's own from reading the raw body
DROPPED = (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
           requests.exceptions.Timeout, urllib3.exceptions.HTTPError, OSError)


class ApiError(RuntimeError):
    """The server answered with an error status (problem+json when it is Millrace's API)."""

    def __init__(self, status: int, message: str, errors: list | None = None):
        super().__init__(message)
        self.status, self.errors = status, errors or []


class Unreachable(RuntimeError):
    """No answer from the server."""


class TlsError(RuntimeError):
    """The TLS handshake failed (certificate not trusted, wrong host name)."""


class Event(NamedTuple):
    event: str
    id: str | None
    data: dict


def _problem(response: requests.Response) -> ApiError:
    """An ApiError saying what the server said: its detail (or title), with the status; for
    401 and 403 also what to do about it."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    detail = body.get("detail") or body.get("error") or body.get("title") or response.reason or ""
    status = response.status_code
    if status == 401:
        message = _("the server refused the token (401): {detail}; sign in again with: python run.py login URL",
                    detail=detail)
    elif status == 403:
        message = _("not allowed (403): {detail}", detail=detail)
    else:
        message = _("{detail} ({status})", detail=detail, status=status)
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    return ApiError(status, message, errors)


class Client:
    """One server, one token, one connection pool."""

    def __init__(self, server: Server):
        self.url = server.url
        self.base = server.url + "/api/v1"
        self.session = requests.Session()
        # a GET whose connection was dropped before an answer came is asked again (a pooled
        # connection the network cut); a POST never is (the Idempotency-Key makes a run's safe,
        # but the user decides to try again)
        retry = Retry(total=3, connect=3, read=2, status=0, other=0, allowed_methods={"GET", "HEAD"},
                      backoff_factor=0.3, raise_on_status=False)
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        self.session.headers.update({"Accept": "application/json", "User-Agent": "millrace-cli"})
        if server.token:
            self.session.headers["Authorization"] = f"Bearer {server.token}"

    def request(self, method: str, path: str, *, stream: bool = False, **kwargs) -> requests.Response:
        url = path if path.startswith(("http://", "https://")) else self.base + path
        try:
            response = self.session.request(method, url, timeout=(CONNECT_SECONDS, READ_SECONDS), stream=stream,
                                            **kwargs)
        except requests.exceptions.SSLError as exc:
            raise TlsError(_("TLS error talking to {url}: {message}", url=self.url, message=_reason(exc))) from None
        except requests.exceptions.Timeout:
            raise Unreachable(_("{url} did not answer within {seconds} s", url=self.url,
                                seconds=READ_SECONDS)) from None
        except requests.exceptions.ConnectionError as exc:
            raise Unreachable(_("cannot reach {url}: {message}", url=self.url, message=_reason(exc))) from None
        if response.status_code >= 400:
            raise _problem(response)
        return response

    def get(self, path: str, **params):
        return self.request("GET", path, params=params or None).json()

    def post(self, path: str, body=None, headers=None):
        response = self.request("POST", path, json=body if body is not None else {}, headers=headers)
        return response.json() if response.content else None

    def pages(self, path: str, limit: int, **params) -> list:
        """Up to `limit` items of a paged list, following rel=next."""
        items: list = []
        response = self.request("GET", path, params={**params, "per_page": min(100, max(1, limit))})
        while True:
            items.extend(response.json())
            following = response.links.get("next", {}).get("url")
            if len(items) >= limit or not following:
                return items[:limit]
            response = self.request("GET", following)

    def events(self, path: str, last_id: str | None = None) -> Iterator[Event]:
        """The SSE stream at `path`, ending after its `end` event; reconnects with
        Last-Event-ID when the connection drops."""
        failures = 0
        while True:
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
            if last_id:
                headers["Last-Event-ID"] = last_id
            try:
                with self.request("GET", path, headers=headers, stream=True) as response:
                    for event in parse_sse(_chunks(response)):
                        failures = 0
                        if event.id:
                            last_id = event.id
                        yield event
                        if event.event == "end":
                            return
            except DROPPED + (Unreachable,) as exc:
                failures += 1
                if failures > RECONNECTS:
                    raise Unreachable(_("the log stream from {url} dropped and could not be resumed: {message}",
                                        url=self.url, message=_reason(exc))) from None
            time.sleep(min(5.0, 0.25 * 2 ** failures))     # the server closed, or dropped: try again


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: read1 returns what the socket has (a line, a keep-alive)
    instead of waiting for a full buffer, so a line is shown as soon as it is sent."""
    raw = response.raw
    while True:
        data = raw.read1(65536, decode_content=True)
        if not data:
            return
        yield data


def parse_sse(chunks) -> Iterator[Event]:
    """Server-Sent Events (the WHATWG format) from byte chunks: `event:`, `id:`, `data:`
    lines up to a blank line make one event; comments (keep-alives) are skipped. The data
    is JSON in Millrace's streams."""
    buffer = b""
    event, ident, data = "message", None, []
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for raw in lines:
            line = raw.rstrip(b"\r").decode("utf-8", errors="replace")
            if not line:
                if data:
                    yield Event(event, ident, json.loads("\n".join(data)))
                event, ident, data = "message", None, []
                continue
            if line.startswith(":"):
                continue
            field, _sep, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                event = value
            elif field == "id":
                ident = value
            elif field == "data":
                data.append(value)
    if buffer.strip() or data:
        raise requests.exceptions.ChunkedEncodingError("the stream ended in the middle of an event")


def _reason(exc: Exception) -> str:
    """The innermost cause's text (urllib3 wraps the socket error several times)."""
    for _depth in range(10):
        inner = exc.__cause__ or exc.__context__
        if inner is None:
            break
        exc = inner
    reason = getattr(exc, "reason", None)
    return str(reason or exc)
