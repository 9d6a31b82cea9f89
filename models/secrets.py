"""Secrets at rest and in output: the key file, sealing/opening values, and log masking.

The key lives in `<home>/secret.key` (created on first start, mode 0600) and never in
the database, so a copied database file reveals no secret. `Masker` replaces every
occurrence of a secret value with `***`; the log shipper feeds it whole lines, so a
value split across two writes of the task is still masked.
"""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

MASK = "***"
_fernet: Fernet | None = None


class SecretError(RuntimeError):
    pass


def load_key(home: Path) -> None:
    """Read (or create, owner-only) the key file of this data directory."""
    global _fernet
    path = Path(home) / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(Fernet.generate_key())
    _fernet = Fernet(path.read_bytes().strip())


def _key() -> Fernet:
    if _fernet is None:
        raise SecretError("secret key not loaded (models.secrets.load_key was not called)")
    return _fernet


def seal(value: str) -> str:
    return _key().encrypt(value.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _key().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretError("a stored secret cannot be decrypted with this data directory's secret.key") from None


class Masker:
    def __init__(self, values):
        self.values = []
        self.add(values)

    def add(self, values) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self.values = sorted({*self.values, *(v for v in values if v and len(v) >= 3)}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self.values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    @property
    def longest(self) -> int:
        return len(self.values[0]) if self.values else 0
