"""The errors models/ raise for a user's request that cannot be done as asked.

Each module re-exports the ones it raises (`pipelines.NotFound`, `clusters.InUse`), so a
caller may catch either the module's name or the shared class; the CLI and the dashboard
turn them into a message and an exit status without knowing which model raised them.
Errors about a definition's content stay with the code that checks it (spec.SpecError).

Messages are language-neutral (models.i18n.Msg): `str(exc)` renders in the reader's
language. A form that puts an error beside one of its fields reads `exc.field` (set with
`on_field`), never the message's text, which is Chinese for a Chinese reader."""
from __future__ import annotations


class NotFound(LookupError):
    """No such pipeline, run, cluster, registry, release… (the message names it)."""


class Conflict(ValueError):
    """The request clashes with what is stored (a name taken, a newer version saved)."""


class InUse(ValueError):
    """Removing this would break something that uses it (the message says what)."""


def on_field(exc: Exception, field: str) -> Exception:
    """`exc`, marked as being about the request's `field` ("url", "name", "password"…): the
    exception keeps its type, so callers that catch ValueError still do."""
    exc.field = field
    return exc


def field_of(exc: BaseException) -> str | None:
    """The field an error is about (`on_field`), None when it is about the request as a whole."""
    return getattr(exc, "field", None)
