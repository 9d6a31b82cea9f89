"""The pipeline page's "Webhook on the forge" card, for a pipeline whose code source names
a code repository account: the one webhook Millrace manages for its repository
(models/forge_hooks.py) as the daemon last found it on the forge — registered (with the
forge's id), being registered, missing (deleted there by hand), being removed — with the
last delivery, the last check and the last error, and "Repair" (the repair_webhook intent:
the daemon checks the hook again and makes it anew if it is missing).

`facts` is plain data for the page's poll; `card` renders it (None: nothing to show).
"""
from __future__ import annotations

from dash import html

from dashboard.components import action_button, card, field, time_text
from models import forge_hooks
from models.i18n import N_, _
from models.tables import Pipeline

STATES = {forge_hooks.REGISTERING: N_("being registered by the daemon"),
          forge_hooks.REGISTERED: N_("registered"),
          forge_hooks.MISSING: N_("missing on the forge"),
          forge_hooks.REMOVING: N_("being removed (no pipeline needs it)")}


def facts(p: Pipeline) -> dict | None:
    if not forge_hooks.is_managed(p):
        return None
    row = forge_hooks.for_pipeline(p)
    if row is None:
        return {"state": "", "hook_id": "", "url": "", "delivery": "", "checked": "", "error": ""}
    return {"state": row.state, "hook_id": row.forge_hook_id, "url": row.receiver_url,
            "delivery": time_text(row.last_delivery_at) if row.last_delivery_at else "",
            "checked": time_text(row.last_checked_at) if row.last_checked_at else "", "error": row.shown_error}


def hook_card(s: dict, may_repair: bool):
    hook = s.get("forge_hook")
    if hook is None:
        return None
    if not hook["state"]:
        state = _("not needed yet: it is registered when a webhook event is ticked in the trigger rules")
    else:
        state = str(STATES[hook["state"]])
        if hook["hook_id"]:
            state = _("{state} (forge id {id})", state=state, id=hook["hook_id"])
    body = [field(_("State"), state, className="forge-hook-state", **{"data-state": hook["state"] or "none"})]
    if hook["url"]:
        body.append(field(_("Receiver"), html.Code(hook["url"])))
    body += [field(_("Last delivery"), hook["delivery"] or _("none yet")),
             field(_("Last checked"), hook["checked"] or _("not yet"))]
    if hook["error"]:
        body.append(field(_("Last error"), hook["error"], className="forge-hook-error text-danger"))
    if hook["state"] and may_repair:
        body.append(action_button(_("Repair"), "repair_webhook@hook", s["id"], "warning"))
    return card(_("Webhook on the forge"), body, className="forge-hook")
