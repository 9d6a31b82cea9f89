"""The errors models/ raise for a user's request that cannot be done as asked.

Each module re-exports the ones it raises (`pipelines.NotFound`, `clusters.InUse`), so a
caller may catch either the module's name or the shared class; the CLI and the dashboard
turn them into a message and an exit status without knowing which model raised them.
Errors about a definition's content stay with the code that checks it (spec.SpecError)."""
from __future__ import annotations


class NotFound(LookupError):
    """No such pipeline, run, cluster, registry, release… (the message names it)."""


class Conflict(ValueError):
    """The request clashes with what is stored (a name taken, a newer version saved)."""


class InUse(ValueError):
    """Removing this would break something that uses it (the message says what)."""
