"""Webhooks through the real HTTP endpoint: signed GitHub and GitLab deliveries become
exactly one run on the right commit; bad secrets, replays, other branches, pings,
malformed and oversized bodies start nothing and answer what a forge expects."""
import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from werkzeug.serving import make_server

from daemon.triggers import process_deliveries
from dashboard.hooks import hooks_blueprint
from models import pipelines, triggers
from models.tables import Run
from models.triggers import WebhookDelivery
from tests import webhook_payloads as wp
from tests.conftest import pipeline_spec, run_until_done, script_task

NOW = dt.datetime(2026, 1, 5, 12, 0, 0)
GH_URL = "git@github.com:Octocat/Hello-World.git"       # as a user pastes it: ssh form
GL_URL = "https://example.com/mike/diaspora"


@pytest.fixture
def server(home):
    app = Flask("hooks-test")
    app.register_blueprint(hooks_blueprint)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


def post(base, provider, headers, body):
    """(status, json answer) from a real HTTP POST."""
    request = urllib.request.Request(f"{base}/hooks/{provider}", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def pipeline(name, url, branch="main", **events):
    p = pipelines.create(pipeline_spec(name, [{"name": "S", "tasks": [script_task("t", "true")]}],    # a pipeline needs a task
                                       source={"repository": url, "branch": branch}), "tester")
    _, secret = triggers.save_webhook(p, "tester", **({"push": True, "merge": True, "tag": True} | events))
    return p, secret


def runs_of(p):
    return list(Run.select().where(Run.pipeline == p).order_by(Run.number))


def outcomes(p):
    return [outcome for _, outcome in triggers.recent_deliveries(p)][::-1]


def test_github_push_starts_one_run_on_the_pushed_commit(server):
    p, secret = pipeline("app", GH_URL)
    status, answer = post(server, "github", *wp.github_request("push", wp.github_push(), secret=secret))
    assert status == 202 and answer["status"] == "accepted"
    assert runs_of(p) == []                                 # the daemon has not looked yet
    process_deliveries(NOW)
    (run,) = runs_of(p)
    assert (run.cause, run.commit_sha, run.triggered_by) == ("webhook", wp.SHA_A, "webhook")
    assert outcomes(p) == ["started run #1"]
    process_deliveries(NOW)
    assert len(runs_of(p)) == 1


def test_github_merged_pull_request_and_tag_push_each_start_a_run(server):
    p, secret = pipeline("app", GH_URL)
    post(server, "github", *wp.github_request("pull_request", wp.github_pull_request(), secret=secret))
    post(server, "github", *wp.github_request("push", wp.github_push(ref="refs/tags/v1.0"), secret=secret))
    post(server, "github", *wp.github_request("pull_request", wp.github_pull_request(action="opened", merged=False),
                                              secret=secret))
    process_deliveries(NOW)
    assert [r.commit_sha for r in runs_of(p)] == [wp.SHA_M, wp.SHA_A]
    assert outcomes(p) == ["started run #1", "started run #2", "ignored: pull request opened, not merged"]


def test_gitlab_push_merge_and_tag_start_runs_on_their_commits(server):
    p, secret = pipeline("diaspora", GL_URL, branch="master")
    for event, payload in (("Push Hook", wp.gitlab_push()), ("Merge Request Hook", wp.gitlab_merge_request()),
                           ("Tag Push Hook", wp.gitlab_push(ref="refs/tags/v1.0.0", event="Tag Push Hook"))):
        status, _ = post(server, "gitlab", *wp.gitlab_request(event, payload, secret=secret))
        assert status == 202
    process_deliveries(NOW)
    assert [r.commit_sha for r in runs_of(p)] == [wp.SHA_A, wp.SHA_M, wp.SHA_A]


def test_wrong_or_missing_secret_is_401_and_starts_nothing(server):
    p, secret = pipeline("app", GH_URL)
    assert post(server, "github", *wp.github_request("push", wp.github_push(), secret="guess"))[0] == 401
    headers, body = wp.github_request("push", wp.github_push(), secret=secret)
    del headers["X-Hub-Signature-256"]
    assert post(server, "github", headers, body)[0] == 401
    status, answer = post(server, "gitlab", *wp.gitlab_request("Push Hook", wp.gitlab_push(), secret="guess"))
    assert status == 401 and "signature" in answer["error"]
    process_deliveries(NOW)
    assert runs_of(p) == []
    assert outcomes(p) == ["rejected: bad signature"]      # the missing one never got as far as naming a repo
    assert WebhookDelivery.select().where(WebhookDelivery.body != b"").count() == 0


def test_replayed_delivery_is_answered_duplicate_and_runs_once(server):
    p, secret = pipeline("app", GH_URL)
    request = wp.github_request("push", wp.github_push(), secret=secret, delivery="5f1c-replayed")
    assert post(server, "github", *request)[0] == 202
    process_deliveries(NOW)                                 # the first one already ran …
    status, answer = post(server, "github", *request)       # … then the forge redelivers it
    assert (status, answer["status"]) == (200, "duplicate")
    process_deliveries(NOW)
    assert len(runs_of(p)) == 1
    assert outcomes(p) == ["started run #1", "duplicate of delivery 5f1c-replayed"]


def test_push_to_another_branch_starts_nothing_and_says_why(server):
    p, secret = pipeline("app", GH_URL)
    post(server, "github", *wp.github_request("push", wp.github_push(ref="refs/heads/dev"), secret=secret))
    process_deliveries(NOW)
    assert runs_of(p) == []
    assert outcomes(p) == ["not matching branch 'dev' (pipeline builds 'main')"]


def test_event_kinds_not_chosen_for_the_pipeline_start_nothing(server):
    p, secret = pipeline("app", GH_URL, tag=False)
    post(server, "github", *wp.github_request("push", wp.github_push(ref="refs/tags/v9"), secret=secret))
    process_deliveries(NOW)
    assert runs_of(p) == [] and outcomes(p) == ["tag events are not enabled for this pipeline"]


def test_one_delivery_fans_out_to_every_matching_pipeline_sharing_the_secret(server):
    main, secret = pipeline("main-build", GH_URL)
    release, _ = pipeline("release-build", "https://github.com/octocat/hello-world", branch="release")
    # One webhook per repository: the forge signs with one secret, which both pipelines share here.
    rule = triggers.WebhookRule.get(triggers.WebhookRule.pipeline == release)
    triggers.WebhookRule.update(secret_sealed=triggers.WebhookRule.get(
        triggers.WebhookRule.pipeline == main).secret_sealed).where(triggers.WebhookRule.id == rule.id).execute()
    post(server, "github", *wp.github_request("push", wp.github_push(), secret=secret))
    process_deliveries(NOW)
    assert len(runs_of(main)) == 1 and runs_of(release) == []
    assert outcomes(release) == ["not matching branch 'main' (pipeline builds 'release')"]
    assert WebhookDelivery.get().outcome == ("main-build: started run #1; release-build: not matching branch 'main' "
                                             "(pipeline builds 'release')")


def test_a_secret_only_acts_for_its_own_pipeline(server):
    mine, secret = pipeline("mine", GH_URL)
    theirs, _ = pipeline("theirs", GH_URL)
    post(server, "github", *wp.github_request("push", wp.github_push(), secret=secret))
    process_deliveries(NOW)
    assert (len(runs_of(mine)), len(runs_of(theirs))) == (1, 0)


def test_deactivated_pipeline_starts_nothing_from_a_webhook(server):
    p, secret = pipeline("app", GH_URL)
    pipelines.set_active(p, False, "tester")
    assert post(server, "github", *wp.github_request("push", wp.github_push(), secret=secret))[0] == 202
    process_deliveries(NOW)
    assert runs_of(p) == []
    assert outcomes(p) == ["pipeline 'app' is deactivated; activate it to run it"]


def test_ping_is_answered_and_starts_nothing(server):
    p, secret = pipeline("app", GH_URL)
    status, answer = post(server, "github", *wp.github_request("ping", wp.github_ping(), secret=secret))
    assert (status, answer["status"]) == (200, "pong")
    process_deliveries(NOW)
    assert runs_of(p) == [] and outcomes(p) == ["ping: the webhook works"]


def test_malformed_json_is_400_and_oversized_body_is_413(server):
    _, secret = pipeline("app", GH_URL)
    headers, _ = wp.github_request("push", {}, secret=secret)
    status, answer = post(server, "github", headers, b'{"ref": "refs/heads/main", ')
    assert status == 400 and "not valid JSON" in answer["error"]
    big = json.dumps(wp.github_push() | {"padding": "x" * (5 * 1024 * 1024)}).encode()
    headers, _ = wp.github_request("push", {}, secret=secret)
    assert post(server, "github", headers, big)[0] == 413
    assert WebhookDelivery.select().count() == 0


def test_deliveries_wait_while_the_daemon_is_down_and_run_when_it_returns(server):
    p, secret = pipeline("app", GH_URL)
    for n in range(3):
        post(server, "github", *wp.github_request("push", wp.github_push(after=f"{n + 1:040d}"), secret=secret))
    assert runs_of(p) == [] and outcomes(p) == ["waiting for the daemon"] * 3
    process_deliveries(NOW)
    assert [r.commit_sha for r in runs_of(p)] == [f"{n + 1:040d}" for n in range(3)]


def test_burst_of_200_signed_deliveries_from_many_threads(server):
    p, secret = pipeline("app", GH_URL)
    requests = [wp.github_request("push", wp.github_push(after=f"{n + 1:040x}"), secret=secret) for n in range(200)]

    def send(request):
        return post(server, "github", *request)[0]

    # Every delivery is accepted and becomes a run; how fast is bench/triggers.py's business.
    with ThreadPoolExecutor(max_workers=16) as pool:
        assert list(pool.map(send, requests)) == [202] * 200
    process_deliveries(NOW)
    assert sorted(r.commit_sha for r in runs_of(p)) == sorted(f"{n + 1:040x}" for n in range(200))


def test_webhook_run_checks_out_the_pinned_commit_not_the_branch_head(server, repo, daemon):
    p = pipelines.create(pipeline_spec("real", source={"repository": repo.url, "branch": "main"}, stages=[
        {"name": "S", "mode": "serial", "tasks": [script_task("show", "cat version.txt")]}]), "tester")
    _, secret = triggers.save_webhook(p, "tester")
    pushed = repo.commit({"version.txt": "one\n"}, "one")
    repo.commit({"version.txt": "two\n"}, "two")
    repo.push()                                             # the branch has moved on since the event
    payload = wp.github_push(after=pushed)
    payload["repository"] = dict(payload["repository"], html_url=repo.url, clone_url=repo.url)
    assert post(server, "github", *wp.github_request("push", payload, secret=secret))[0] == 202
    daemon.tick()
    (run,) = runs_of(p)
    done = run_until_done(daemon, run.id)
    from models import logs
    from models.tables import TaskRun
    assert done.status == "succeeded" and done.commit_sha == pushed
    output = logs.text(TaskRun.get(TaskRun.run == run.id, TaskRun.name == "show").id)
    assert output.rstrip().endswith(" one") and "two" not in output
