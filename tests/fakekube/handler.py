"""The HTTP side: one request handler speaking HTTP/1.1 with keep-alive and chunked
streams, as the real client expects.

Each request is recorded (for request counting), authenticated against the
fake's bearer token (401 otherwise), checked against injected faults, then
handed to `api.handle`. Open connections are tracked so stopping the fake can
cut them, which is what an unreachable cluster looks like to the client. While the
fake is blackholed, a request is read and recorded but its answer is held.
"""
from __future__ import annotations

import json
import socket
import sys
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

from tests.fakekube import api, routes
from tests.fakekube.store import ApiError


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    verb: str              # Kubernetes verb: get, list, watch, create, update, patch, delete
    resource: str | None   # "pods", "pods/log", "deployments.apps", ...
    name: str | None
    query: tuple


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):   # keep pytest output quiet
        pass

    def setup(self):
        super().setup()
        # Headers and body go out as separate writes: without TCP_NODELAY, Nagle's algorithm and
        # the client's delayed ACK stall every keep-alive answer by ~40 ms (real servers do not).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._connections.add(self.connection)

    def finish(self):
        self.server.fake._connections.discard(self.connection)
        super().finish()

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _dispatch(self):
        fake = self.server.fake
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        route = routes.parse(url.path)
        resource = None
        if route.resource:
            resource = route.resource.key + (f"/{route.subresource}" if route.subresource else "")
        rec = Recorded(self.command, url.path, routes.k8s_verb(self.command, route, query),
                       resource, route.name, tuple(sorted(query.items())))
        fake._record(rec)
        fake._answering.wait()           # a blackholed server holds the answer (stop() releases it)
        if fake._httpd is None:
            self.close_connection = True
            return
        auth = self.headers.get("Authorization")
        scheme, _, token = (auth or "").partition(" ")     # the scheme is case-insensitive (RFC 9110)
        if (scheme.lower(), token) != ("bearer", fake.token) and not (auth is None and route.discovery == "version"):
            return self._send(api.Reply(401, ApiError(401, "Unauthorized", "Unauthorized").status()))
        fault = fake._take_fault(rec)
        if fault is not None and not fault.after:
            return self._fail(fault)
        try:
            reply = api.handle(fake, api.Request(self.command, route, query, body,
                                                 self.headers.get("Content-Type") or ""))
        except ApiError as exc:
            reply = api.Reply(exc.code, exc.status())
        except Exception as exc:   # a bug in the fake: say so loudly, answer like a broken server
            traceback.print_exc(file=sys.stderr)
            reply = api.Reply(500, ApiError(500, "InternalError", f"fakekube bug: {exc}").status())
        if fault is not None:
            # The change happened but the answer is lost: the client sees only the error.
            return self._fail(fault)
        self._send(reply)

    def _fail(self, fault):
        if fault.status is None:
            self.close_connection = True
            self.connection.close()   # the client sees a reset / "connection aborted"
            return
        reason = {500: "InternalError", 503: "ServiceUnavailable", 429: "TooManyRequests",
                  403: "Forbidden", 504: "Timeout"}.get(fault.status, "InternalError")
        self._send(api.Reply(fault.status, ApiError(fault.status, reason, fault.message).status()))

    def _send(self, reply: api.Reply):
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Type", reply.content_type)
        if reply.stream is not None:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for chunk in reply.stream:
                    if chunk:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            except OSError:   # the client went away mid-stream (watch.stop(), closed response)
                self.close_connection = True
            return
        if isinstance(reply.body, str):
            data = reply.body.encode()
        else:
            data = json.dumps(reply.body).encode()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
