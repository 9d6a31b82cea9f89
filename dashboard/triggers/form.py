"""The "edit trigger rules" form as data: what it shows for a pipeline, what is wrong with
what was typed (each field's own message), the preview of a timed rule, and saving it.

The pure helpers (`preview_lines`, `hook_urls`, `problems`, `secret_text`) take plain
values, so they are tested without a browser. `load` reads; `save`, `new_secret` and
`remove_timer` are the only writers, and they go through models.triggers with the actor
"dashboard". `save` checks every field first: invalid input saves nothing.
A webhook secret leaves this module only as the return value of the call that made it.
"""
from __future__ import annotations

from datetime import datetime

from babel.dates import format_date

from dashboard.auth.current import actor, require
from models import i18n, triggers
from models.i18n import N_, _
from models.schedule import local_zone, parse_rule, preview, zone
from models.tables import Pipeline
from models.triggers import CONCURRENCY_POLICIES, MISFIRE_POLICIES, WebhookRule

EVENTS = ("push", "merge", "tag")
PREVIEW_COUNT = 5
DEFAULT_DEADLINE_MINUTES = 60
TIME_FORMAT = "%Y-%m-%d %H:%M %Z"      # after the weekday, which Babel says in the reader's language
# The form's fields as its problems name them (the keys stay English: tests and callers use them).
FIELD_LABELS = {"timed rule": N_("timed rule"), "timezone": N_("timezone"), "misfire policy": N_("misfire policy"),
                "deadline": N_("deadline"), "concurrency policy": N_("concurrency policy"), "events": N_("events")}


