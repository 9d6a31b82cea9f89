"""The manual's permission matrix (PRODUCT.md §8) in a real browser, one test per role: an
administrator, a project administrator and a member each see exactly their row, in the
page (which pipelines are listed, which buttons and menu items each row offers, the Create
menu, the Clusters page and its controls) and on the server (the intent of every cell posted
straight to the confirm callback from the page's own origin, as a hand-made request would be:
refused cells answer "you cannot …" and change nothing, allowed ones are carried out).

Setup: projects alpha and beta; the role is held in alpha; the user owns `mine-<role>` in
alpha; the tester (an administrator) owns `theirs-alpha` and `theirs-beta`.
"""
from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from dashboard import ids
from tests.browser.conftest import sign_in, via_models
from tests.browser.pages import Page
from tests.conftest import wait_for
from tests.permission_rows import ALL, ROWS

pytestmark = pytest.mark.slow

PASSWORD = "a matrix password"
SCRIPT = """name: {name}
stages:
  - name: S
    tasks:
      - {{name: t, type: script, image: busybox, script: "echo {name}"}}
"""
# The intents posted, with the matrix row each belongs to (edit: the Advanced settings intent).
POSTED = {"run": "acts", "copy": "acts", "deactivate": "acts", "settings": "edits"}

# Posts one callback the way dash-renderer does, picked by one of its inputs; answers [status, body].
POST_JS = """
const [inputId, values, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
fetch('/_dash-dependencies').then(r => r.json()).then(deps => {
  const dep = deps.find(d => d.inputs.some(i => i.id === inputId));
  const parse = spec => (spec.startsWith('..') ? spec.slice(2, -2).split('...') : [spec]).map(p => {
    const at = p.lastIndexOf('.'), key = p.slice(0, at);
    return {id: key.startsWith('{') ? JSON.parse(key) : key, property: p.slice(at + 1)};
  });
  const arg = it => it.id.startsWith('{') ? [] : {id: it.id, property: it.property,
                                                  value: values[it.id + '.' + it.property] ?? null};
  const outs = parse(dep.output);
  const body = {output: dep.output, outputs: dep.output.startsWith('..') ? outs : outs[0],
                inputs: dep.inputs.map(arg), state: dep.state.map(arg), changedPropIds: [inputId + '.n_clicks']};
  return fetch('/_dash-update-component', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                           body: JSON.stringify(body)})
    .then(async r => done([r.status, await r.text()]));
});
"""


def confirm_post(page: Page, pending: dict, **values) -> str:
    """The confirm callback posted with `pending` as the dialog's stored intent; its answer's text."""
    sent = {f"{ids.DIALOG_CONFIRM}.n_clicks": 1, f"{ids.DIALOG_PENDING}.data": pending, f"{ids.ACTION_DONE}.data": 0,
            **{f"{k}.value": v for k, v in values.items()}}
    status, body = page.driver.execute_async_script(POST_JS, ids.DIALOG_CONFIRM, sent)
    assert status == 200, body[:500]
    return json.dumps(json.loads(body)["response"])


IDLE = ("__import__('models.tables', fromlist=['Run']).Run.select().where(__import__('models.tables', "
        "fromlist=['Run']).Run.status.in_(list(__import__('models.status', fromlist=['ACTIVE']).ACTIVE))).count()")


def wait_idle(millrace) -> None:
    """The runs the posts queued have ended (a pipeline with an active run is not deleted)."""
    wait_for(lambda: via_models(millrace, IDLE) == 0, message="the queued runs to finish")


@pytest.fixture(scope="module")
def projects(millrace, daemon):
    for name in ("alpha", "beta"):
        millrace.cli("project", "add", name)
    for project in ("alpha", "beta"):
        millrace.cli("apply", "--project", project, "-f", "-", stdin=SCRIPT.format(name=f"theirs-{project}"))
    yield
    wait_idle(millrace)
    for name in ("theirs-alpha", "theirs-beta"):
        millrace.cli("delete", name, "--yes")


@pytest.fixture
def signed_in_as(chrome, millrace, projects, request):
    """A browser signed in as a new user holding `role`; the tester's session is back after."""
    role = request.param
    user = "u-" + role.split()[0][:7]
    millrace.cli("user", "add", user, "--password-stdin", "--no-forced-change",
                 *(["--admin"] if role == "administrator" else []), stdin=PASSWORD)
    if role != "administrator":
        millrace.cli("project", "role", "alpha", user, "project_admin" if role == "project administrator" else "member")
    mine = f"mine-{user}"
    millrace.cli("--as", user, "apply", "--project", "alpha", "-f", "-", stdin=SCRIPT.format(name=mine))
    chrome.delete_all_cookies()
    sign_in(chrome, millrace.url, user, PASSWORD)
    try:
        yield Page(chrome, millrace.url), role, {"mine": mine, "theirs-alpha": "theirs-alpha",
                                                 "theirs-beta": "theirs-beta"}
    finally:
        chrome.delete_all_cookies()
        sign_in(chrome, millrace.url)
        wait_idle(millrace)
        for name in via_models(millrace, f"[p.name for p in pipelines.live() if p.name.startswith('{mine}')]"):
            millrace.cli("delete", name, "--yes")
        millrace.cli("user", "disable", user)


