"""A checkout's credential: the code source's account token, handed to git without ever
being written where others read it (PRODUCT.md §6; docs/architecture.md "Code repository
accounts").

`for_source(source)` fetches the account's token at task start (models.forge_tokens, which
refreshes an expiring GitLab token first) and returns the environment a checkout needs:
`MILLRACE_GIT_USERNAME` / `MILLRACE_GIT_TOKEN`, plus `GIT_ASKPASS` pointing at ASKPASS, a
fixed script that answers git's username and password prompts from those variables. So the
token is in no command line (git runs the script with the prompt as its only argument, and
the script prints with the shell's builtin `printf`), in no `.git/config` (the remote URL
stays the plain clone URL) and in no credential store (`credential.helper` is emptied through
GIT_CONFIG_* variables, so a machine-wide `store` helper cannot save it). The caller adds the
token to the task's secret values, so the log masks it like a secret.

An account that needs re-authorising, or a forge that cannot be reached to refresh the
token, fails the checkout with a reason naming the Code repositories page (CredentialUnavailable,
which daemon/task_start.py turns into the task's failure). Used by the checkout task (a local
process) and by the Kubernetes executor's init container (its Secret), so it lives beside both.
"""
from __future__ import annotations

from models import forge_accounts, forge_kinds, page_names
from models.errors import NotFound
from models.forge_accounts import NeedsReauthorisation
from models.i18n import N_

# What git is told as the user name: the forges' documented names for an OAuth token's user.
USERNAMES = {forge_kinds.GITHUB: "x-access-token", forge_kinds.GITLAB: "oauth2"}

# git runs $GIT_ASKPASS "Username for 'https://…': " (then "Password for …"): no value in argv.
ASKPASS = r'''#!/bin/sh
case "$1" in
  Username*) printf '%s\n' "$MILLRACE_GIT_USERNAME" ;;
  *) printf '%s\n' "$MILLRACE_GIT_TOKEN" ;;
esac
'''

def no_credential_store(inherited) -> dict:
    """Environment that empties git's credential helpers (git ≥ 2.31 reads GIT_CONFIG_COUNT),
    added after the GIT_CONFIG_* entries the task inherits (`inherited`: the daemon's environment
    for a local task, none for a pod), so those keep working (an `insteadOf`, a proxy)."""
    count = inherited.get("GIT_CONFIG_COUNT", "0")
    n = int(count) if count.isdigit() else 0
    return {"GIT_CONFIG_COUNT": str(n + 1), f"GIT_CONFIG_KEY_{n}": "credential.helper", f"GIT_CONFIG_VALUE_{n}": ""}


class CredentialUnavailable(RuntimeError):
    """The code source names an account whose token cannot be had (the message says why)."""


def account_of(source: dict | None):
    """The account a code source names, or None for a plain git URL."""
    account_id = (source or {}).get("account")
    if account_id is None:
        return None
    try:
        return forge_accounts.get(account_id)
    except NotFound:
        raise CredentialUnavailable(N_(
            "the code source names account #{id}, which no longer exists: pick another account on the code "
            "source form (accounts are connected on {page})", id=account_id, page=page_names.REPOSITORIES_PAGE)) \
            from None


def for_source(source: dict | None) -> dict[str, str]:
    """The checkout's credential environment ({} for a plain git URL); the token is its
    `MILLRACE_GIT_TOKEN`. Raises CredentialUnavailable with the reason."""
    from models.forge_client import ForgeError     # late: authlib is only needed with an account
    from models import forge_tokens
    account = account_of(source)
    if account is None:
        return {}
    try:
        token = forge_tokens.access_token(account)
    except NeedsReauthorisation as exc:
        raise CredentialUnavailable(N_(
            "account {account} needs re-authorisation ({why}): authorise it again on {page}",
            account=account.name, why=_words(exc), page=page_names.REPOSITORIES_PAGE)) from None
    except ForgeError as exc:
        raise CredentialUnavailable(N_(
            "the token of account {account} could not be refreshed ({why}); {page} shows the account",
            account=account.name, why=_words(exc), page=page_names.REPOSITORIES_PAGE)) from None
    return {"MILLRACE_GIT_USERNAME": USERNAMES[account.forge], "MILLRACE_GIT_TOKEN": token}


def _words(exc) -> object:
    return exc.args[0] if exc.args else str(exc)
