"""Pipelines on a cluster, end to end: the in-process daemon, the real `kubernetes` client,
the fake API server playing scheduler and kubelet, and a fake clock where time matters.

What a user would notice: the pod's lifecycle and the script's output in the task log,
waiting with the scheduler's message and that wait not counted in the timeout, the
scheduling timeout, fast failures with their reasons, stop and timeout deleting the pod,
the daemon restarting around a pod, and no secret value anywhere but the Secret object.
"""
import json

import pytest

from daemon.executors.base import MAX_LINE_BYTES
from models import logs, pipelines, runs
from models.tables import Run
from tests.conftest import pipeline_spec, script_task, tick_until
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)
from tests.fakekube.kubelet import run_pod
from tests.fakekube.routes import BY_KEY
from tests.fakekube.millrace import make_daemon, pod_of, register, task_of

SECRET = "hunter2-very-secret"
SCHEDULER = "0/5 nodes are available: 4 Insufficient memory."


@pytest.fixture
def cluster(home, fake_kube):
    return register(fake_kube)


@pytest.fixture
def daemons(cluster):
    made = []

    def make(time_=None, **kw):
        made.append(make_daemon(time_, **kw))
        return made[-1]
    yield make
    for d in made:
        d.shutdown()


def one_task(script="echo hi", name="p", **extra):
    return pipelines.create(pipeline_spec(name, stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("work", script, image="busybox", tag="1.36")]}], **extra), "tester")


def started(daemon, run, clock=None, task="work"):
    return tick_until(daemon, lambda: pod_of(run.id, task), clock, message="the task's pod")


def ended(daemon, run, clock=None, timeout=60.0):
    return tick_until(daemon, lambda: (r := Run.get_by_id(run.id)).finished_at and r, clock, timeout,
                      message="the run's end")


def output(task_run):
    return [t for _, _, t in logs.lines_after(task_run.id)]


def test_a_run_on_a_cluster_shows_the_pod_lifecycle_and_output_and_leaves_nothing(
        home, repo, fake_kube, daemons, tmp_path):
    repo.commit({"app.txt": "version 7\n"}, "app")
    repo.push()
    p = pipelines.create(pipeline_spec("web", source={"repository": repo.url, "branch": "main"}, stages=[
        {"name": "Test", "mode": "serial", "tasks": [script_task(
            "unit", 'cat app.txt; echo "token=$TOKEN build=$BUILD_ID"; echo "VERSION=1.$BUILD_ID" >> "$MILLRACE_ENV"',
            env=[{"name": "TOKEN", "value": SECRET, "secret": True}])]},
        {"name": "Ship", "mode": "serial", "tasks": [script_task("ship", 'echo "shipping $VERSION"')]}]), "tester")
    daemon = daemons()
    run = runs.enqueue_run(p, "manual", "tester")
    for name in ("unit", "ship"):
        pod = started(daemon, run, task=name)
        assert run_pod(fake_kube, pod, tmp_path / name) == 0
    done = ended(daemon, run)
    assert done.status == "succeeded", done.reason
    unit = task_of(run.id, "unit")
    assert unit.executor == "kubernetes:test" and task_of(run.id, "checkout").executor == "local"
    lines = output(unit)
    assert lines[:2] == [f"[Normal] Scheduled Successfully assigned millrace-test/{json.loads(unit.handle_json)['pod']}"
                         " to node-1", '[Normal] Pulling Pulling image "alpine/git:2.45.2"']
    assert '[Normal] Started Started container main' in lines
    assert lines[-2:] == ["version 7", "token=*** build=1"]
    assert output(task_of(run.id, "ship"))[-1] == "shipping 1.1"     # a dynamic parameter from a pod
    # Nothing of the run is left on the cluster; the secret value was only ever in the Secret.
    assert fake_kube.pod_names("millrace-test") == [] and not fake_kube.store.list(
        BY_KEY["secrets"], "millrace-test")
    pods_ever = [json.dumps(obj) for _, _, key, obj in fake_kube.store.history if key == "pods"]
    assert pods_ever and not any(SECRET in text for text in pods_ever)
    assert SECRET.encode() not in (home / "millrace.db").read_bytes()
    assert not any(SECRET.encode() in f.read_bytes() for f in home.glob("millrace.db*"))


