"""A real container registry for tests: Debian's `docker-registry` (distribution 2.8).

`start_registry()` writes its own config (the packaged one enables auth on :5000),
optionally with htpasswd auth and/or a self-signed TLS certificate, starts it on a
free 127.0.0.1 port, waits for `GET /v2/` and returns a handle that also reads the
registry's HTTP API (tags, manifest digests) the way a user's tooling would.
"""
from __future__ import annotations

import base64
import json
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RegistryServer:
    host: str                       # "127.0.0.1:PORT", what image references start with
    root: Path
    proc: subprocess.Popen
    username: str | None = None
    password: str | None = None
    ca_cert: Path | None = None     # the self-signed certificate when TLS is on
    log_path: Path | None = None
    _ssl: ssl.SSLContext | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return ("https://" if self.ca_cert else "http://") + self.host

    def request(self, path: str, method="GET", accept=None, auth=True):
        """(status, headers, body) of one API call; HTTP errors are returned, not raised."""
        req = urllib.request.Request(self.url + path, method=method)
        if accept:
            req.add_header("Accept", accept)
        if auth and self.username:
            token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            req.add_header("Authorization", "Basic " + token)
        try:
            with urllib.request.urlopen(req, timeout=5, context=self._ssl) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def tags(self, repository: str) -> list[str]:
        status, _, body = self.request(f"/v2/{repository}/tags/list")
        if status == 404:
            return []
        return json.loads(body).get("tags") or []

    def manifest_digest(self, repository: str, reference: str) -> str | None:
        status, headers, _ = self.request(f"/v2/{repository}/manifests/{reference}", "HEAD", MANIFEST_TYPES)
        return headers.get("Docker-Content-Digest") if status == 200 else None

    def manifest(self, repository: str, reference: str) -> dict | None:
        status, _, body = self.request(f"/v2/{repository}/manifests/{reference}", accept=MANIFEST_TYPES)
        return json.loads(body) if status == 200 else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _htpasswd(path: Path, username: str, password: str) -> None:
    # distribution only accepts bcrypt; -i reads the password from stdin, off the command line
    out = subprocess.run(["htpasswd", "-B", "-i", "-n", username], input=password.encode(),
                         capture_output=True, check=True).stdout
    path.write_bytes(out)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, check=True)
    return cert, key


def start_registry(directory: Path, *, username: str | None = None, password: str | None = None,
                   tls: bool = False, timeout: float = 10.0) -> RegistryServer:
    directory.mkdir(parents=True, exist_ok=True)
    host = f"127.0.0.1:{free_port()}"
    lines = ["version: 0.1", "log:", "  level: warn",
             "storage:", "  filesystem:", f"    rootdirectory: {directory / 'data'}",
             "  delete:", "    enabled: true",
             "http:", f"  addr: {host}"]
    cert = None
    if tls:
        cert, key = _self_signed(directory)
        lines += ["  tls:", f"    certificate: {cert}", f"    key: {key}"]
    if username:
        _htpasswd(directory / "htpasswd", username, password or "")
        lines += ["auth:", "  htpasswd:", "    realm: millrace-test", f"    path: {directory / 'htpasswd'}"]
    config = directory / "config.yml"
    config.write_text("\n".join(lines) + "\n")
    log_path = directory / "registry.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    server = RegistryServer(host, directory, proc, username, password, cert, log_path,
                            ssl.create_default_context(cafile=str(cert)) if cert else None)
    deadline = time.monotonic() + timeout
    while True:
        try:
            # 401 also means "up": the auth variant answers /v2/ only to logged-in clients
            if server.request("/v2/", auth=False)[0] in (200, 401):
                return server
        except (OSError, urllib.error.URLError):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"docker-registry did not start: {log_path.read_text()[-2000:]}")
        time.sleep(0.05)
