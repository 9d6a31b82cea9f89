"""The pieces of the settings page (`/settings`): the registry table and "add a registry"
form, the chart repository form, the daemon settings form, and where each model error
belongs. (The cluster choice a pipeline offers is dashboard.placement's.)

Everything here reads models/ and builds components; nothing writes. A registry's
password is never put into a component: the table says only whether one is stored.
"""
from __future__ import annotations

import re

import dash_bootstrap_components as dbc
from dash import html

from dashboard import ids
from dashboard.components import sentence
from models import daemon_state, registries
from models.i18n import N_, _

# Choices that mean "nothing chosen" get a value no name can have: a dbc.Select keeps "" for its placeholder.
NO_RUNTIME = "(none)"            # container_runtime "": run scripts on this machine's shell
BY_HOST = "(same host)"          # chart repository: the registry with the same host
RUNTIMES = ((NO_RUNTIME, N_("none: run scripts on this machine's shell")), ("podman", "podman"), ("docker", "docker"))
NETWORK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")      # what the local executor accepts


def registry_rows() -> list[dict]:
    """The registries as plain data, without their secrets."""
    return [{"name": r.name, "url": r.url, "username": r.username or "", "insecure": r.insecure,
             "ca": bool(r.ca_cert), "default": r.is_default, "password": bool(r.password_sealed)}
            for r in registries.all_registries()]


def _button(label: str, action: str, name: str, colour: str, **kwargs) -> html.Button:
    return html.Button(label, id={"type": ids.REGISTRY_ACTION, "action": action, "registry": name},
                       className=f"btn btn-sm btn-outline-{colour} me-1", **{"data-action": action}, **kwargs)


def tls_text(r: dict) -> str:
    """What the TLS column says: an http:// registry has no TLS at all, whatever its flag (issue 12)."""
    if r["url"].startswith("http://"):
        return _("none: plain HTTP")
    if r["insecure"]:
        return _("insecure (certificate not checked)")
    return _("verified, own CA") if r["ca"] else _("verified")


def registries_table(data: list[dict]):
    if not data:
        return dbc.Alert(_("No container registry is configured: image and chart tasks need one. Add it below."),
                         color="info", className="registries-none")
    head = html.Thead(html.Tr([html.Th(h) for h in (_("Registry"), "URL", _("User"), _("Password"), "TLS", "")]))
    body = [html.Tr([
        html.Td([html.Span(r["name"], className="registry-name fw-semibold"),
                 dbc.Badge(_("default"), color="primary", className="ms-2 registry-default") if r["default"] else None]),
        html.Td(html.Code(r["url"], className="registry-url")),
        html.Td(r["username"] or _("– (anonymous)"), className="registry-user"),
        html.Td(_("stored") if r["password"] else "–", className="registry-password"),
        html.Td(tls_text(r), className="registry-tls"),
        html.Td([_button(_("Make default"), "default", r["name"], "primary", disabled=r["default"]),
                 _button(_("Remove"), "remove", r["name"], "danger")], className="text-nowrap text-end"),
    ], **{"data-registry": r["name"]}) for r in data]
    return dbc.Table([head, html.Tbody(body)], hover=True, responsive=True, className="registries-table align-middle")


def _control(label: str, control, error_id: str | None = None, help_text: str | None = None, **col) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=control.id), control,
                    dbc.FormFeedback(id=error_id, type="invalid") if error_id else None,
                    dbc.FormText(help_text) if help_text else None], className="mb-2", **col)


