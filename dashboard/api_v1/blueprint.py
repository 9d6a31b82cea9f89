"""The one APIBlueprint every /api/v1 resource module adds its routes to.

Kept apart from the package's __init__ so resource modules import it without importing
each other (dashboard.api_v1 imports them all, after this exists).
"""
from __future__ import annotations

from apiflask import APIBlueprint

from dashboard.api_v1 import errors

bp = APIBlueprint("api_v1", __name__, url_prefix="/api/v1")
for _kind in errors.HANDLED:          # once: a blueprint cannot change after its first registration
    bp.register_error_handler(_kind, errors.from_exception)
