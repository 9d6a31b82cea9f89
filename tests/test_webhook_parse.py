"""What Millrace reads out of real-shaped GitHub and GitLab deliveries: whether the secret
matches, which repository, branch, tag and commit an event is about, and its delivery id."""
import pytest

from models.webhook_parse import parse, repo_key, verify_github, verify_gitlab
from tests.webhook_payloads import (SECRET, SHA_A, SHA_B, SHA_M, github_ping, github_pull_request,
                                    github_push, github_request, gitlab_merge_request, gitlab_push,
                                    gitlab_request)


# ---- secrets ---------------------------------------------------------------------------

def test_github_signature_of_the_raw_body_is_accepted():
    headers, body = github_request("push", github_push())
    assert verify_github(SECRET, body, headers["X-Hub-Signature-256"])


def test_github_signature_is_refused_for_wrong_secret_changed_body_or_missing_header():
    headers, body = github_request("push", github_push(), secret="someone-else")
    assert not verify_github(SECRET, body, headers["X-Hub-Signature-256"])
    headers, body = github_request("push", github_push())
    assert not verify_github(SECRET, body + b" ", headers["X-Hub-Signature-256"])
    assert not verify_github(SECRET, body, None)
    assert not verify_github(SECRET, body, headers["X-Hub-Signature-256"].replace("sha256=", "sha1="))
    assert not verify_github("", body, headers["X-Hub-Signature-256"])


def test_gitlab_token_must_match_exactly():
    assert verify_gitlab(SECRET, SECRET)
    assert not verify_gitlab(SECRET, SECRET + "x")
    assert not verify_gitlab(SECRET, None)
    assert not verify_gitlab("", "")


# ---- repository keys -------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://github.com/Octocat/Hello-World",
    "https://github.com/octocat/hello-world.git",
    "https://GitHub.com/Octocat/Hello-World/",
    "http://user:token@github.com/Octocat/Hello-World.git",
    "git@github.com:Octocat/Hello-World.git",
    "ssh://git@github.com/Octocat/Hello-World.git",
    "ssh://git@github.com:22/Octocat/Hello-World",
    "github.com/Octocat/Hello-World",
])
def test_every_spelling_of_a_repository_url_gives_the_same_key(url):
    assert repo_key(url) == "github.com/octocat/hello-world"


def test_gitlab_subgroups_and_other_repos_stay_distinct():
    assert repo_key("git@gitlab.example.com:group/sub/app.git") == "gitlab.example.com/group/sub/app"
    assert repo_key("https://gitlab.example.com/group/sub/app") != repo_key("https://gitlab.example.com/group/app")


# ---- GitHub events ---------------------------------------------------------------------

def test_github_push_to_a_branch():
    headers, body = github_request("push", github_push(), delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    event = parse("github", headers, body)
    assert (event.kind, event.repository, event.branch, event.tag, event.sha, event.delivery_id) == (
        "push", "github.com/octocat/hello-world", "main", "", SHA_A, "72d3162e-cc78-11e3-81ab-4c9367dc0958")


def test_github_tag_push():
    event = parse("github", *github_request("push", github_push(ref="refs/tags/v1.2.0")))
    assert (event.kind, event.tag, event.branch, event.sha) == ("tag", "v1.2.0", "", SHA_A)


def test_github_annotated_tag_push_builds_the_tagged_commit_not_the_tag_object():
    payload = github_push(ref="refs/tags/v2.0.0", after=SHA_B)
    payload["head_commit"] = {"id": SHA_A, "message": "release"}
    assert parse("github", *github_request("push", payload)).sha == SHA_A


def test_github_branch_deletion_starts_nothing():
    event = parse("github", *github_request("push", github_push(after="0" * 40, deleted=True)))
    assert (event.kind, event.note) == ("other", "refs/heads/main was deleted or is not a branch or tag")


def test_github_merged_pull_request_targets_its_base_branch_at_the_merge_commit():
    event = parse("github", *github_request("pull_request", github_pull_request(base="release")))
    assert (event.kind, event.branch, event.sha) == ("merge", "release", SHA_M)


def test_github_pull_request_closed_without_merge_or_opened_is_not_a_merge():
    assert parse("github", *github_request("pull_request", github_pull_request(merged=False))).kind == "other"
    assert parse("github", *github_request("pull_request", github_pull_request(action="opened",
                                                                                 merged=False))).kind == "other"


def test_github_ping_and_unknown_events():
    assert parse("github", *github_request("ping", github_ping())).kind == "ping"
    event = parse("github", *github_request("issues", {"action": "opened", "repository": {}}))
    assert (event.kind, event.name) == ("other", "issues")


def test_malformed_json_is_a_value_error():
    headers, _ = github_request("push", {})
    with pytest.raises(ValueError, match="not valid JSON"):
        parse("github", headers, b'{"ref": ')
    with pytest.raises(ValueError, match="not an object"):
        parse("gitlab", {"X-Gitlab-Event": "Push Hook"}, b"[1, 2]")


# ---- GitLab events ---------------------------------------------------------------------

def test_gitlab_push_hook():
    headers, body = gitlab_request("Push Hook", gitlab_push(), delivery="0a9b8c7d-0000-4000-8000-000000000001")
    event = parse("gitlab", headers, body)
    assert (event.kind, event.repository, event.branch, event.sha, event.delivery_id) == (
        "push", "example.com/mike/diaspora", "master", SHA_A, "0a9b8c7d-0000-4000-8000-000000000001")


def test_gitlab_tag_push_hook():
    event = parse("gitlab", *gitlab_request("Tag Push Hook", gitlab_push(ref="refs/tags/v1.0.0",
                                                                        event="Tag Push Hook")))
    assert (event.kind, event.tag, event.sha) == ("tag", "v1.0.0", SHA_A)


def test_gitlab_branch_deletion_starts_nothing():
    assert parse("gitlab", *gitlab_request("Push Hook", gitlab_push(sha=None))).kind == "other"


def test_gitlab_merged_merge_request_targets_its_target_branch():
    event = parse("gitlab", *gitlab_request("Merge Request Hook", gitlab_merge_request(target="main")))
    assert (event.kind, event.branch, event.sha) == ("merge", "main", SHA_M)


def test_gitlab_fast_forward_merge_uses_the_last_commit():
    event = parse("gitlab", *gitlab_request("Merge Request Hook", gitlab_merge_request(merge_sha=None)))
    assert (event.kind, event.sha) == ("merge", SHA_B)


def test_gitlab_opened_merge_request_is_not_a_merge():
    assert parse("gitlab", *gitlab_request("Merge Request Hook", gitlab_merge_request(action="open"))).kind == "other"


def test_gitlab_delivery_id_prefers_idempotency_key_then_event_uuid():
    headers, body = gitlab_request("Push Hook", gitlab_push())
    headers["Idempotency-Key"] = "key-1"
    assert parse("gitlab", headers, body).delivery_id == "key-1"
    del headers["Idempotency-Key"]
    assert parse("gitlab", headers, body).delivery_id == headers["X-Gitlab-Event-UUID"]


def test_delivery_without_an_id_gets_one_from_its_body_so_a_replay_matches():
    headers, body = gitlab_request("Push Hook", gitlab_push())
    del headers["Idempotency-Key"], headers["X-Gitlab-Event-UUID"]
    first, again = parse("gitlab", headers, body), parse("gitlab", dict(headers), body)
    assert first.delivery_id.startswith("sha256:") and first.delivery_id == again.delivery_id
