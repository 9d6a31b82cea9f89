"""The subset of GitHub's REST API (v3, under `<web>/api/v3` as on GitHub Enterprise) the
product calls: the user, their repositories (paged with `Link` headers) and repository
search, branches (listed and one), hooks (create, list, get, delete) and commit statuses (recorded)."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, jsonify, request

from tests.fakeforge.common import caller, json_body, page_of

BAD_CREDENTIALS = "Bad credentials"


def blueprint(instance) -> Blueprint:
    bp = Blueprint(f"github_{id(instance)}", __name__, url_prefix="/api/v3")
    store = instance.store

    def me():
        return caller(instance, BAD_CREDENTIALS)

    def paged(items, shape):
        chunk, page, per_page, last = page_of(items)
        response = jsonify([shape(i) for i in chunk])
        links = []
        for rel, number in (("next", page + 1), ("last", last), ("prev", page - 1), ("first", 1)):
            if (rel in ("next", "last") and page < last) or (rel in ("prev", "first") and page > 1):
                args = {**request.args.to_dict(), "page": number, "per_page": per_page}
                links.append(f'<{request.base_url}?{urlencode(args)}>; rel="{rel}"')
        if links:
            response.headers["Link"] = ", ".join(links)
        return response

    def repo_json(repo):
        return {"id": repo.id, "name": repo.name, "full_name": repo.full_name, "private": repo.private,
                "default_branch": repo.default_branch, "owner": {"login": repo.owner},
                "clone_url": f"{instance.url}/{repo.full_name}.git",
                "html_url": f"{instance.url}/{repo.full_name}"}

    def own_repo(owner, name):
        user = me()
        repo = store.repo(f"{owner}/{name}")
        if repo is None or repo.owner != user.login:
            abort(404)
        return repo

    @bp.get("/user")
    def user():
        found = me()
        return {"login": found.login, "id": found.id, "name": found.name}

    @bp.get("/user/repos")
    def repos():
        login = me().login
        return paged([r for r in store.repos if r.owner == login], repo_json)

    @bp.get("/search/repositories")
    def search():
        login = me().login
        words = [w for w in request.args.get("q", "").split() if ":" not in w]
        found = [r for r in store.repos if r.owner == login and all(w.lower() in r.name.lower() for w in words)]
        chunk, *_ = page_of(found)
        return {"total_count": len(found), "incomplete_results": False, "items": [repo_json(r) for r in chunk]}

    @bp.get("/repos/<owner>/<name>")
    def repo(owner, name):
        return repo_json(own_repo(owner, name))

    @bp.get("/repos/<owner>/<name>/branches")
    def branches(owner, name):
        found = own_repo(owner, name)
        return paged(sorted(found.branches.items()), lambda b: {"name": b[0], "commit": {"sha": b[1]}})

    @bp.get("/repos/<owner>/<name>/branches/<path:branch>")
    def branch(owner, name, branch):
        found = own_repo(owner, name)
        if branch not in found.branches:
            return {"message": "Branch not found"}, 404
        return {"name": branch, "commit": {"sha": found.branches[branch]}}

    @bp.route("/repos/<owner>/<name>/hooks", methods=["GET", "POST"])
    def hooks(owner, name):
        found = own_repo(owner, name)
        listed = store.hooks.setdefault(found.full_name, [])
        if request.method == "GET":
            return paged(listed, lambda h: h)
        body = json_body()
        config = body.get("config") or {}
        if not config.get("url"):
            return {"message": "Validation Failed", "errors": [{"field": "config.url", "code": "missing"}]}, 422
        hook = {"id": store.next_id(), "name": "web", "active": body.get("active", True),
                "events": body.get("events") or ["push"],
                "config": {"url": config["url"], "content_type": config.get("content_type", "form"),
                           "insecure_ssl": config.get("insecure_ssl", "0"),
                           **({"secret": "********"} if config.get("secret") else {})}}
        with store.lock:
            listed.append(hook)
            instance.hook_secrets[hook["id"]] = config.get("secret", "")
        return hook, 201

    @bp.route("/repos/<owner>/<name>/hooks/<int:hook_id>", methods=["GET", "DELETE"])
    def hook(owner, name, hook_id):
        listed = store.hooks.setdefault(own_repo(owner, name).full_name, [])
        found = next((h for h in listed if h["id"] == hook_id), None)
        if found is None:
            return {"message": "Not Found"}, 404
        if request.method == "DELETE":
            with store.lock:
                listed.remove(found)
            return "", 204
        return found

    @bp.post("/repos/<owner>/<name>/statuses/<sha>")
    def post_status(owner, name, sha):
        own_repo(owner, name)
        body = json_body()
        if body.get("state") not in ("error", "failure", "pending", "success"):
            return {"message": "Validation Failed", "errors": [{"field": "state", "code": "invalid"}]}, 422
        status = {"id": store.next_id(), "state": body["state"], "target_url": body.get("target_url"),
                  "description": body.get("description"), "context": body.get("context") or "default",
                  "repository": f"{owner}/{name}"}
        with store.lock:
            store.statuses.setdefault(sha, []).append(status)
        return status, 201

    @bp.get("/repos/<owner>/<name>/commits/<sha>/statuses")
    def statuses(owner, name, sha):
        own_repo(owner, name)
        return jsonify(list(reversed(store.statuses.get(sha, []))))      # newest first, as GitHub lists them

    @bp.delete("/applications/<client_id>/grant")
    def revoke_grant(client_id):
        auth = request.authorization
        app = store.apps.get(client_id)
        if app is None or auth is None or auth.username != client_id or auth.password != app.client_secret:
            return {"message": "Not Found"}, 404
        token = store.token_for((json_body() or {}).get("access_token", ""))
        if token is not None:
            with store.lock:
                for t in store.tokens:
                    if t.client_id == client_id and t.user is token.user:
                        t.revoked = True
        return "", 204

    return bp
