"""The door over HTTP (Flask's test client on the real app and a real SQLite home): every
route and every callback, enumerated from the app, answers 401 without a session except
the webhook receiver, health and the login page; sign-in, origin, host and token rules."""
from __future__ import annotations

import json
import re

import pytest

from models import accounts, api_tokens

PASSWORD = "correct horse battery"
ORIGIN = {"Origin": "http://127.0.0.1"}


@pytest.fixture
def app(home):
    from dashboard import auth
    from dashboard.app import create_app
    dash_app = create_app(home)
    if "login" not in dash_app.server.view_functions:
        auth.install(dash_app)
    accounts.create("root", PASSWORD, "tester", is_admin=True, must_change=False)
    accounts.create("mia", PASSWORD, "tester", must_change=False)
    dash_app.server.test_client().get("/api/health", base_url="http://127.0.0.1")   # Dash collects its callbacks
    return dash_app


@pytest.fixture
def client(app):
    return app.server.test_client()


def sign_in(client, username="root", password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password}, headers=ORIGIN,
                       base_url="http://127.0.0.1")


def concrete(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "1" if "id" in m.group(1) else "x", rule.rule)


OPEN = {("POST", "/hooks/<provider>"), ("POST", "/hooks/repository/<int:hook_id>"),   # signed by the forge
        ("GET", "/api/health"), ("GET", "/login"), ("POST", "/login"),
        ("GET", "/lang/<code>")}          # sets a cookie, goes back to a path of this site


def test_every_route_without_a_session_is_refused(app, client):
    checked = 0
    for rule in app.server.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) in OPEN:
                continue
            answer = client.open(concrete(rule), method=method, headers=ORIGIN, base_url="http://127.0.0.1")
            if rule.rule.startswith("/assets/") and concrete(rule).endswith("bootstrap-5.3.8.min.css"):
                continue
            assert answer.status_code in (401, 303), (method, rule.rule, answer.status_code)
            if answer.status_code == 303:
                assert answer.headers["Location"].startswith("/login"), rule.rule
            checked += 1
    assert checked >= 10


def test_every_callback_without_a_session_is_401_and_changes_nothing(app, client):
    outputs = list(app.callback_map)
    assert len(outputs) > 20
    for output in outputs:
        answer = client.post("/_dash-update-component", json={"output": output, "inputs": [], "state": []},
                             headers=ORIGIN, base_url="http://127.0.0.1")
        assert answer.status_code == 401, output


