"""Every setting an administrator sets by name — the daemon's (models/daemon_state.py) and the
door's (models/account_settings.py) — behind one pair of calls, so `run.py settings KEY VALUE`
and `PATCH /api/v1/settings` store through the same checks and refuse the same values.
"""
from __future__ import annotations

from models import account_settings, daemon_state
from models.db import write_transaction
from models.errors import on_field


def keys() -> list[str]:
    return [*daemon_state.DEFAULTS, *account_settings.DEFAULTS]


def get(key: str) -> str:
    return account_settings.get(key) if key in account_settings.DEFAULTS else daemon_state.get_setting(key)


def values() -> dict[str, str]:
    """Every setting's current value (the stored one, else its default)."""
    return {key: get(key) for key in keys()}


def set_value(key: str, value: str, actor: str) -> None:
    """Store one setting after its own model's check (UnknownSetting, ValueError say why not)."""
    if key in account_settings.DEFAULTS:
        account_settings.set_value(key, value, actor)
    else:
        daemon_state.set_setting(key, value, actor)


def set_many(changes: dict[str, str], actor: str) -> None:
    """Store several settings in one transaction: all of them, or none when one is refused (the
    error is marked with that key: models.errors.field_of)."""
    with write_transaction():
        for key, value in changes.items():
            try:
                set_value(key, value, actor)
            except (KeyError, ValueError) as exc:
                raise on_field(exc, key)
