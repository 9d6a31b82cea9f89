"""/api/v1's conventions on a real SQLite home through the Flask test client: ETag/If-Match
(412 naming the stored version), idempotency keys on run creation, problem+json with field
paths (JSON and YAML bodies, queries, headers), paging's Link and X-Total-Count, the door's
401/403 as problems (token scopes, a cookie's cross-origin change), what a member may not
see is a 404, the documentation page from this site only, and the Dash pages' own answers
left as they were."""
from __future__ import annotations

import re

import pytest
import yaml

from models import accounts, api_tokens, projects
from models.tables import AuditEvent, Run
from tests.auth_helpers import PASSWORD, bearer, signed_in
from tests.test_api_v1_openapi import BASE, definition


@pytest.fixture
def api(home):
    from dashboard.app import create_app
    app = create_app(home)
    client = app.server.test_client()
    client.get("/api/health", base_url=BASE)
    headers = bearer()

    def call(method, url, headers_=None, **kwargs):
        return client.open(url, method=method, headers={**headers, **(headers_ or {})}, base_url=BASE, **kwargs)
    call.client, call.app = client, app
    return call


def test_etag_and_if_match(api):
    assert api("POST", "/api/v1/pipelines", json=definition("tagged")).status_code == 201
    got = api("GET", "/api/v1/pipelines/tagged")
    assert got.headers["ETag"] == '"v1"' and got.get_json()["definition"]["name"] == "tagged"
    saved = api("PUT", "/api/v1/pipelines/tagged", {"If-Match": '"v1"'}, json=definition("tagged", "echo two"))
    assert saved.status_code == 200 and saved.headers["ETag"] == '"v2"' and saved.get_json()["version"] == 2
    stale = api("PUT", "/api/v1/pipelines/tagged", {"If-Match": '"v1"'}, json=definition("tagged", "echo three"))
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    assert stale.get_json()["current_version"] == 2 and "version 2" in stale.get_json()["detail"]
    assert api("GET", "/api/v1/pipelines/tagged").get_json()["version"] == 2, "a refused save stores nothing"
    same = api("PUT", "/api/v1/pipelines/tagged", json=definition("tagged", "echo two"))
    assert same.status_code == 200 and same.get_json()["version"] == 2, "unchanged: no new version"
    bad = api("PUT", "/api/v1/pipelines/tagged", {"If-Match": "yesterday"}, json=definition("tagged"))
    assert bad.status_code == 400 and "If-Match" in bad.get_json()["detail"]
    yaml_body = yaml.safe_dump(definition("tagged", "echo yaml"))
    as_yaml = api("PUT", "/api/v1/pipelines/tagged", {"If-Match": 'W/"v2"'}, data=yaml_body,
                  content_type="application/yaml")
    assert as_yaml.status_code == 200 and as_yaml.get_json()["version"] == 3
    exported = api("GET", "/api/v1/pipelines/tagged/export")
    assert exported.mimetype == "application/yaml" and "echo yaml" in exported.get_data(as_text=True)
    diff = api("GET", "/api/v1/pipelines/tagged/versions/3/diff").get_json()
    assert diff["from"] == 2 and "-" in diff["diff"] and "+" in diff["diff"] and "echo yaml" in diff["diff"]


def test_an_idempotency_key_returns_the_same_run_and_starts_nothing_more(api):
    api("POST", "/api/v1/pipelines", json=definition("once"))
    api("POST", "/api/v1/pipelines", json=definition("twice"))
    first = api("POST", "/api/v1/pipelines/once/runs", {"Idempotency-Key": "deploy-42"}, json={})
    again = api("POST", "/api/v1/pipelines/once/runs", {"Idempotency-Key": "deploy-42"}, json={})
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"] and again.get_json()["label"] == "once#1"
    assert Run.select().count() == 1
    assert AuditEvent.select().where(AuditEvent.action == "run").count() == 1
    other_user = api.client.open("/api/v1/pipelines/once/runs", method="POST", json={}, base_url=BASE,
                                 headers={**bearer("another"), "Idempotency-Key": "deploy-42"})
    assert other_user.status_code == 201 and other_user.get_json()["number"] == 2, "keys are per user"
    elsewhere = api("POST", "/api/v1/pipelines/twice/runs", {"Idempotency-Key": "deploy-42"}, json={})
    assert elsewhere.status_code == 409 and elsewhere.get_json()["errors"][0]["path"] == "Idempotency-Key"
    too_long = api("POST", "/api/v1/pipelines/once/runs", {"Idempotency-Key": "k" * 201}, json={})
    assert too_long.status_code == 422 and too_long.get_json()["errors"][0]["path"] == "Idempotency-Key"
    without = api("POST", "/api/v1/pipelines/once/runs", json={"parameters": {}})
    assert without.status_code == 201 and without.get_json()["number"] == 3