def test_waiting_for_resources_does_not_count_toward_the_timeout(home, fake_kube, daemons, clock):
    daemon = daemons(clock)
    run = runs.enqueue_run(one_task(timeout_minutes=1), "manual", "tester")
    pod = started(daemon, run, clock)
    fake_kube.unschedulable(pod, SCHEDULER)
    task = tick_until(daemon, lambda: (t := task_of(run.id, "work")).reason == SCHEDULER and t, clock)
    assert task.status == "waiting"
    clock.advance(120)                                   # two minutes without a node
    tick_until(daemon, lambda: Run.get_by_id(run.id).waiting_seconds >= 120, clock)
    assert Run.get_by_id(run.id).status == "waiting"
    fake_kube.start_pod(pod)
    fake_kube.log(pod, "working")
    tick_until(daemon, lambda: task_of(run.id, "work").status == "running", clock)
    clock.advance(30)                                    # then thirty seconds of work
    fake_kube.finish_pod(pod, exit_code=0)
    done = ended(daemon, run, clock)
    assert done.status == "succeeded", done.reason
    assert 119 <= done.waiting_seconds <= 121 and 29 <= done.execution_seconds <= 31
    text = output(task_of(run.id, "work"))
    assert f"[millrace] waiting: {SCHEDULER}" in text and f"[Warning] FailedScheduling {SCHEDULER}" in text
    assert "working" in text


def test_ninety_seconds_of_running_times_out_after_about_sixty(home, fake_kube, daemons, clock):
    daemon = daemons(clock)
    run = runs.enqueue_run(one_task(timeout_minutes=1), "manual", "tester")
    pod = started(daemon, run, clock)
    fake_kube.start_pod(pod)
    tick_until(daemon, lambda: task_of(run.id, "work").status == "running", clock)
    for _ in range(9):                                    # the pod would run 90 s; the daemon looks every 10 s
        clock.advance(10)
        daemon.tick(clock.now())
        if Run.get_by_id(run.id).stop_requested_at:
            break
    done = ended(daemon, run, clock)
    assert (done.status, done.reason) == ("timed_out", "timed out after 1 minute of execution")
    assert 60 <= done.execution_seconds <= 71
    assert task_of(run.id, "work").status == "timed_out"
    assert ("Pod", pod, 30) in fake_kube.deletions and fake_kube.pod_names("millrace-test") == []


def test_scheduling_timeout_fails_the_task_and_deletes_the_pod(home, fake_kube, daemons, clock):
    daemon = daemons(clock)
    run = runs.enqueue_run(one_task(scheduling_timeout_minutes=2), "manual", "tester")
    pod = started(daemon, run, clock)
    fake_kube.unschedulable(pod, SCHEDULER)
    tick_until(daemon, lambda: task_of(run.id, "work").reason == SCHEDULER, clock)
    clock.advance(119)
    daemon.tick(clock.now())
    assert task_of(run.id, "work").status == "waiting"
    clock.advance(2)
    done = ended(daemon, run, clock)
    assert done.status == "failed"
    assert done.reason == ("task 'work' in stage 'S' failed: scheduling timeout: the pod did not start within "
                           f"2 minutes ({SCHEDULER})")
    assert fake_kube.pod_names("millrace-test") == []


@pytest.mark.parametrize("break_it, reason", [
    (lambda fake, pod: fake.image_pull_error(pod), "image not found: busybox:1.36"),
    (lambda fake, pod: (fake.store.delete(BY_KEY["secrets"], "millrace-test", pod), fake.start_pod(pod)),
     "missing Secret {pod}"),
    (lambda fake, pod: fake.oom_kill(pod), "OOMKilled: the container exceeded its memory limit"),
], ids=["image-pull", "missing-secret", "oom-killed"])
def test_a_pod_that_cannot_run_fails_fast_with_its_reason(home, fake_kube, daemons, break_it, reason):
    daemon = daemons()
    run = runs.enqueue_run(one_task(timeout_minutes=30), "manual", "tester")
    pod = started(daemon, run)
    break_it(fake_kube, pod)
    done = ended(daemon, run)
    assert (done.status, task_of(run.id, "work").reason) == ("failed", reason.format(pod=pod))
    assert fake_kube.pod_names("millrace-test") == []


