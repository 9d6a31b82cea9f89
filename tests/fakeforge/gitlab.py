"""The subset of GitLab's v4 API (under `<web>/api/v4`; GitLab ≥ 9.0) the product calls: the
user, their projects (paged with `X-Next-Page`/`X-Total`, `search=`), a project by id or
URL-encoded path, branches (`search=`), project hooks (create, list, get, delete) and commit
statuses (recorded)."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from tests.fakeforge.common import caller, json_body, page_of

UNAUTHORIZED = "401 Unauthorized"


def blueprint(instance) -> Blueprint:
    bp = Blueprint(f"gitlab_{id(instance)}", __name__, url_prefix="/api/v4")
    store = instance.store

    def me():
        return caller(instance, UNAUTHORIZED)

    def paged(items, shape, default_per_page=20):
        chunk, page, per_page, last = page_of(items, default_per_page)
        response = jsonify([shape(i) for i in chunk])
        response.headers.update({"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(items)),
                                 "X-Total-Pages": str(last), "X-Next-Page": str(page + 1) if page < last else "",
                                 "X-Prev-Page": str(page - 1) if page > 1 else ""})
        return response

    def project_json(repo):
        return {"id": repo.id, "name": repo.name, "path": repo.name, "path_with_namespace": repo.full_name,
                "visibility": "private" if repo.private else "public", "default_branch": repo.default_branch,
                "http_url_to_repo": f"{instance.url}/{repo.full_name}.git",
                "web_url": f"{instance.url}/{repo.full_name}"}

    def own_project(project):
        user = me()
        repo = store.repo(project)       # an id, or the path (Flask has decoded %2F already)
        if repo is None or repo.owner != user.login:
            abort(404)
        return repo

    def searched(items, key):
        term = request.args.get("search", "").lower()
        return [i for i in items if term in key(i).lower()] if term else items

    @bp.get("/user")
    def user():
        found = me()
        return {"username": found.login, "id": found.id, "name": found.name}

    @bp.get("/projects")
    def projects():
        login = me().login
        return paged(searched([r for r in store.repos if r.owner == login], lambda r: r.name), project_json)

    @bp.get("/projects/<path:project>")
    def project(project):
        return project_json(own_project(project))

    @bp.get("/projects/<path:project>/repository/branches")
    def branches(project):
        found = own_project(project)
        return paged(searched(sorted(found.branches.items()), lambda b: b[0]),
                     lambda b: {"name": b[0], "commit": {"id": b[1]}, "default": b[0] == found.default_branch})

    @bp.route("/projects/<path:project>/hooks", methods=["GET", "POST"])
    def hooks(project):
        found = own_project(project)
        listed = store.hooks.setdefault(found.full_name, [])
        if request.method == "GET":
            return paged(listed, lambda h: h)
        body = json_body()
        if not body.get("url"):
            return {"message": {"url": ["can't be blank"]}}, 400
        hook = {"id": store.next_id(), "url": body["url"], "project_id": found.id,
                "push_events": bool(body.get("push_events", True)),
                "tag_push_events": bool(body.get("tag_push_events", False)),
                "merge_requests_events": bool(body.get("merge_requests_events", False)),
                "enable_ssl_verification": bool(body.get("enable_ssl_verification", True))}
        with store.lock:
            listed.append(hook)
            instance.hook_secrets[hook["id"]] = body.get("token", "")
        return hook, 201

    @bp.route("/projects/<path:project>/hooks/<int:hook_id>", methods=["GET", "DELETE"])
    def hook(project, hook_id):
        listed = store.hooks.setdefault(own_project(project).full_name, [])
        found = next((h for h in listed if h["id"] == hook_id), None)
        if found is None:
            return {"message": "404 Not found"}, 404
        if request.method == "DELETE":
            with store.lock:
                listed.remove(found)
            return "", 204
        return found

    @bp.post("/projects/<path:project>/statuses/<sha>")
    def post_status(project, sha):
        found = own_project(project)
        body = json_body()
        if body.get("state") not in ("pending", "running", "success", "failed", "canceled"):
            return {"error": "state does not have a valid value"}, 400
        status = {"id": store.next_id(), "sha": sha, "status": body["state"], "target_url": body.get("target_url"),
                  "description": body.get("description"), "name": body.get("name") or body.get("context")
                  or "default", "ref": body.get("ref"), "project": found.full_name}
        with store.lock:
            store.statuses.setdefault(sha, []).append(status)
        return status, 201

    @bp.get("/projects/<path:project>/repository/commits/<sha>/statuses")
    def statuses(project, sha):
        own_project(project)
        return paged(list(store.statuses.get(sha, [])), lambda s: s)

    return bp