class FormError(ValueError):
    """Invalid input: `problems` maps each form field to what is wrong with it."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{field}: {text}" for field, text in problems.items()))


def server_zone_name() -> str:
    """The zone a rule without one uses (the server's), by name."""
    return getattr(local_zone(), "key", None) or "UTC"


def zone_label(name: str) -> str:
    """How a rule's zone is said: its name, or the server's zone for a rule without one."""
    return name or _("server's zone, {zone}", zone=server_zone_name())


def hook_urls(base_url: str) -> dict[str, str]:
    """The payload URLs to paste into the forge, on the server the browser talks to."""
    base = (base_url or "").rstrip("/")
    return {"github": f"{base}/hooks/github", "gitlab": f"{base}/hooks/gitlab"}


def rule_problem(text: str | None) -> str | None:
    """The parser's words for what is wrong with a rule; None if valid or empty (no rule)."""
    if not (text or "").strip():
        return None
    try:
        parse_rule(text)
    except ValueError as err:
        return str(err)
    return None


def zone_problem(name: str | None) -> str | None:
    try:
        zone(name or "")
    except ValueError as err:
        return str(err)
    return None


def preview_lines(text: str | None, tz_name: str | None, now: datetime | None = None,
                  n: int = PREVIEW_COUNT) -> tuple[list[str], str | None, str | None]:
    """(the next `n` fire times as text, the rule's error, the zone's error) for what is typed.

    `now` is an aware datetime (default: the current time); an empty rule has no error."""
    rule_error, tz_error = rule_problem(text), zone_problem(tz_name)
    if rule_error or tz_error or not (text or "").strip():
        return [], rule_error, tz_error
    tz = zone(tz_name or "")
    start = (now or datetime.now(tz)).astimezone(tz)
    return [fire_text(fire) for fire in preview(parse_rule(text), start, tz, n)], None, None


def fire_text(fire: datetime) -> str:
    """A fire time in its rule's zone (the zone is said): 'Mon 2026-03-02 09:30 CET', '周一 …'."""
    weekday = format_date(fire, "EEE", locale=i18n.language())
    return f"{weekday} {fire.strftime(TIME_FORMAT)}"


def field_label(field: str) -> str:
    """How a problem's field is said to the reader."""
    return str(FIELD_LABELS[field]) if field in FIELD_LABELS else field


def _minutes(value) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number == int(number) else None


def problems(form: dict) -> dict[str, str]:
    """Field → message for everything wrong in `form` (empty when it can be saved)."""
    found = {}
    if rule_problem(form.get("rule")):
        found["timed rule"] = rule_problem(form.get("rule"))
    if zone_problem(form.get("timezone")):
        found["timezone"] = zone_problem(form.get("timezone"))
    if form.get("misfire") not in MISFIRE_POLICIES:
        found["misfire policy"] = _("choose one of {choices}", choices=", ".join(MISFIRE_POLICIES))
    elif form["misfire"] == "run_once" and (_minutes(form.get("deadline")) or 0) < 1:
        found["deadline"] = _("give the run_once deadline as a whole number of minutes, 1 or more")
    if form.get("concurrency") not in CONCURRENCY_POLICIES:
        found["concurrency policy"] = _("choose one of {choices}", choices=", ".join(CONCURRENCY_POLICIES))
    unknown = set(form.get("events") or ()) - set(EVENTS)
    if unknown:
        found["events"] = _("unknown event(s) {events}: use push, merge, tag", events=", ".join(sorted(unknown)))
    return found


def secret_text(has_webhook: bool) -> str:
    """What the dialog says about the secret when it is not the moment to show it."""
    if has_webhook:
        return _("A secret is set. It is stored encrypted and never shown again; "
                 "“New secret” replaces it (then paste the new one into the forge).")
    return _("No webhook yet: tick an event and save, and the secret to paste into the forge is shown once.")


def _webhook(p: Pipeline) -> WebhookRule | None:
    return WebhookRule.get_or_none(WebhookRule.pipeline == p)


def _events(hook: WebhookRule | None) -> list[str]:
    return [e for e in EVENTS if hook is not None and hook.wants(e)]


def load(p: Pipeline) -> dict:
    """The form's values for the pipeline as stored (never its secret)."""
    timer, hook = next(iter(triggers.timers(p)), None), _webhook(p)
    return {"events": _events(hook), "has_webhook": hook is not None, "has_timer": timer is not None,
            "rule": timer.rule_text if timer else "", "timezone": timer.timezone if timer else "",
            "misfire": timer.misfire_policy if timer else "skip",
            "deadline": timer.misfire_deadline_seconds // 60 if timer else DEFAULT_DEADLINE_MINUTES,
            "concurrency": p.concurrency_policy or "allow"}


def save(p: Pipeline, form: dict) -> tuple[str, str | None]:
    """Store the form → (what was saved, the new secret in clear or None). FormError if invalid."""
    require("edit", p)
    found = problems(form)
    if found:
        raise FormError(found)
    said, secret = [], None
    events, hook = [e for e in EVENTS if e in (form.get("events") or ())], _webhook(p)
    if hook is not None or events:
        if hook is None or _events(hook) != events:
            _rule, secret = triggers.save_webhook(p, actor(), push="push" in events, merge="merge" in events,
                                              tag="tag" in events)
        said.append(_("webhook on {events}", events=", ".join(events)) if events else _("webhook on no events"))
    timers = triggers.timers(p)
    text = (form.get("rule") or "").strip()
    if text:
        timer = timers[0] if timers else None
        deadline = (_minutes(form.get("deadline")) * 60 if form["misfire"] == "run_once"
                    else timer.misfire_deadline_seconds if timer else DEFAULT_DEADLINE_MINUTES * 60)
        fields = dict(timezone=(form.get("timezone") or "").strip(), misfire_policy=form["misfire"],
                      misfire_deadline_seconds=deadline)
        stored = timer and (timer.rule_text, timer.timezone, timer.misfire_policy, timer.misfire_deadline_seconds)
        if stored != (str(parse_rule(text)), *fields.values()):   # an unchanged rule keeps its place
            timer = triggers.save_timer(p, text, actor(), rule=timer, **fields)
        said.append(f"{timer.rule_text} ({timer.timezone or zone_label('')})")
    else:
        for timer in timers:
            triggers.delete_timer(timer, actor())
        said.append(_("no timed rule"))
    if form["concurrency"] != p.concurrency_policy:
        triggers.set_concurrency(p, form["concurrency"], actor())
    said.append(_("concurrency {policy}", policy=form["concurrency"]))
    message = _("Saved the trigger rules of '{name}': {details}.", name=p.name, details="; ".join(said))
    if not p.is_active:
        message += " " + _("It is deactivated: these start nothing until it is activated.")
    return message, secret


def new_secret(p: Pipeline, form_events) -> str:
    """Replace the webhook secret (creating the webhook with the ticked events if there is none)."""
    require("edit", p)
    hook = _webhook(p)
    events = _events(hook) if hook is not None else [e for e in EVENTS if e in (form_events or ())]
    _rule, secret = triggers.save_webhook(p, actor(), push="push" in events, merge="merge" in events,
                                      tag="tag" in events, new_secret=True)
    return secret


def remove_timer(p: Pipeline) -> str:
    require("edit", p)
    timers = triggers.timers(p)
    for timer in timers:
        triggers.delete_timer(timer, actor())
    return (_("Removed the timed rule of '{name}'.", name=p.name) if timers
            else _("'{name}' had no timed rule.", name=p.name))