def registry_form() -> list:
    err = ids.REGISTRY_ERRORS
    return [
        dbc.Row([_control("URL", dbc.Input(id=ids.REGISTRY_URL,
                                           placeholder=_("registry.example.com or http://127.0.0.1:5000")),
                          err[ids.REGISTRY_URL], md=6),
                 _control(_("Name (blank: from the URL's host)"), dbc.Input(id=ids.REGISTRY_NAME, placeholder="main"),
                          err[ids.REGISTRY_NAME], md=6)]),
        dbc.Row([_control(_("Username"), dbc.Input(id=ids.REGISTRY_USERNAME, autoComplete="off"),
                          err[ids.REGISTRY_USERNAME], md=6),
                 _control(_("Password or token"), dbc.Input(id=ids.REGISTRY_PASSWORD, type="password",
                                                            autoComplete="new-password"),
                          err[ids.REGISTRY_PASSWORD], help_text=_("Stored encrypted; never shown again."), md=6)]),
        _control(_("CA certificate (PEM, optional: for a registry signed by your own CA)"),
                 dbc.Textarea(id=ids.REGISTRY_CA, rows=3, className="font-monospace",
                              placeholder="-----BEGIN CERTIFICATE-----"), err[ids.REGISTRY_CA]),
        dbc.Checkbox(id=ids.REGISTRY_INSECURE, value=False, className="mb-1",
                     label=_("Insecure: plain HTTP, or HTTPS without certificate checks")),
        dbc.Checkbox(id=ids.REGISTRY_ANYWAY, value=False, className="mb-1",
                     label=_("Add it even if it does not answer now (it is checked on add, for 3 s)")),
        dbc.Checkbox(id=ids.REGISTRY_DEFAULT, value=False, className="mb-2",
                     label=_("Make it the default (used when a task names no registry)")),
        html.P(sentence(_("Images are pushed to {path}; the workspace is the path prefix each build task names."),
                        path=html.Code("<registry>/<workspace>/<image>:<tag>")), className="small text-muted"),
        dbc.Button(_("Add registry"), id=ids.REGISTRY_ADD, color="primary"),
    ]


def registry_error_control(message: str) -> str | None:
    """Which control of the add form a model error is about (None: the form as a whole), from
    its English words (settings passes `i18n.english()` of the error: the same in any language)."""
    if message.startswith(("registry name", "a registry named")):
        return ids.REGISTRY_NAME
    if message.startswith("registry URL"):
        return ids.REGISTRY_URL
    if "needs a username" in message:
        return ids.REGISTRY_USERNAME
    if message.startswith("registry password"):
        return ids.REGISTRY_PASSWORD
    if "CA certificate" in message:
        return ids.REGISTRY_CA
    return None


def default_name(url: str) -> str:
    """A registry name from its URL's host (`http://127.0.0.1:5000/x` → `127.0.0.1-5000`)."""
    return re.sub(r"^[a-z]+://", "", (url or "").strip()).split("/")[0].replace(":", "-")


def chart_repo_text():
    repo = registries.chart_repository()
    if repo is None:
        return _("No chart repository is set: build & publish chart and deploy chart tasks need one.")
    used = registries.chart_registry(repo)
    return [html.Code(repo.url, className="chart-repo-url"), " — ",
            _("credentials and TLS settings of registry '{name}'", name=used.name) if used
            else _("no registry's settings (anonymous, TLS verified)")]


def chart_registry_options() -> list[dict]:
    return [{"label": _("the registry with the same host, if any"), "value": BY_HOST}] + \
        [{"label": r.name, "value": r.name} for r in registries.all_registries()]


def chart_repo_form() -> list:
    repo = registries.chart_repository()
    return [
        html.P(chart_repo_text(), id=ids.CHART_REPO_CURRENT),
        dbc.Row([_control(_("OCI path or HTTP repository URL"), dbc.Input(
                    id=ids.CHART_REPO_URL, value=repo.url if repo else "",
                    placeholder=_("oci://registry.example.com/charts or https://charts.example.com/stable")),
                          ids.CHART_REPO_URL_ERROR, md=7),
                 _control(_("Credentials from"), dbc.Select(id=ids.CHART_REPO_REGISTRY, options=chart_registry_options(),
                                                         value=repo.registry.name if repo and repo.registry_id else BY_HOST),
                          md=5)]),
        dbc.Button(_("Save chart repository"), id=ids.CHART_REPO_SAVE, color="primary"),
    ]


