"""Reasons the daemon records on runs and tasks, as language-neutral messages.

A reason is stored twice by models.runs.set_status: English text (`reason`, for lists and
the record) and the message (`reason_message`), so it shows in each reader's language. A
reason may quote a value a task substituted, so it is masked like the log: `masked` masks
the text a message is filled with, never its wording (a translation has no secret in it).
"""
from __future__ import annotations

from models import i18n
from models.i18n import N_, Msg


class Reason(str):
    """A reason as English text that keeps its message: for the places that hold a reason as
    a string (an executor's Poll, a handle stored as JSON, tests comparing text), while
    models.runs.set_status stores `.message` beside the text."""

    message: Msg

    def __new__(cls, message: Msg):
        made = super().__new__(cls, i18n.english(message))
        made.message = message
        return made


def text(message: Msg) -> Reason:
    """`message` as a Reason (English text, message kept)."""
    return Reason(message)


def masked(masker, reason):
    """`reason` (a Msg, a Reason or text) with every text it quotes masked by `masker`."""
    if isinstance(reason, Reason):
        return Reason(masked(masker, reason.message))
    if isinstance(reason, Msg):
        params = {k: (masked(masker, v) if isinstance(v, (Msg, str)) else v) for k, v in reason.params.items()}
        return Msg(reason.id, reason.plural, reason.n, **params)
    return masker(reason) if isinstance(reason, str) else reason


def of_exception(exc: BaseException):
    """An error's message as it was raised: its Msg when it has one (models' errors), else its text."""
    message = getattr(exc, "message", None)
    if isinstance(message, Msg):
        return message
    if exc.args and isinstance(exc.args[0], Reason):
        return exc.args[0].message
    if exc.args and isinstance(exc.args[0], Msg):
        return exc.args[0]
    return str(exc)


def as_reason(exc: BaseException):
    """An error as a reason held as text: a Reason when it has a message, else its text."""
    message = of_exception(exc)
    return Reason(message) if isinstance(message, Msg) else message


def english_of(exc: BaseException) -> str:
    """An error's message in English, for text that is stored (an outcome, a health message)."""
    return i18n.english(of_exception(exc))


def of_text(reason):
    """A reason held as text: its message when it is a Reason, else the text."""
    return reason.message if isinstance(reason, Reason) else reason


def internal_error(exc: BaseException) -> Msg:
    return N_("internal error: {error}", error=of_exception(exc))


def could_not_start(exc: BaseException, disk_full: bool) -> Msg:
    if disk_full:
        return N_("disk full: could not start the task: {error}", error=of_exception(exc))
    return N_("could not start the task: {error}", error=of_exception(exc))