def test_problems_name_the_field(api):
    bad = definition("broken")
    del bad["stages"][0]["tasks"][0]["image"]
    as_json = api("POST", "/api/v1/pipelines", json=bad)
    assert as_json.status_code == 422 and as_json.mimetype == "application/problem+json"
    assert {"path": "stages[0].tasks[0].image", "message": "required"} in as_json.get_json()["errors"]
    as_yaml = api("POST", "/api/v1/pipelines", data=yaml.safe_dump(bad), content_type="application/yaml")
    assert as_yaml.get_json()["errors"] == as_json.get_json()["errors"], "the same errors as JSON (and as apply)"
    not_yaml = api("POST", "/api/v1/pipelines", data="stages: [unclosed", content_type="application/yaml")
    assert not_yaml.status_code == 422 and "line" in not_yaml.get_json()["detail"]
    body = api("POST", "/api/v1/pipelines", data=b"[1, 2]", content_type="application/json")
    assert body.status_code == 422 and body.mimetype == "application/problem+json"
    api("POST", "/api/v1/pipelines", json=definition("fine"))
    copy = api("POST", "/api/v1/pipelines/fine/copy", json={"name": 5})
    assert copy.status_code == 422 and copy.get_json()["errors"][0]["path"] == "name"
    taken = api("POST", "/api/v1/pipelines/fine/copy", json={"name": "fine"})
    assert taken.status_code == 409 and taken.get_json()["errors"] == [{"path": "name", "message": taken.get_json()["detail"]}]
    query = api("GET", "/api/v1/runs?per_page=101&status=sleeping")
    paths = {e["path"] for e in query.get_json()["errors"]}
    assert query.status_code == 422 and paths == {"per_page", "status"}
    params = api("POST", "/api/v1/pipelines/fine/runs", json={"parameters": {"NOPE": "1"}})
    assert params.status_code == 422 and "NOPE" in params.get_json()["detail"]
    missing = api("GET", "/api/v1/pipelines/fine/runs/7")
    assert missing.status_code == 404 and "#7" in missing.get_json()["detail"]


def test_paging_links_keep_the_filters(api):
    for n in range(5):
        api("POST", "/api/v1/pipelines", json=definition(f"paged-{n}"))
    api("POST", "/api/v1/pipelines", json=definition("other"))
    page = api("GET", "/api/v1/pipelines?q=paged&page=2&per_page=2")
    assert [p["name"] for p in page.get_json()] == ["paged-2", "paged-3"]
    assert page.headers["X-Total-Count"] == "5"
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', page.headers["Link"]))
    assert set(links) == {"first", "prev", "next", "last"}
    assert links["next"] == f"{BASE}/api/v1/pipelines?q=paged&page=3&per_page=2"
    assert links["last"].endswith("page=3&per_page=2") and links["first"].endswith("page=1&per_page=2")
    last = api("GET", links["last"].removeprefix(BASE))
    assert [p["name"] for p in last.get_json()] == ["paged-4"] and 'rel="next"' not in last.headers["Link"]


def test_the_door_answers_problems_and_scopes_hold(api, home):
    api("POST", "/api/v1/pipelines", json=definition("guarded"))
    nobody = api.client.get("/api/v1/pipelines", base_url=BASE)
    assert nobody.status_code == 401 and nobody.mimetype == "application/problem+json"
    root = accounts.get("tester")
    _, read_only = api_tokens.create(root, "reader", ["read"])
    reader = {"Authorization": f"Bearer {read_only}"}
    assert api.client.get("/api/v1/pipelines/guarded", headers=reader, base_url=BASE).status_code == 200
    refused = api.client.post("/api/v1/pipelines/guarded/runs", json={}, headers=reader, base_url=BASE)
    assert refused.status_code == 403 and "scopes" in refused.get_json()["detail"]
    assert AuditEvent.select().where(AuditEvent.action == "refused").count() == 1, "a refusal is audited"
    # a member of the project sees only the pipelines they own: another's is a 404, as if absent
    accounts.create("mia", PASSWORD, "tester", must_change=False)
    projects.set_role("default", "mia", "member", "tester")
    _, mia_token = api_tokens.create(accounts.get("mia"), "mia", ["write"])
    mia = {"Authorization": f"Bearer {mia_token}"}
    assert api.client.get("/api/v1/pipelines", headers=mia, base_url=BASE).get_json() == []
    assert api.client.get("/api/v1/pipelines/guarded", headers=mia, base_url=BASE).status_code == 404
    started = api.client.post("/api/v1/pipelines", json=definition("mias"), headers=mia, base_url=BASE)
    assert started.status_code == 403 and started.mimetype == "application/problem+json"


def test_a_cookie_session_works_and_its_cross_origin_changes_are_refused(api):
    browser = signed_in(api.app.server.test_client())
    made = browser.post("/api/v1/pipelines", json=definition("by-cookie"))
    assert made.status_code == 201, made.get_data(as_text=True)
    forged = browser.post("/api/v1/pipelines/by-cookie/deactivate", headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403 and forged.mimetype == "application/problem+json"
    assert browser.get("/api/v1/pipelines/by-cookie").get_json()["active"] is True
    assert browser.post("/api/v1/pipelines/by-cookie/deactivate").get_json()["active"] is False   # same origin


def test_the_documentation_comes_from_this_site(api):
    page = api("GET", "/api/v1/docs", {"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    urls = re.findall(r'(?:src|href|data-spec)="([^"]+)"', html)
    assert urls and all(u.startswith("/api/v1/") for u in urls), urls
    assert "<script>" not in html, "no inline script: the CSP runs scripts from 'self' only"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for url in urls:
        assert api("GET", url).status_code == 200, url
    spec = api("GET", "/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1") and all(p.startswith("/api/v1/") for p in spec["paths"])
    browser = api.client.get("/api/v1/docs", headers={"Accept": "text/html"}, base_url=BASE)
    assert browser.status_code == 303 and browser.headers["Location"].startswith("/login")


def test_unknown_api_paths_are_problems_and_the_pages_are_unchanged(api):
    unknown = api("GET", "/api/v1/nothing/here")
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    browser = signed_in(api.app.server.test_client())
    page = browser.get("/no/such/page", headers={"Accept": "text/html"})
    assert page.mimetype == "text/html" and b"<html" in page.get_data().lower()[:500], "Dash's page, as before"
    old = api("GET", "/api/tasks/999/log")
    assert old.status_code == 404 and old.mimetype != "application/problem+json", "the older /api is as before"
    assert api("GET", "/api/health").get_json()["database"] == "ok"