def daemon_form() -> list:
    runtime = daemon_state.get_setting("container_runtime") or NO_RUNTIME
    choices = RUNTIMES if runtime in dict(RUNTIMES) else \
        RUNTIMES + ((runtime, N_("{runtime} (not usable)", runtime=runtime)),)
    return [
        dbc.Row([_control(_("Task slots"), dbc.Input(id=ids.DAEMON_TASK_SLOTS,
                                                     value=daemon_state.get_setting("task_slots"), inputMode="numeric"),
                          ids.DAEMON_TASK_SLOTS_ERROR, _("How many tasks run at once on this machine."), md=3),
                 _control(_("Container runtime for run-script tasks"),
                          dbc.Select(id=ids.DAEMON_RUNTIME, value=runtime,
                                     options=[{"label": str(t), "value": v} for v, t in choices]),
                          help_text=_("With one, local scripts run inside their task's image."), md=5),
                 _control(_("Container network"), dbc.Input(id=ids.DAEMON_NETWORK,
                                                            value=daemon_state.get_setting("container_network")),
                          ids.DAEMON_NETWORK_ERROR, _("bridge, host, none, or a network's name."), md=4)]),
        dbc.Row([_control(_("Image builder on clusters (kaniko)"),
                          dbc.Input(id=ids.DAEMON_KANIKO, value=daemon_state.get_setting("kaniko_image")),
                          ids.DAEMON_KANIKO_ERROR, _("A kaniko :debug image (it needs /bin/sh); build-image tasks "
                                                     "of pipelines that run on a cluster use it."), md=6),
                 _control(_("Checkout time limit (minutes)"),
                          dbc.Input(id=ids.DAEMON_CHECKOUT_TIMEOUT, inputMode="decimal",
                                    value=daemon_state.get_setting("checkout_timeout_minutes")),
                          ids.DAEMON_CHECKOUT_TIMEOUT_ERROR, _("A run's checkout that takes longer fails, naming the "
                                                               "repository (0.5 = 30 seconds)."), md=3),
                 _control(_("Log cap per task (MB)"),
                          dbc.Input(id=ids.DAEMON_LOG_CAP, inputMode="numeric",
                                    value=daemon_state.get_setting("log_cap_mb")),
                          ids.DAEMON_LOG_CAP_ERROR, _("Output past it is not kept (the log says so); the task "
                                                      "runs on. 1 to {max}.", max=daemon_state.MAX_LOG_CAP_MB), md=3)]),
        html.P(_("The daemon reads these within seconds; running tasks are not affected."), className="small text-muted"),
        dbc.Button(_("Save daemon settings"), id=ids.DAEMON_SAVE, color="primary"),
    ]


def daemon_errors(task_slots: str, network: str, kaniko_image: str = "x",
                  checkout_timeout: str = "10", log_cap: str = "64") -> dict[str, str]:
    """Problems with the daemon settings, by control id (task_slots, the checkout limit and
    the log cap in the model's words: the CLI refuses the same values with the same message)."""
    errors = {}
    if problem := daemon_state.checkout_timeout_problem(checkout_timeout):
        errors[ids.DAEMON_CHECKOUT_TIMEOUT] = str(problem)      # the model's message, in the reader's language
    if problem := daemon_state.log_cap_problem(log_cap):
        errors[ids.DAEMON_LOG_CAP] = str(problem)
    if not kaniko_image.strip():
        errors[ids.DAEMON_KANIKO] = _("kaniko_image must name an image (a kaniko :debug image, which has /bin/sh)")
    if not task_slots.isdigit() or int(task_slots) < 1:
        errors[ids.DAEMON_TASK_SLOTS] = _("task_slots must be a whole number of at least 1")
    if not NETWORK.match(network):
        errors[ids.DAEMON_NETWORK] = _("a network name: letters, digits, '_', '.', ':' or '-' (e.g. bridge, host, none)")
    return errors