def test_sign_in_then_callbacks_answer_and_a_cross_origin_post_is_refused(app, client):
    assert sign_in(client, password="wrong").status_code == 401
    answer = sign_in(client)
    assert answer.status_code == 303
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/pipelines", base_url="http://127.0.0.1").status_code == 200
    evil = client.post("/_dash-update-component", json={"output": "x.children"}, base_url="http://127.0.0.1",
                       headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403 and "cross-origin" in evil.get_json()["error"]
    no_origin = client.post("/_dash-update-component", json={"output": "x.children"}, base_url="http://127.0.0.1")
    assert no_origin.status_code == 403


def test_a_member_cannot_post_an_administrators_callback(app, client):
    sign_in(client, "mia")
    settings = next(o for o in app.callback_map if "settings-feedback" in o)
    answer = client.post("/_dash-update-component", json={"output": settings, "inputs": [], "state": []},
                         headers=ORIGIN, base_url="http://127.0.0.1")
    assert answer.status_code == 403 and "administrators" in answer.get_json()["error"]


def test_a_forged_host_is_refused(client):
    answer = client.get("/api/health", base_url="http://evil.example")
    assert answer.status_code == 400 and "evil.example" in answer.get_json()["error"]


def test_a_forced_password_change_comes_first(app, client):
    accounts.create("new", PASSWORD, "tester")
    assert sign_in(client, "new").headers["Location"] == "/password"
    assert client.get("/pipelines", base_url="http://127.0.0.1", headers={"Accept": "text/html"}).headers[
        "Location"] == "/password"
    answer = client.post("/password", data={"current": PASSWORD, "new": PASSWORD + "2", "again": PASSWORD + "2"},
                         headers=ORIGIN, base_url="http://127.0.0.1")
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    assert client.get("/pipelines", base_url="http://127.0.0.1").status_code == 200


def test_tokens_open_the_api_within_their_scope(app, client, home):
    _, value = api_tokens.create(accounts.get("root"), "script", ["read"])
    bearer = {"Authorization": f"Bearer {value}"}
    assert client.get("/api/runs/1/log", headers=bearer, base_url="http://127.0.0.1").status_code == 404
    assert client.get("/api/runs/1/log", headers={"Authorization": "Bearer mrt_nope"},
                      base_url="http://127.0.0.1").status_code == 401
    settings = next(o for o in app.callback_map if "settings-feedback" in o)
    answer = client.post("/_dash-update-component", json={"output": settings}, headers=bearer,
                         base_url="http://127.0.0.1")
    assert answer.status_code == 403 and "scopes" in answer.get_json()["error"]
    api_tokens.revoke(accounts.get("root"), "script", "root")
    assert client.get("/api/runs/1/log", headers=bearer, base_url="http://127.0.0.1").status_code == 401


def test_failed_sign_ins_are_throttled_and_audited(client):
    from models.tables import AuditEvent
    codes = [sign_in(client, "root", "wrong").status_code for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    assert AuditEvent.select().where(AuditEvent.action == "failed login").count() == 10


def test_security_headers(app, client):
    sign_in(client)
    page = client.get("/pipelines", base_url="http://127.0.0.1")
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self' 'sha256-" in policy
    assert json.dumps(policy).count("unsafe-eval") == 0


def test_every_callback_of_the_app_is_classified(app):
    from dashboard.auth import callback_rules
    for output, entry in app.callback_map.items():
        if entry.get("callback") is not None:
            callback_rules.classify(*callback_rules.where(entry))      # raises Unclassified
    settings = [o for o, e in app.callback_map.items() if callback_rules.where(e)[0] == "dashboard.pages.settings"]
    assert settings and all(callback_rules.action_for(o, app.callback_map) == "admin" for o in settings)


def test_forwarded_headers_count_only_behind_a_configured_proxy(home, monkeypatch):
    from dashboard.app import create_app
    from models import account_settings
    account_settings.set_value("allowed_hosts", "ci.example.com", "tester")
    forwarded = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    plain = create_app(home).server.test_client()
    assert plain.get("/api/health", headers=forwarded, base_url="http://127.0.0.1").status_code == 200  # ignored
    monkeypatch.setenv("MILLRACE_TRUSTED_PROXIES", "1")
    proxied = create_app(home).server.test_client()
    assert proxied.get("/api/health", headers=forwarded, base_url="http://127.0.0.1").status_code == 400
    ok = dict(forwarded, **{"X-Forwarded-Host": "ci.example.com"})
    assert proxied.get("/api/health", headers=ok, base_url="http://127.0.0.1").status_code == 200


def test_the_webhook_urls_shown_come_from_base_url_never_from_host(app, home):
    from dashboard.triggers.panel import open_dialog  # noqa: F401  (the dialog shows account_settings.public_url)
    from models import account_settings
    account_settings.set_value("base_url", "https://ci.example.com", "tester")
    assert account_settings.public_url() == "https://ci.example.com"
    client = app.server.test_client()
    assert client.get("/api/health", base_url="http://forged.example").status_code == 400


def test_the_attacks_are_refused_for_a_member_and_audited(app, client, home):
    """The accounts issue's list, as a member who may see the pipeline (hers) but not act on it."""
    from dashboard import intents
    from models import pipelines, projects
    from models.permissions import Forbidden
    from models.tables import AuditEvent
    from tests.auth_helpers import request_as
    from tests.conftest import pipeline_spec, script_task
    projects.set_role("default", "mia", "member", "tester")
    spec = pipeline_spec("hers", stages=[{"name": "S", "tasks": [script_task("t", "id", env=[
        {"name": "TOKEN", "value": "a-secret-value-123", "secret": True}])]}])
    p = pipelines.create(spec, "mia")
    member = principal_of_user("mia")
    with request_as(app.server, principal=member):
        for pending in ({"action": "run", "pipeline": p.id}, {"action": "copy", "pipeline": p.id},
                        {"action": "create-copy", "pipeline": None}):
            with pytest.raises(Forbidden):
                intents.perform(pending, name="stolen", source=str(p.id))
        from dashboard.triggers import form
        with pytest.raises(Forbidden):
            form.new_secret(p, ["push"])                      # rotating the webhook secret
    refusals = AuditEvent.select().where((AuditEvent.action == "refused") & (AuditEvent.actor == "mia")).count()
    assert refusals == 4
    assert pipelines.live().count() == 1                      # no copy carrying the secret out
    # and anonymous: the cluster add callback (a kubeconfig exec plugin runs on this host) is 401
    add = next(o for o, e in app.callback_map.items() if e.get("callback") and e["callback"].__name__ == "add"
               and e["callback"].__module__ == "dashboard.pages.clusters")
    assert client.post("/_dash-update-component", json={"output": add}, headers=ORIGIN,
                       base_url="http://127.0.0.1").status_code == 401
    sign_in(client, "mia")
    answer = client.post("/_dash-update-component", json={"output": add}, headers=ORIGIN, base_url="http://127.0.0.1")
    assert answer.status_code == 403
    assert AuditEvent.select().where((AuditEvent.action == "refused") & (AuditEvent.actor == "mia")).count() == 5


def principal_of_user(name):
    from models.permissions import principal_of
    return principal_of(accounts.get(name))


def test_the_audit_page_and_its_csv_are_for_administrators(app, client):
    sign_in(client)
    csv_text = client.get("/audit.csv?action=login", base_url="http://127.0.0.1").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("id,at,actor,action") and ",root,login," in csv_text
    other = app.server.test_client()
    sign_in(other, "mia")
    assert other.get("/audit.csv", base_url="http://127.0.0.1").status_code == 403


def test_the_language_chosen_is_remembered_for_the_user_in_another_browser(app, client):
    sign_in(client, "mia")
    client.get("/lang/zh_CN?next=/pipelines", base_url="http://127.0.0.1")
    assert accounts.get("mia").language == "zh_CN"
    other = app.server.test_client()                    # a new browser: no language cookie
    sign_in(other, "mia")
    page = other.get("/_dash-layout", base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    assert "流水线" in json.dumps(page.get_json(), ensure_ascii=False)


def test_the_users_page_adds_resets_and_disables_and_is_refused_to_a_member(app, client):
    import json as _json
    from dashboard.pages import users
    from tests.auth_helpers import request_as
    from models.permissions import principal_of
    with request_as(app.server, principal=principal_of(accounts.get("root"))):
        shown = _json.dumps(users.add(1, "newcomer", False)[0].to_plotly_json(), default=lambda o: o.to_plotly_json())
        password = shown.split('"children": "')[-1].split('"')[0] if "user-password" in shown else ""
        assert "newcomer" in shown and accounts.authenticate("newcomer", password) is not None
        assert "already exists" in str(users.add(1, "newcomer", False)[0].children)
    assert [e.actor for e in AuditEvent.select().where(AuditEvent.object_name == "newcomer")] == ["root"]
    sign_in(client, "mia")
    for output, entry in app.callback_map.items():
        if entry.get("callback") is not None and entry["callback"].__module__ == "dashboard.pages.users":
            answer = client.post("/_dash-update-component", json={"output": output}, headers=ORIGIN,
                                 base_url="http://127.0.0.1")
            assert answer.status_code == 403, output


from models.tables import AuditEvent  # noqa: E402  (used by the test above)
