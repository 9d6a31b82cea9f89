"""The commands a kubeconfig would run on the daemon's machine to get credentials: a user's
`exec` plugin (`command` and `args`) and the legacy `auth-provider`'s `cmd-path`. The
dashboard shows them and asks before it stores such a kubeconfig (the accounts issue: a
kubeconfig pasted in a browser must not run a command unseen)."""
from __future__ import annotations

import shlex

from models import safe_yaml


def commands(text: str) -> list[str]:
    """Each command as a shell-quoted line, in the kubeconfig's order ([] for none, or for
    text that is not a kubeconfig: parsing it says what is wrong elsewhere)."""
    try:
        config = safe_yaml.load_bounded(text or "", what="kubeconfig", max_bytes=safe_yaml.KUBECONFIG_MAX_BYTES)
    except Exception:  # noqa: BLE001 — not a kubeconfig: clusters.parse_kubeconfig gives the reason
        return []
    found = []
    for entry in (config or {}).get("users") or [] if isinstance(config, dict) else []:
        user = (entry or {}).get("user") or {} if isinstance(entry, dict) else {}
        plugin = user.get("exec") if isinstance(user, dict) else None
        if isinstance(plugin, dict) and plugin.get("command"):
            found.append(shlex.join([str(plugin["command"]), *map(str, plugin.get("args") or [])]))
        provider = user.get("auth-provider") if isinstance(user, dict) else None
        command = ((provider or {}).get("config") or {}).get("cmd-path") if isinstance(provider, dict) else None
        if command:
            found.append(shlex.join([str(command), *str(provider["config"].get("cmd-args") or "").split()]))
    return found
