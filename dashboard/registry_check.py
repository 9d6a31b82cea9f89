"""Whether a registry answers, checked when one is added on the settings page (issue 12, defect 7).

A registry added with a typo in its address used to be stored silently, and the first
build task to push failed minutes later. The check asks the registry's API root
(`/v2/`, as docker and buildah do) with a short timeout: any HTTP answer (200, or 401 for a
registry that wants credentials) means it is there; no connection, a timeout or a TLS
failure is the error, naming the address. The page offers "add it anyway" for a registry
not running yet. Only the dashboard checks: `run.py registry add` stores what it is told
(scripts set up registries before starting them).
"""
from __future__ import annotations

import re
import ssl
import urllib.error
import urllib.request

from models.i18n import N_

TIMEOUT_SECONDS = 3


def _context(insecure: bool, ca_cert: str) -> ssl.SSLContext:
    if insecure:
        return ssl._create_unverified_context()   # noqa: S323 — the user ticked "Insecure" for this registry
    context = ssl.create_default_context()
    if ca_cert:
        context.load_verify_locations(cadata=ca_cert)
    return context


def unreachable(url: str, insecure: bool, ca_cert: str = "") -> str | None:
    """None when the registry at `url` answers; else a one-line reason naming the address (a Msg:
    shown in the reader's language, its English starting "registry URL" for the form's field)."""
    scheme = "http" if url.startswith("http://") else "https"
    host = re.sub(r"^[a-z]+://", "", url).split("/")[0]
    target = f"{scheme}://{host}/v2/"
    try:
        context = _context(insecure, ca_cert)
    except ssl.SSLError as exc:
        return N_("the CA certificate could not be read: {error}", error=str(exc))
    try:
        with urllib.request.urlopen(target, timeout=TIMEOUT_SECONDS, context=context):
            return None
    except urllib.error.HTTPError:
        return None                                 # it answered (401: it wants credentials)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return N_("registry URL {url}: no answer from {target} within {seconds} s ({reason}); check the "
                  "address, or tick “Add it even if it does not answer now”", url=url, target=target,
                  seconds=TIMEOUT_SECONDS, reason=str(reason))
