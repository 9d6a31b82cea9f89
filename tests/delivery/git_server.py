"""A real git server for tests: bare repositories served over smart HTTP.

`GitServer` runs `git http-backend` (git's own CGI program) behind a small threaded
HTTP server on 127.0.0.1, so clones, fetches and pushes go through the same protocol
a forge speaks. Each repository is also reachable as `file://` for tests that don't
care about the transport. `publish()` turns a dict of files into a commit on a branch.
"""
from __future__ import annotations

import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GIT_ENV = {"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0",
           "GIT_AUTHOR_NAME": "Millrace Test", "GIT_AUTHOR_EMAIL": "test@millrace.invalid",
           "GIT_COMMITTER_NAME": "Millrace Test", "GIT_COMMITTER_EMAIL": "test@millrace.invalid"}


def git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root: Path

    def do_GET(self):
        self._cgi()

    def do_POST(self):
        self._cgi()

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                chunk = self.rfile.read(size)
                self.rfile.readline()
                if size == 0:
                    return b"".join(chunks)
                chunks.append(chunk)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _cgi(self):
        path, _, query = self.path.partition("?")
        env = {**os.environ, **GIT_ENV, "GIT_PROJECT_ROOT": str(self.root), "GIT_HTTP_EXPORT_ALL": "1",
               "REQUEST_METHOD": self.command, "PATH_INFO": path, "QUERY_STRING": query,
               "CONTENT_TYPE": self.headers.get("Content-Type", ""), "REMOTE_ADDR": "127.0.0.1",
               # http-backend refuses anonymous pushes unless a user is named
               "REMOTE_USER": "tester"}
        for key, value in self.headers.items():
            env["HTTP_" + key.upper().replace("-", "_")] = value
        body = self._body()
        env["CONTENT_LENGTH"] = str(len(body))
        env.pop("HTTP_TRANSFER_ENCODING", None)
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


class GitServer:
    handler_class = _Handler          # a subclass may require credentials (tests/fakeforge/git_http.py)

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        handler = type("Handler", (self.handler_class,), {"root": root, "git_server": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}.git"

    def file_url(self, name: str) -> str:
        return (self.root / f"{name}.git").as_uri()

    def create(self, name: str) -> Path:
        bare = self.root / f"{name}.git"
        if not bare.exists():
            git("init", "--bare", "--initial-branch=master", str(bare))
            git("config", "http.receivepack", "true", cwd=bare)
        return bare

    def publish(self, name: str, files: dict[str, str], branch: str = "master",
                message: str = "example files") -> str:
        """Commit `files` (path -> text) on `branch` of repository `name`; returns the sha."""
        bare = self.create(name)
        work = self.root / ".work" / name
        if not work.exists():
            git("clone", "--quiet", str(bare), str(work))
        git("checkout", "--quiet", "-B", branch, cwd=work)
        for rel, text in files.items():
            target = work / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        git("add", "--all", cwd=work)
        git("commit", "--quiet", "--allow-empty", "-m", message, cwd=work)
        git("push", "--quiet", "--force", "origin", f"HEAD:refs/heads/{branch}", cwd=work)
        return git("rev-parse", "HEAD", cwd=work).strip()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
