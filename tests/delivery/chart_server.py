"""A real HTTP chart repository for tests: Debian's nginx serving a temporary directory with
WebDAV PUT enabled (what `helm repo add` reads, and what Millrace uploads charts and the
index to), optionally behind basic auth. Started in the foreground on a free 127.0.0.1
port with its own config and prefix, stopped by its PID.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.delivery.registry_server import free_port

CONF = """daemon off;
{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log {prefix}/access.log;
  default_type application/octet-stream;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  client_max_body_size 64m;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    location / {{
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
{auth}    }}
  }}
}}
"""


@dataclass
class ChartServer:
    port: int
    root: Path                      # the served directory; charts live in root/charts
    proc: subprocess.Popen
    username: str | None = None
    password: str | None = None

    @property
    def url(self) -> str:
        """The chart repository's URL (its charts directory)."""
        return f"http://127.0.0.1:{self.port}/charts"

    def file(self, name: str) -> Path:
        return self.root / "charts" / name

    def get(self, name: str, auth=True) -> requests.Response:
        return requests.get(f"{self.url}/{name}", timeout=5,
                            auth=(self.username, self.password) if auth and self.username else None)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_chart_server(base: Path, username: str | None = None, password: str | None = None) -> ChartServer:
    """nginx on a free port serving base/www, with PUT; basic auth when a username is given."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    prefix, root = base / "nginx", base / "www"
    prefix.mkdir(parents=True, exist_ok=True)
    root.mkdir(parents=True, exist_ok=True)
    auth = ""
    if username:
        hashed = subprocess.run(["openssl", "passwd", "-apr1", "-stdin"], input=password, capture_output=True,
                                text=True, check=True).stdout.strip()
        (prefix / "htpasswd").write_text(f"{username}:{hashed}\n")
        auth = f'      auth_basic "charts";\n      auth_basic_user_file {prefix}/htpasswd;\n'
    port = free_port()
    # as root, nginx's workers would drop to nobody and could not write the temporary directory
    user = "user root root;\n" if os.geteuid() == 0 else ""
    conf = prefix / "nginx.conf"
    conf.write_text(CONF.format(user=user, prefix=prefix, port=port, root=root, auth=auth))
    log = open(prefix / "stderr.log", "wb")
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(prefix), "-e", str(prefix / "error.log")],
                            stdout=log, stderr=subprocess.STDOUT)
    log.close()
    server = ChartServer(port, root, proc, username, password)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited: {(prefix / 'stderr.log').read_text()}"
                               f"{(prefix / 'error.log').read_text() if (prefix / 'error.log').exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"nginx did not listen on 127.0.0.1:{port} within 60 s")
