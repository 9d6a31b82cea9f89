"""The "edit trigger rules" dialog: webhook events with the URLs and the secret to paste
into the forge, a timed rule with its next fire times (or the parser's error) shown while
it is typed, the misfire and concurrency policies; save, and remove the timed rule.

It sits on the pipeline detail page and opens from its "Edit trigger rules" button or
when the page is reached at `#triggers` (the "Trigger rules" entry of every More menu).
The URLs come from the host the browser asked. The webhook secret is sent to the browser
only in the answer to the click that made it (first save with an event, or "New secret");
reopening the dialog or reloading the page never shows it again. All data and writes go
through dashboard.triggers.form. The callbacks are declared on `wiring` and registered by
the page that shows the dialog (pages/pipeline_detail.py calls `wiring.register()`).
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.components import error_alert, ok_alert
from dashboard.triggers import form
from dashboard.triggers.choices import concurrency_options, event_options, misfire_options, rule_help
from dashboard.triggers.records import inactive_text
from dashboard.wiring import Callbacks
from models import account_settings, forge_hooks, pipelines
from models.i18n import _

wiring = Callbacks()


def _labelled(label, control, *extra, **kwargs):
    return html.Div([dbc.Label(label, html_for=control.id), control, *extra], className="mb-2", **kwargs)


def dialog() -> html.Div:
    return html.Div([
        dcc.Location(id=ids.TRIG_LOCATION, refresh=False), dcc.Store(id=ids.TRIG_PIPELINE),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle(id=ids.TRIG_TITLE)),
            dbc.ModalBody([
                html.Div(id=ids.TRIG_INACTIVE),
                html.H6(_("Webhooks (GitHub, GitLab)")),
                dbc.Checklist(id=ids.TRIG_EVENTS, options=event_options(), value=[], inline=True, className="mb-2"),
                html.Div(id=ids.TRIG_URLS, className="small mb-2"),
                html.Div(id=ids.TRIG_SECRET, className="small mb-2"),
                html.Button(_("New secret"), id=ids.TRIG_NEW_SECRET, className="btn btn-sm btn-outline-warning mb-3"),
                html.H6(_("Timed rule")),
                _labelled(_("Rule"), dbc.Input(id=ids.TRIG_RULE, type="text", placeholder=_("e.g. daily at 09:30")),
                          dbc.FormFeedback(id=ids.TRIG_RULE_FEEDBACK, type="invalid"), dbc.FormText(rule_help())),
                _labelled(_("Timezone (IANA name; empty: the server's)"), dbc.Input(id=ids.TRIG_TZ, type="text"),
                          dbc.FormFeedback(id=ids.TRIG_TZ_FEEDBACK, type="invalid")),
                html.Div(id=ids.TRIG_PREVIEW, className="trig-preview small mb-2"),
                dbc.Row([
                    dbc.Col(_labelled(_("Fire times missed while the daemon was down"),
                                      dbc.Select(id=ids.TRIG_MISFIRE, options=misfire_options(), value="skip")), md=8),
                    dbc.Col(_labelled(_("Deadline (minutes)"), dbc.Input(id=ids.TRIG_DEADLINE, type="number", min=1,
                                                                      step=1), id=ids.TRIG_DEADLINE_GROUP), md=4),
                ]),
                html.Button(_("Remove timed rule"), id=ids.TRIG_REMOVE_TIMER, className="btn btn-sm btn-outline-danger mb-3"),
                html.H6(_("Overlap")),
                _labelled(_("When a trigger fires while a run is still active"),
                          dbc.Select(id=ids.TRIG_CONCURRENCY, options=concurrency_options(), value="allow")),
            ]),
            dbc.ModalFooter([html.Div(id=ids.TRIG_MESSAGE, className="me-auto flex-grow-1"),
                             dbc.Button(_("Close"), id=ids.TRIG_CANCEL, color="secondary", outline=True),
                             dbc.Button(_("Save"), id=ids.TRIG_SAVE, color="primary")]),
        ], id=ids.TRIG_DIALOG, is_open=False, size="lg", scrollable=True),
    ])


def urls_block(base_url: str, managed: bool = False):
    urls = form.hook_urls(base_url)
    note = [dbc.Alert(_("This pipeline's repository is reached through a code repository account: Millrace "
                        "registers one webhook for the repository itself when an event is ticked, and removes it "
                        "when no pipeline needs it (see “Webhook on the forge”). The URLs and secret below are "
                        "only for a webhook added by hand."), color="info", className="py-2 managed-hook-note")] \
        if managed else []
    return html.Div([*note,
        html.Div([_("GitHub payload URL: "), html.Code(urls["github"], className="hook-url-github"),
                  _(" (content type application/json; the secret goes in “Secret”)")]),
        html.Div([_("GitLab URL: "), html.Code(urls["gitlab"], className="hook-url-gitlab"),
                  _(" (the secret goes in “Secret token”)")]),
    ])


def secret_block(secret: str | None, has_webhook: bool):
    if not secret:
        return html.Span(form.secret_text(has_webhook), className="text-muted secret-note")
    return dbc.Alert([html.Strong(_("Secret, shown only this once: copy it into the forge now. ")),
                      html.Code(secret, id=ids.TRIG_SECRET_VALUE, className="user-select-all"),
                      dcc.Clipboard(target_id=ids.TRIG_SECRET_VALUE, className="d-inline-block ms-2")],
                     color="info", className="secret-once mb-0")


OPEN_OUTPUTS = [Output(ids.TRIG_DIALOG, "is_open"), Output(ids.TRIG_TITLE, "children"),
                Output(ids.TRIG_PIPELINE, "data"), Output(ids.TRIG_INACTIVE, "children"),
                Output(ids.TRIG_EVENTS, "value"), Output(ids.TRIG_URLS, "children"), Output(ids.TRIG_SECRET, "children"),
                Output(ids.TRIG_RULE, "value"), Output(ids.TRIG_TZ, "value"), Output(ids.TRIG_TZ, "placeholder"),
                Output(ids.TRIG_MISFIRE, "value"), Output(ids.TRIG_DEADLINE, "value"),
                Output(ids.TRIG_CONCURRENCY, "value"), Output(ids.TRIG_REMOVE_TIMER, "disabled"),
                Output(ids.TRIG_MESSAGE, "children"), Output(ids.TRIG_LOCATION, "hash")]


@wiring.callback(*OPEN_OUTPUTS, Input(ids.TRIG_LOCATION, "hash"), Input(ids.TRIG_OPEN, "n_clicks"),
                 State(ids.DETAIL_ID, "data"))
def open_dialog(hash_, clicks, pipeline_id):
    # The button re-rendered by the page's poll fires with n_clicks None: only a real click counts.
    if (ctx.triggered_id == ids.TRIG_OPEN and not clicks) or (ctx.triggered_id != ids.TRIG_OPEN
                                                              and hash_ != "#triggers") or not pipeline_id:
        return (no_update,) * len(OPEN_OUTPUTS)
    p = pipelines.get(int(pipeline_id))
    v = form.load(p)
    inactive = None if p.is_active else dbc.Alert(inactive_text(p.name), color="warning", className="py-2")
    return (True, _("Trigger rules of {name}", name=p.name), p.id, inactive, v["events"],
            urls_block(account_settings.public_url(), forge_hooks.is_managed(p)),
            secret_block(None, v["has_webhook"]), v["rule"], v["timezone"],
            _("server's zone: {zone}", zone=form.server_zone_name()),
            v["misfire"], v["deadline"], v["concurrency"], not v["has_timer"], None, "")


@wiring.callback(Output(ids.TRIG_PREVIEW, "children"), Output(ids.TRIG_RULE, "invalid"),
                 Output(ids.TRIG_RULE_FEEDBACK, "children"), Output(ids.TRIG_TZ, "invalid"),
                 Output(ids.TRIG_TZ_FEEDBACK, "children"), Input(ids.TRIG_RULE, "value"), Input(ids.TRIG_TZ, "value"))
def show_preview(text, tz_name):
    lines, rule_error, tz_error = form.preview_lines(text, tz_name)
    if lines:
        shown = [html.Div(_("Next fire times:"), className="fw-semibold"),
                 html.Ol([html.Li(line) for line in lines], className="mb-0 preview-times")]
    elif not (text or "").strip():
        shown = html.Span(_("No timed rule."), className="text-muted")
    else:
        shown = None
    return shown, bool(rule_error), rule_error, bool(tz_error), tz_error


@wiring.callback(Output(ids.TRIG_DEADLINE_GROUP, "hidden"), Input(ids.TRIG_MISFIRE, "value"))
def show_deadline(misfire):
    return misfire != "run_once"


@wiring.callback(Output(ids.TRIG_DIALOG, "is_open", allow_duplicate=True),
                 Output(ids.TRIG_MESSAGE, "children", allow_duplicate=True),
                 Output(ids.TRIG_SECRET, "children", allow_duplicate=True),
                 Output(ids.TRIG_REMOVE_TIMER, "disabled", allow_duplicate=True),
                 Output(ids.FEEDBACK, "children", allow_duplicate=True),
                 Output(ids.ACTION_DONE, "data", allow_duplicate=True),
                 Input(ids.TRIG_SAVE, "n_clicks"), Input(ids.TRIG_CANCEL, "n_clicks"), State(ids.TRIG_PIPELINE, "data"),
                 State(ids.TRIG_EVENTS, "value"), State(ids.TRIG_RULE, "value"), State(ids.TRIG_TZ, "value"),
                 State(ids.TRIG_MISFIRE, "value"), State(ids.TRIG_DEADLINE, "value"),
                 State(ids.TRIG_CONCURRENCY, "value"), State(ids.ACTION_DONE, "data"), prevent_initial_call=True)
def save_or_close(_save, _close, pipeline_id, events, rule, tz_name, misfire, deadline, concurrency, done):
    # The modal's buttons fire with n_clicks None when it first shows them: only a real click counts.
    if not (_close if ctx.triggered_id == ids.TRIG_CANCEL else _save):
        return (no_update,) * 6
    if ctx.triggered_id == ids.TRIG_CANCEL or not pipeline_id:
        return False, None, no_update, no_update, no_update, no_update
    values = dict(events=events or [], rule=rule or "", timezone=tz_name or "", misfire=misfire, deadline=deadline,
                  concurrency=concurrency)
    try:
        message, secret = form.save(pipelines.get(int(pipeline_id)), values)
    except form.FormError as err:
        said = [html.Div(_("{field}: {problem}", field=form.field_label(field), problem=text))
                for field, text in err.problems.items()]
        return True, error_alert([html.Strong(_("Nothing was saved. ")), *said]), no_update, no_update, no_update, no_update
    except Exception as exc:  # the model's words; the form keeps what was typed
        return (True, error_alert(_("Saving stopped part-way: {error}. Reopen the dialog to see what is stored.",
                                 error=str(exc))),
                no_update, no_update, no_update, (done or 0) + 1)
    has_timer = bool(values["rule"].strip())
    if secret:  # stay open: this answer is the only time the secret is shown
        return True, ok_alert(message), secret_block(secret, True), not has_timer, no_update, (done or 0) + 1
    return False, None, no_update, not has_timer, ok_alert(message), (done or 0) + 1


@wiring.callback(Output(ids.TRIG_SECRET, "children", allow_duplicate=True),
                 Output(ids.TRIG_MESSAGE, "children", allow_duplicate=True),
                 Output(ids.ACTION_DONE, "data", allow_duplicate=True), Input(ids.TRIG_NEW_SECRET, "n_clicks"),
                 State(ids.TRIG_PIPELINE, "data"), State(ids.TRIG_EVENTS, "value"), State(ids.ACTION_DONE, "data"),
                 prevent_initial_call=True)
def make_new_secret(clicks, pipeline_id, events, done):
    if not clicks or not pipeline_id:
        return no_update, no_update, no_update
    try:
        secret = form.new_secret(pipelines.get(int(pipeline_id)), events)
    except Exception as exc:
        return no_update, error_alert(str(exc)), no_update
    return secret_block(secret, True), None, (done or 0) + 1


@wiring.callback(Output(ids.TRIG_RULE, "value", allow_duplicate=True),
                 Output(ids.TRIG_REMOVE_TIMER, "disabled", allow_duplicate=True),
                 Output(ids.TRIG_MESSAGE, "children", allow_duplicate=True),
                 Output(ids.ACTION_DONE, "data", allow_duplicate=True), Input(ids.TRIG_REMOVE_TIMER, "n_clicks"),
                 State(ids.TRIG_PIPELINE, "data"), State(ids.ACTION_DONE, "data"), prevent_initial_call=True)
def remove_timer(clicks, pipeline_id, done):
    if not clicks or not pipeline_id:
        return no_update, no_update, no_update, no_update
    try:
        message = form.remove_timer(pipelines.get(int(pipeline_id)))
    except Exception as exc:
        return no_update, no_update, error_alert(str(exc)), no_update
    return "", True, ok_alert(message), (done or 0) + 1
