"""TLS for the fake API server: a self-signed certificate for 127.0.0.1 and the server's
SSL context.

A real API server speaks only https, and the in-cluster loader of the `kubernetes`
client insists on it, so `FakeKube(tls_dir=...)` serves https with this certificate;
the certificate is its own CA (what a pod finds in its service account's ca.crt).
Made with `openssl req -x509` (an EC key: milliseconds, not the seconds of RSA).
"""
from __future__ import annotations

import ssl
import subprocess
from pathlib import Path


def self_signed(directory, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """Write a certificate (CN and IP SAN `host`, valid two days) and its key; return (cert, key)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "fakekube-ca.crt", directory / "fakekube.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={host}",
                    "-addext", f"subjectAltName=IP:{host}"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    return context
