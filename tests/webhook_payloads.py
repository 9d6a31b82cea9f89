"""Real-shaped GitHub and GitLab webhook deliveries (trimmed copies of the forges'
documented examples), signed the way each forge signs them, for the webhook tests."""
import hashlib
import hmac
import json
import uuid

SECRET = "s3cret-for-tests"
GH_REPO = {
    "id": 1296269, "name": "Hello-World", "full_name": "Octocat/Hello-World",
    "html_url": "https://github.com/Octocat/Hello-World",
    "clone_url": "https://github.com/Octocat/Hello-World.git",
    "ssh_url": "git@github.com:Octocat/Hello-World.git",
    "default_branch": "main", "private": False,
}
GL_PROJECT = {
    "id": 15, "name": "Diaspora", "path_with_namespace": "mike/diaspora",
    "web_url": "http://example.com/mike/diaspora",
    "git_ssh_url": "git@example.com:mike/diaspora.git",
    "git_http_url": "http://example.com/mike/diaspora.git",
    "default_branch": "master",
}
SHA_A = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
SHA_B = "b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327"
SHA_M = "e0f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3"


def github_push(ref="refs/heads/main", after=SHA_A, deleted=False):
    return {
        "ref": ref, "before": SHA_B, "after": after, "created": False, "deleted": deleted,
        "forced": False, "base_ref": None, "compare": "https://github.com/Octocat/Hello-World/compare/x...y",
        "commits": [{"id": after, "message": "Update README", "author": {"name": "Mona"}}],
        "head_commit": {"id": after, "message": "Update README"},
        "repository": GH_REPO, "pusher": {"name": "mona", "email": "mona@example.com"},
        "sender": {"login": "mona", "id": 1},
    }


def github_pull_request(action="closed", merged=True, base="main"):
    return {
        "action": action, "number": 7,
        "pull_request": {
            "number": 7, "state": "closed", "title": "Add feature", "merged": merged,
            "merge_commit_sha": SHA_M,
            "head": {"ref": "feature", "sha": SHA_B, "repo": GH_REPO},
            "base": {"ref": base, "sha": SHA_A, "repo": GH_REPO},
        },
        "repository": GH_REPO, "sender": {"login": "mona", "id": 1},
    }


def github_ping():
    return {"zen": "Keep it logically awesome.", "hook_id": 42,
            "hook": {"type": "Repository", "id": 42, "events": ["push", "pull_request"],
                     "config": {"content_type": "json", "url": "https://ci.example/hooks/github"}},
            "repository": GH_REPO, "sender": {"login": "mona", "id": 1}}


def gitlab_push(ref="refs/heads/master", sha=SHA_A, event="Push Hook"):
    return {
        "object_kind": "tag_push" if event == "Tag Push Hook" else "push",
        "event_name": "tag_push" if event == "Tag Push Hook" else "push",
        "before": SHA_B, "after": sha or "0" * 40, "ref": ref, "checkout_sha": sha,
        "user_id": 4, "user_name": "John Smith", "user_username": "jsmith", "project_id": 15,
        "project": GL_PROJECT,
        "repository": {"name": "Diaspora", "url": GL_PROJECT["git_ssh_url"],
                       "homepage": GL_PROJECT["web_url"], "git_http_url": GL_PROJECT["git_http_url"],
                       "git_ssh_url": GL_PROJECT["git_ssh_url"]},
        "commits": [{"id": sha, "message": "fix", "author": {"name": "Jordi"}}] if sha else [],
        "total_commits_count": 1 if sha else 0,
    }


def gitlab_merge_request(action="merge", target="master", merge_sha=SHA_M):
    return {
        "object_kind": "merge_request", "event_type": "merge_request",
        "user": {"id": 1, "name": "Administrator", "username": "root"},
        "project": GL_PROJECT, "repository": {"name": "Diaspora", "homepage": GL_PROJECT["web_url"]},
        "object_attributes": {
            "id": 99, "iid": 1, "target_branch": target, "source_branch": "ms-viewport",
            "state": "merged" if action == "merge" else "opened", "action": action,
            "merge_commit_sha": merge_sha, "title": "MS-Viewport",
            "last_commit": {"id": SHA_B, "message": "fixed readme"},
            "source": GL_PROJECT, "target": GL_PROJECT,
        },
    }


def github_request(event, payload, secret=SECRET, delivery=None):
    """(headers, body) exactly as GitHub sends them."""
    body = json.dumps(payload).encode()
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return ({"Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/abc123",
             "X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
             "X-GitHub-Hook-ID": "42", "X-Hub-Signature-256": sig}, body)


def gitlab_request(event, payload, secret=SECRET, delivery=None):
    """(headers, body) exactly as GitLab sends them."""
    body = json.dumps(payload).encode()
    uid = delivery or str(uuid.uuid4())
    return ({"Content-Type": "application/json", "User-Agent": "GitLab/17.0.0",
             "X-Gitlab-Event": event, "X-Gitlab-Token": secret, "X-Gitlab-Instance": "http://example.com",
             "X-Gitlab-Event-UUID": uid, "Idempotency-Key": uid}, body)
