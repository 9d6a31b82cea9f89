"""`GET /api/v1/settings` and `PATCH /api/v1/settings {key: value, …}` (administrators): the
daemon's and the door's settings by name, stored through models/settings.py — the same checks
`run.py settings KEY VALUE` applies. A patch is all or nothing: one refused value stores none,
and the problem names that key as its field path. An unknown key is refused by the schema.
"""
from __future__ import annotations

from marshmallow import Schema, fields

from dashboard.api_v1 import permissions
from dashboard.api_v1.blueprint import bp
from dashboard.api_v1.errors import Refused
from models import settings as all_settings
from models.errors import field_of

Settings = Schema.from_dict({key: fields.String(required=True) for key in all_settings.keys()}, name="Settings")
SettingsPatch = Schema.from_dict(
    {key: fields.String(metadata={"description": "as `run.py settings` takes it (text)"})
     for key in all_settings.keys()}, name="SettingsPatch")


@bp.get("/settings")
@bp.output(Settings)
@bp.doc(operation_id="get_settings", tags=["settings"], responses=[403], summary="Every setting (administrators)")
def get_settings():
    permissions.require("admin")
    return all_settings.values()


@bp.patch("/settings")
@bp.input(SettingsPatch, location="json")
@bp.output(Settings)
@bp.doc(operation_id="patch_settings", tags=["settings"], responses=[403, 422],
        summary="Change settings (administrators); all or nothing")
def patch_settings(json_data: dict):
    permissions.require("admin")
    try:
        all_settings.set_many(json_data, permissions.actor())
    except (KeyError, ValueError) as exc:       # the model's words, on the key it was about
        raise Refused(422, str(exc), [(field_of(exc), str(exc))]) from None
    return all_settings.values()
