"""/api/v1's administration and account resources over a real socket (a `run.py dashboard`
process, bearer tokens): triggers, clusters, registries, releases and rollback, settings,
users, /me and its tokens, the audit trail — what each answers, that no secret (a kubeconfig,
a registry password, a webhook secret, a token after its creation) is ever in an answer, and
that refusals are problem+json naming the field, with the same words as the CLI's.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from cli.main import main as cli_main
from models import accounts, api_tokens, home as home_mod, pipelines, projects, registries, releases, runs, triggers
from models.clusters import Cluster
from models.db import database, utcnow
from models.secrets import seal
from tests.api_server import Api, served

ADMIN, PASSWORD = "root", "resources password"
KUBE_SECRET = "kube-token-that-must-never-be-sent"
REGISTRY_SECRET = "registry-password-never-sent"
RFC3339 = "%Y-%m-%dT%H:%M:%SZ"


def definition(name: str, **extra) -> dict:
    return {"name": name, "stages": [{"name": "S", "tasks": [
        {"name": "t", "type": "script", "image": "busybox", "script": "true"}]}], **extra}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home = tmp_path_factory.mktemp("api-resources")
    home_mod.open_home(home, migrate=True)
    admin = accounts.create(ADMIN, PASSWORD, "tests", is_admin=True, must_change=False)
    padmin = accounts.create("pat", PASSWORD, ADMIN, must_change=False)
    projects.create("alpha", ADMIN)
    projects.set_role("alpha", "pat", "project_admin", ADMIN)
    timed = pipelines.create(definition("timed", source={"repository": "https://example.com/acme/app.git",
                                                         "branch": "main"}), ADMIN, project="alpha")
    rule = triggers.save_timer(timed, "every 2 minutes", ADMIN)
    _hook, secret = triggers.save_webhook(timed, ADMIN, push=True, tag=True)
    fired = runs.enqueue_run(timed, "timer", "system")
    triggers.TimerFire.create(timer_rule=rule, scheduled_for=dt.datetime(2026, 12, 2, 18, 0), outcome="started",
                              run=fired)
    pipelines.create(definition("hidden"), ADMIN, project="default")
    Cluster.create(name="k1", namespace="millrace-k1", owner_label="tests", project="alpha", server="https://k.invalid",
                   kubeconfig_sealed=seal(f"users: [{{name: u, user: {{token: {KUBE_SECRET}}}}}]"))
    registries.add("reg", "registry.example.com", ADMIN, username="robot", password=REGISTRY_SECRET)
    deployer = pipelines.create(definition("deployer"), ADMIN, project="alpha")
    other = pipelines.create(definition("other"), ADMIN, project="alpha")
    for p, values in ((deployer, {"replicas": "1"}), (deployer, {"replicas": "2"}), (other, {"replicas": "9"})):
        run = runs.enqueue_run(p, "manual", ADMIN)
        releases.record("web" if p == deployer else "db", "k1", "apps", chart="oci://r/web", chart_version="1.0.0",
                        values=values, status="deployed", run_id=run.id, resources=[])
    made = {"admin": api_tokens.create(admin, "all", ["admin"])[1], "pat": api_tokens.create(padmin, "w", ["write"])[1],
            "secret": secret, "home": home}
    database.close()
    with served(home) as url:
        yield url, made
    database.close()


def admin_api(world) -> Api:
    return Api(world[0], world[1]["admin"])


def problem(answer, status: int) -> dict:
    assert answer.status_code == status, (answer.status_code, answer.text[:400])
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    body = answer.json()
    assert body["status"] == status and body["detail"]
    return body


def test_triggers_show_rule_webhook_and_fires_without_the_secret(world):
    answer = admin_api(world).get("/pipelines/timed/triggers")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["timed"]["rule"] == "every 2 minutes" and len(body["timed"]["next_fires"]) == 3
    for moment in body["timed"]["next_fires"]:
        dt.datetime.strptime(moment, RFC3339)
    assert body["webhook"]["events"] == ["push", "tag"] and body["webhook"]["branches"] == ["main"]
    assert body["webhook"]["url"].endswith("/hooks/github") and body["webhook"]["urls"]["gitlab"].endswith("/hooks/gitlab")
    assert body["fires"] == [{"scheduled_for": "2026-12-02T18:00:00Z", "recorded_at": body["fires"][0]["recorded_at"],
                              "outcome": "started", "reason": "", "run": "timed#1"}]
    assert body["deliveries"] == [] and body["active"] is True and body["concurrency"] == "allow"
    assert world[1]["secret"] not in answer.text
    assert Api(world[0], world[1]["pat"]).get("/pipelines/hidden/triggers").status_code == 404


def test_clusters_never_carry_a_kubeconfig(world):
    for api in (admin_api(world), Api(world[0], world[1]["pat"])):
        listed = api.get("/clusters")
        one = api.get("/clusters/k1")
        assert [c["name"] for c in listed.json()] == ["k1"] and one.json()["namespace"] == "millrace-k1"
        for answer in (listed, one):
            assert KUBE_SECRET not in answer.text and "kubeconfig" not in answer.text
    problem(admin_api(world).get("/clusters/nope"), 404)


def test_registries_say_a_password_is_stored_never_what_it_is(world):
    answer = admin_api(world).get("/registries")
    assert [(r["name"], r["username"], r["password_stored"]) for r in answer.json()] == [("reg", "robot", True)]
    assert REGISTRY_SECRET not in answer.text
    problem(Api(world[0], world[1]["pat"]).get("/registries"), 403)


def test_releases_history_per_pipeline_and_rollback(world):
    api = admin_api(world)
    history = api.get("/pipelines/deployer/releases")
    assert history.headers["X-Total-Count"] == "2"
    assert [(r["release"], r["revision"], r["status"], r["values"]) for r in history.json()] == [
        ("web", 2, "deployed", {"replicas": "2"}), ("web", 1, "superseded", {"replicas": "1"})]
    assert history.json()[0]["run"] == "deployer#2"
    problem(Api(world[0], world[1]["pat"]).post("/pipelines/deployer/releases/web/rollback", json={"revision": 1}), 403)
    problem(api.post("/pipelines/other/releases/web/rollback", json={"revision": 1}), 404)     # not its release
    assert "revisions: 1, 2" in problem(api.post("/pipelines/deployer/releases/web/rollback",
                                                 json={"revision": 7}), 404)["detail"]
    assert problem(api.post("/pipelines/deployer/releases/web/rollback", json={"revision": "one"}),
                   422)["errors"][0]["path"] == "revision"
    rolled = api.post("/pipelines/deployer/releases/web/rollback", json={"revision": 1})
    assert rolled.status_code == 201, rolled.text
    run = rolled.json()
    assert run["cause"] == "rollback" and run["label"] == "deployer#3" and run["status"] == "queued"
    assert rolled.headers["Location"].endswith(f"/api/v1/runs/{run['id']}")
    assert [t["type"] for s in run["stages"] for t in s["tasks"]] in ([], ["deploy_chart"])


def test_settings_patch_checks_as_the_cli_does_and_is_all_or_nothing(world, capsys):
    api = admin_api(world)
    assert api.get("/settings").json()["task_slots"] == "8"
    changed = api("PATCH", "/settings", json={"task_slots": "3", "session_idle_minutes": "60"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["task_slots"], changed.json()["session_idle_minutes"]) == ("3", "60")
    refused = problem(api("PATCH", "/settings", json={"task_slots": "2", "log_cap_mb": "0"}), 422)
    assert refused["errors"] == [{"path": "log_cap_mb", "message": refused["detail"]}]
    assert api.get("/settings").json()["task_slots"] == "3"                # nothing of the refused patch stored
    assert cli_main(["--home", str(world[1]["home"]), "settings", "log_cap_mb", "0"]) == 1
    assert refused["detail"] in capsys.readouterr().err                     # the CLI's words are the same
    assert problem(api("PATCH", "/settings", json={"slots": "2"}), 422)["errors"][0]["path"] == "slots"
    assert problem(api("PATCH", "/settings", json={"base_url": "ftp://x"}), 422)["errors"][0]["path"] == "base_url"
    pat = Api(world[0], world[1]["pat"])
    problem(pat.get("/settings"), 403)
    problem(pat("PATCH", "/settings", json={"task_slots": "1"}), 403)


def test_users_me_and_tokens(world):
    api, pat = admin_api(world), Api(world[0], world[1]["pat"])
    users = api.get("/users", params={"per_page": 1})
    assert users.headers["X-Total-Count"] == "2" and 'rel="next"' in users.headers["Link"]
    assert [u["username"] for u in users.json()] == ["pat"] and users.json()[0]["projects"] == {"alpha": "project_admin"}
    problem(pat.get("/users"), 403)
    me = pat.get("/me").json()
    assert (me["username"], me["admin"], me["scopes"]) == ("pat", False, ["read", "run", "write"])

    made = pat.post("/me/tokens", json={"name": "deploy script", "scopes": ["run"], "expires_days": 30})
    assert made.status_code == 201, made.text
    value = made.json()["token"]
    assert value.startswith("mrt_") and made.json()["state"] == "active"
    assert made.json()["expires_at"] is not None
    listed = pat.get("/me/tokens")
    assert {t["name"] for t in listed.json()} == {"w", "deploy script"} and value not in listed.text
    assert Api(world[0], value).get("/me").json()["scopes"] == ["read", "run"]
    assert problem(pat.post("/me/tokens", json={"name": "deploy script", "scopes": ["run"]}), 409)
    assert "admin scope" in problem(pat.post("/me/tokens", json={"name": "x", "scopes": ["admin"]}), 422)["detail"]
    assert problem(pat.post("/me/tokens", json={"name": "x", "scopes": ["root"]}), 422)["errors"][0]["path"] \
        == "scopes[0]"
    assert "more scopes" in problem(Api(world[0], value).post("/me/tokens", json={"name": "y", "scopes": ["write"]}),
                                    422)["detail"]
    assert pat("DELETE", "/me/tokens/deploy script").status_code == 204
    problem(Api(world[0], value).get("/me"), 401)
    assert [t["state"] for t in pat.get("/me/tokens").json() if t["name"] == "deploy script"] == ["revoked"]
    problem(pat("DELETE", "/me/tokens/nothing-such"), 404)


def test_audit_filters_and_pages(world):
    api = admin_api(world)
    everything = api.get("/audit", params={"per_page": 5})
    assert int(everything.headers["X-Total-Count"]) > 5 and 'rel="last"' in everything.headers["Link"]
    ids = [e["id"] for e in everything.json()]
    assert ids == sorted(ids, reverse=True)
    mine = api.get("/audit", params={"actor": "pat", "action": "create token"}).json()
    assert mine and {(e["actor"], e["action"], e["object_type"]) for e in mine} == {("pat", "create token", "apitoken")}
    assert all(dt.datetime.strptime(e["at"], RFC3339) for e in mine)
    assert isinstance(mine[0]["detail"], dict) and json.dumps(mine[0]["detail"])
    today = utcnow().strftime("%Y-%m-%d")
    assert api.get("/audit", params={"since": today}).headers["X-Total-Count"] == everything.headers["X-Total-Count"]
    assert api.get("/audit", params={"since": "2999-01-01"}).json() == []
    assert problem(api.get("/audit", params={"since": "yesterday"}), 422)["errors"][0]["path"] == "since"
    problem(api.get("/audit", params={"since": "2026-13-40"}), 422)
    problem(Api(world[0], world[1]["pat"]).get("/audit"), 403)
