"""Which Millrace server the CLI talks to, and with which token: `login`, `logout`, and the
lookup every verb makes before choosing the remote (API) or the local (data directory) path.

Precedence: the `--url`/`--token` flags, then MILLRACE_URL/MILLRACE_TOKEN, then the file
`$XDG_CONFIG_HOME/millrace/client.json` (else `~/.config/millrace/client.json`) that `login`
writes: {"url": …, "token": …}, mode 0600 in a 0700 directory, because the token is a
password. A URL alone (no token from any source) still counts as "a server is configured":
the server then answers 401, which says what to do, rather than the CLI silently using a
local data directory the user did not mean.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

from models.i18n import _


class Server(NamedTuple):
    url: str
    token: str


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "millrace" / "client.json"


def normalise_url(url: str) -> str:
    """'millrace.example:8050/' → the base URL without a trailing slash; a scheme is required
    (http:// is allowed, but it is the user's choice, not a guess)."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError(_("the server address must start with http:// or https://, got '{url}'", url=url))
    return url


def stored() -> dict:
    """What `login` stored ({} when nothing is, or the file is unreadable as JSON)."""
    path = config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ValueError(_("cannot read {file}: {message}", file=path, message=exc)) from None
    return data if isinstance(data, dict) else {}


def save(url: str, token: str) -> Path:
    """Write {url, token}: the file is created 0600 (never world-readable, not even briefly)
    and replaced atomically; its directory is made 0700."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"url": url, "token": token}, fh)
        fh.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def forget() -> bool:
    """`logout`: remove the stored server; whether there was one."""
    try:
        config_path().unlink()
        return True
    except FileNotFoundError:
        return False


def resolve(url_flag: str | None, token_flag: str | None) -> Server | None:
    """The server to use, or None for the local data directory. Each of the URL and the
    token is taken from the first source that has it: flag, environment, file (the file's
    token only for the file's URL)."""
    file = stored() if not (url_flag and token_flag) else {}
    url = url_flag or os.environ.get("MILLRACE_URL") or file.get("url")
    if not url:
        return None
    url = normalise_url(url)
    # the stored token goes only to the server it was stored for: MILLRACE_URL naming another
    # server must not receive it
    kept = file.get("token") if file.get("url") and normalise_url(file["url"]) == url else None
    token = token_flag or os.environ.get("MILLRACE_TOKEN") or kept or ""
    return Server(url, token)