def ids_of(millrace, names) -> dict:
    return via_models(millrace, "{p.name: p.id for p in pipelines.live()}")


def menu_actions(page: Page, name: str) -> set[str]:
    """The actions the row's More menu offers (opened, read, closed). Through `page.click`,
    which centres the toggle first: after the whole suite's pipelines the row is far down the
    list, and a toggle clicked at the window's edge is covered (chromium: "click intercepted")."""
    toggle = f'{page.row(name)} .more-menu .dropdown-toggle'
    if not page.all(toggle):
        return set()
    shown = "return [...document.querySelectorAll('.dropdown-menu.show .dropdown-item')].map(e => e.id || e.href);"
    page.click(toggle)
    found = wait_for(lambda: page.driver.execute_script(shown), message="the open More menu")
    # Escape, not a second click: a poll may already have closed it, and a click would reopen it
    wait_for(lambda: ActionChains(page.driver).send_keys(Keys.ESCAPE).perform()
             or not page.driver.execute_script(shown), message="the More menu to close")
    return {json.loads(i)["action"] if i.startswith("{") else "edit" if i.endswith("/edit") else "triggers"
            for i in found}


@pytest.mark.parametrize("signed_in_as", list(ROWS), indirect=True)
def test_each_role_sees_and_may_do_exactly_its_row(millrace, signed_in_as):
    page, role, named = signed_in_as
    seen, creates, acts, edits, clusters_page = ROWS[role]
    page.open("/pipelines", ready=f"#{ids.LIST_TABLE}")
    page.wait_text(f"#{ids.LIST_TABLE}", named["mine"])
    listed = page.text_of(f"#{ids.LIST_TABLE}")
    assert {k for k in ALL if named[k] in listed} == set(seen)                       # see pipelines
    assert bool(page.all(f"#{ids.LIST_CREATE_MENU}")) is creates                    # create from scratch
    for key in seen:
        offered = menu_actions(page, named[key])
        has_run = bool(page.all(f'{page.row(named[key])} button[data-action="run"]'))
        assert has_run is (key in acts), (key, "run")                                # run / stop
        assert {"copy", "deactivate", "delete"} <= offered if key in acts else not offered & {"copy", "delete"}
        assert ("edit" in offered and "settings" in offered) is (key in edits), (key, offered)
    # the server decides every cell again: each intent posted straight to the confirm callback
    pipeline_ids = ids_of(millrace, named)
    before = via_models(millrace, "pipelines.live().count()")
    for key in ALL:
        for action, row in POSTED.items():
            allowed = key in (acts if row == "acts" else edits)
            pending = {"action": action, "pipeline": pipeline_ids[named[key]], "run": None}
            answer = confirm_post(page, pending, **{ids.DIALOG_NAME: f"{named['mine']}-copy-{key}",
                                                    ids.DIALOG_TIMEOUT: "30"})
            assert ("you cannot" in answer) is not allowed, (key, action, answer[:300])
        if key in acts:
            confirm_post(page, {"action": "activate", "pipeline": pipeline_ids[named[key]], "run": None})
    copies = sum(1 for k in ALL if k in acts)
    assert via_models(millrace, "pipelines.live().count()") == before + copies
    # delete: posted where refused (carried out only on the user's own pipeline, at the end)
    for key in ("theirs-alpha", "theirs-beta", "mine"):
        if key in acts and key != "mine":
            continue
        answer = confirm_post(page, {"action": "delete", "pipeline": pipeline_ids[named[key]], "run": None})
        assert ("you cannot" in answer) is (key not in acts), (key, answer[:300])
    # clusters: administrators add and remove; project administrators see their projects' clusters
    nav = page.text_of(f"#{ids.NAV_COLLAPSE}")
    assert ("Clusters" in nav) is clusters_page
    page.driver.get(millrace.url + "/clusters")
    if clusters_page:
        page.wait_text("h2", "Clusters")
        assert bool(page.all(f"#{ids.CLUSTER_ADD}")) is (role == "administrator")
    else:
        page.wait_text(".alert", "Only administrators and project administrators can see clusters.")
    if role != "administrator":              # adding a cluster, posted by hand: refused at the gate
        status, _body = page.driver.execute_async_script(POST_JS, ids.CLUSTER_ADD, {f"{ids.CLUSTER_ADD}.n_clicks": 1})
        assert status == 403
