"""The trigger rules dialog's fixed words: the rule help and the options of the events,
misfire and concurrency controls. Functions, not constants: each render says them in the
reader's language (a module-level `_()` would be English forever); the values stay the
codes models.triggers stores.
"""
from __future__ import annotations

from models.i18n import _


def rule_help() -> str:
    return _('In words: "every 2 minutes", "every 2 hours at 28", "daily at 09:30", '
             '"weekly on mon,fri at 08:00", "monthly on 31 at 23:00" (a day the month lacks fires on its last day). '
             'Empty: no timed rule.')


def misfire_options() -> list[dict]:
    return [{"label": _("skip: record the missed time, start nothing"), "value": "skip"},
            {"label": _("run_once: one run for the latest missed time, within a deadline"), "value": "run_once"}]


def concurrency_options() -> list[dict]:
    return [{"label": _("allow: start another run alongside"), "value": "allow"},
            {"label": _("forbid: skip the trigger and say so"), "value": "forbid"},
            {"label": _("replace: stop the active run, start the new one"), "value": "replace"}]


def event_options() -> list[dict]:
    return [{"label": _("push to the branch"), "value": "push"},
            {"label": _("merge (pull/merge request merged into the branch)"), "value": "merge"},
            {"label": _("tag pushed"), "value": "tag"}]