def test_stop_deletes_the_pod_with_grace_then_force(home, fake_kube, daemons, clock):
    daemon = daemons(clock)
    run = runs.enqueue_run(one_task(), "manual", "tester")
    pod = started(daemon, run, clock)
    fake_kube.start_pod(pod)
    fake_kube.ignore_sigterm(pod)
    tick_until(daemon, lambda: task_of(run.id, "work").status == "running", clock)
    runs.request_stop(Run.get_by_id(run.id), "alice")
    tick_until(daemon, lambda: fake_kube.pod(pod)["metadata"].get("deletionTimestamp"), clock)
    clock.advance(11)                                    # the daemon's grace for a TERM-ignoring task
    done = ended(daemon, run, clock)
    assert (done.status, done.reason) == ("stopped", "stopped by alice")
    assert [d for d in fake_kube.deletions if d[0] == "Pod"][:2] == [("Pod", pod, 30), ("Pod", pod, 0)]
    assert fake_kube.pod_names("millrace-test") == []


def test_a_new_daemon_adopts_the_pod_and_the_log_is_complete_exactly_once(home, fake_kube, daemons):
    first = daemons()
    run = runs.enqueue_run(one_task(), "manual", "tester")
    pod = started(first, run)
    fake_kube.start_pod(pod)
    fake_kube.log(pod, "one", "two")
    tick_until(first, lambda: "two" in output(task_of(run.id, "work")))
    first.executors.close()                              # the daemon is gone (no cleanup, no shutdown)
    fake_kube.log(pod, "three")
    second = daemons()
    tick_until(second, lambda: "three" in output(task_of(run.id, "work")))
    fake_kube.log(pod, "four")
    fake_kube.finish_pod(pod, exit_code=0)
    assert ended(second, run).status == "succeeded"
    assert [t for t in output(task_of(run.id, "work")) if not t.startswith("[")] == ["one", "two", "three", "four"]
    assert fake_kube.count(verb="create", resource="pods") == 1


def test_a_10_mb_line_from_a_pod_is_kept_in_marked_pieces_with_a_secret_across_a_cut_masked(
        home, fake_kube, daemons, tmp_path):
    # The secret starts 5 bytes before the first 64 KiB piece would end: the cut moves before it.
    script = ("head -c 65531 /dev/zero | tr '\\0' x; printf '%s' \"$TOKEN\"\n"
              "head -c 10420000 /dev/zero | tr '\\0' y; echo; echo NEXT")
    p = pipelines.create(pipeline_spec("long", stages=[{"name": "S", "mode": "serial", "tasks": [script_task(
        "work", script, image="busybox", tag="1.36", env=[{"name": "TOKEN", "value": SECRET, "secret": True}])]}]),
        "tester")
    daemon = daemons()
    run = runs.enqueue_run(p, "manual", "tester")
    assert run_pod(fake_kube, started(daemon, run), tmp_path / "work") == 0
    assert ended(daemon, run).status == "succeeded"
    lines = [t for t in output(task_of(run.id, "work")) if not t.startswith("[")]
    marker = " [millrace: line continues]"
    assert lines[-1] == "NEXT"
    pieces = lines[:-1]
    assert all(p.endswith(marker) and len(p.encode()) <= MAX_LINE_BYTES + len(marker) for p in pieces[:-1])
    assert not pieces[-1].endswith(marker) and len(pieces) >= 10_485_760 // MAX_LINE_BYTES
    assert pieces[0] == "x" * 65531 + marker and pieces[1].startswith("***y")
    whole = "".join(p.removesuffix(marker) for p in pieces)
    assert whole == "x" * 65531 + "***" + "y" * 10420000
    assert SECRET[:6] not in "\n".join(lines) and SECRET[-6:] not in "\n".join(lines)


@pytest.mark.parametrize("while_away, status, reason", [
    (lambda fake, pod: (fake.log(pod, "all", "done"), fake.finish_pod(pod, exit_code=4)), "failed", "exit code 4"),
    (lambda fake, pod: fake.remove_pod(pod), "failed", "pod lost: it was deleted while the task ran"),
], ids=["finished", "deleted"])
def test_what_happened_while_the_daemon_was_down(home, fake_kube, daemons, while_away, status, reason):
    first = daemons()
    run = runs.enqueue_run(one_task(), "manual", "tester")
    pod = started(first, run)
    fake_kube.start_pod(pod)
    tick_until(first, lambda: task_of(run.id, "work").status == "running")
    first.executors.close()
    while_away(fake_kube, pod)
    done = ended(daemons(), run)
    work = task_of(run.id, "work")
    assert (done.status, work.reason) == (status, reason)
    if reason == "exit code 4":
        assert output(work)[-2:] == ["all", "done"] and work.exit_code == 4


def test_a_500_on_pod_create_is_retried_and_leaves_one_pod(home, fake_kube, daemons):
    fake_kube.fail_next("POST", "pods", status=500, after=True)
    daemon = daemons()
    run = runs.enqueue_run(one_task(), "manual", "tester")
    pod = started(daemon, run)
    assert fake_kube.pod_names("millrace-test") == [pod]
    assert task_of(run.id, "work").status in ("running", "waiting")


def test_refused_credentials_fail_the_run_and_mark_the_cluster(home, fake_kube, daemons):
    from models.clusters import get
    fake_kube.revoke_token()
    daemon = daemons()
    run = runs.enqueue_run(one_task(), "manual", "tester")
    done = ended(daemon, run)
    assert task_of(run.id, "work").reason == "cluster 'test' refused the credentials"
    assert done.reason == "task 'work' in stage 'S' failed: cluster 'test' refused the credentials"
    row = get("test")
    assert (row.health, row.health_message) == ("refused", "cluster 'test' refused the credentials (401 Unauthorized)")


def test_an_unreachable_cluster_fails_the_run_instead_of_hanging(home, fake_kube, daemons):
    from models.clusters import get
    fake_kube.stop()
    daemon = daemons()
    run = runs.enqueue_run(one_task(), "manual", "tester")
    done = ended(daemon, run)            # a hang would end only at the generous deadline: failing
    assert task_of(run.id, "work").reason == "cluster 'test' unreachable"
    row = get("test")
    assert row.health == "unreachable" and row.health_message.startswith("cluster 'test' unreachable: ")


def test_a_cluster_that_goes_away_under_a_running_task_fails_it_after_two_minutes(home, fake_kube, daemons, clock):
    daemon = daemons(clock)
    run = runs.enqueue_run(one_task(), "manual", "tester")
    pod = started(daemon, run, clock)
    fake_kube.start_pod(pod)
    tick_until(daemon, lambda: task_of(run.id, "work").status == "running", clock)
    fake_kube.stop()
    view = daemon.executors["kubernetes:test"].view
    tick_until(daemon, lambda: not view.synced, clock)   # the watch has noticed; polls now ask and fail
    clock.advance(60)
    daemon.tick(clock.now())
    assert task_of(run.id, "work").status == "running"    # a blip is tolerated
    clock.advance(61)
    done = ended(daemon, run, clock)
    assert task_of(run.id, "work").reason == "cluster 'test' unreachable" and done.status == "failed"


def test_where_a_pipeline_runs(home, fake_kube, daemons):
    daemon = daemons()
    local = runs.enqueue_run(one_task(name="here", cluster="local"), "manual", "tester")
    assert ended(daemon, local).status == "succeeded"
    assert task_of(local.id, "work").executor == "local"
    nowhere = runs.enqueue_run(one_task(name="there", cluster="nope"), "manual", "tester")
    assert ended(daemon, nowhere).status == "failed"
    assert task_of(nowhere.id, "work").reason == "cluster 'nope' is not registered (removed?)"
