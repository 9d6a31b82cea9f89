"""The Kubernetes executor against the fake API server, through the real client.

Each test plays one thing a user would notice: the pod and its Secret as created
(no secret value in the pod spec), waiting with the scheduler's message, the log
with lifecycle events and output exactly once across a daemon restart, dynamic
parameters coming back, fast failures with their reasons, stop and cleanup, and
cluster faults (401, unreachable, 500 on create) with their messages.
"""
import json
import subprocess

import pytest
from kubernetes import client

from daemon.executors.base import Launch
from daemon.executors.kubernetes.executor import KubernetesExecutor
from daemon.executors.kubernetes.options import KubeOptions
from daemon.kube.names import SELECTOR
from tests.conftest import wait_for
from tests.fakekube.fixture import api_client, fake_kube  # noqa: F401  (pytest fixture)
from tests.fakekube.kubelet import run_pod

SECRET = "s3cr3t-value-42"


@pytest.fixture
def sleeps():
    return []


def make_executor(fake, clock, sleeps, api=None, **kw):
    # No watch and no poll throttle: each poll asks the API server, so a test sees every change at once.
    kw = {"watch": False, "poll_interval": 0, "events_interval": 0, **kw}
    return KubernetesExecutor(api or fake.api(), fake.namespace, "prod",
                              options=KubeOptions(clock=clock, sleep=sleeps.append, **kw))


@pytest.fixture
def executor(fake_kube, clock, sleeps):
    return make_executor(fake_kube, clock, sleeps)


def make_launch(tmp_path, script="echo hello\n", attempt=1, source=None, **kw):
    own = {"GREETING": "hi there", "API_TOKEN": SECRET, "MILLRACE_ENV": str(tmp_path / "local.env")}
    return Launch(task_run_id=7, run_id=3, run_number=12, pipeline_name="Web App", task_name="Unit tests",
                  task_type="script", script=script, env={"PATH": "/usr/bin:/bin", **own}, task_env=own,
                  secret_values=[SECRET], workspace=tmp_path / "ws", task_dir=tmp_path / "task",
                  image="registry.example/app:1.4", attempt=attempt, source=source,
                  resources={"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}, **kw)


def read_all(executor, handle, cursor=None, clock=None):
    """What the shipper would store: read until nothing new (stepping the clock past the read throttle)."""
    out = b""
    for _ in range(50):   # a cursor that never settles is a bug, not a hang
        if clock:
            clock.advance(5)
        data, new = executor.read_output(handle, cursor)
        out += data
        if not data:
            return out.decode(), new
        cursor = new
    raise AssertionError(f"output never ran dry: {out[-300:]!r}")


def test_start_makes_a_labelled_pod_and_a_secret_holding_the_values(fake_kube, executor, tmp_path):
    handle = executor.start(make_launch(tmp_path, source={"repository": "https://git.example/app.git",
                                                          "branch": "main", "commit": "a" * 40}))
    name = handle["pod"]
    assert name == "millrace-3-7-1-unit-tests" and handle["namespace"] == fake_kube.namespace
    pod = fake_kube.pod(name)
    assert pod["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "millrace", "millrace.dev/run": "3",
                                         "millrace.dev/task-run": "7", "millrace.dev/attempt": "1",
                                         "millrace.dev/pipeline": "web-app", "millrace.dev/task": "unit-tests"}
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Never" and spec["activeDeadlineSeconds"] > 0
    main = spec["containers"][0]
    assert main["image"] == "registry.example/app:1.4"
    assert main["command"] == ["/bin/sh", "/millrace/task/run.sh", "/millrace/task", "/millrace/out"]
    assert main["resources"] == {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}
    env = {e["name"]: e for e in main["env"]}
    assert env["GREETING"] == {"name": "GREETING", "value": "hi there"}
    assert env["API_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": name, "key": "env.API_TOKEN"}
    assert "PATH" not in env and "MILLRACE_ENV" not in env     # the daemon's host values stay home
    init = spec["initContainers"][0]
    assert {e["name"]: e.get("value") for e in init["env"]}["MILLRACE_COMMIT"] == "a" * 40
    assert SECRET not in json.dumps(pod) and "echo hello" not in json.dumps(pod)
    secret = client.CoreV1Api(fake_kube.api()).read_namespaced_secret(name, fake_kube.namespace)
    assert set(secret.data) == {"run.sh", "checkout.sh", "script", "env.API_TOKEN", "source.repository"}
    assert secret.metadata.labels["millrace.dev/task-run"] == "7"


def test_start_again_adopts_the_same_pod(fake_kube, executor, clock, sleeps, tmp_path):
    first = executor.start(make_launch(tmp_path))
    restarted = make_executor(fake_kube, clock, sleeps)      # a new daemon, nothing in memory
    again = restarted.start(make_launch(tmp_path))
    assert again.pop("created") >= first.pop("created") and again == first
    assert fake_kube.pod_names(fake_kube.namespace) == [first["pod"]]
    other_attempt = executor.start(make_launch(tmp_path, attempt=2))
    assert other_attempt["pod"] == "millrace-3-7-2-unit-tests"


def test_a_500_on_create_is_retried_and_leaves_exactly_one_pod(fake_kube, executor, sleeps, tmp_path):
    # The create reaches etcd but its answer is lost; the retry gets 409 and adopts it.
    fake_kube.fail_next("POST", "pods", status=500, after=True)
    handle = executor.start(make_launch(tmp_path))
    assert "error" not in handle and handle["uid"] == fake_kube.pod(handle["pod"])["metadata"]["uid"]
    assert fake_kube.pod_names(fake_kube.namespace) == [handle["pod"]]
    assert fake_kube.count(verb="create", resource="pods") == 2 and sleeps == [0.5]


def test_quota_refusal_fails_with_the_apis_message(fake_kube, executor, tmp_path):
    fake_kube.fail_next("POST", "pods", status=403,
                        message='pods "x" is forbidden: exceeded quota: compute, requested: memory=1Gi')
    handle = executor.start(make_launch(tmp_path))
    poll = executor.poll(handle)
    assert poll.state == "failed"
    assert poll.reason == 'pod create refused: pods "x" is forbidden: exceeded quota: compute, requested: memory=1Gi'
    assert read_all(executor, handle)[0] == f"[Error] {poll.reason}\n"
    executor.cleanup(handle)
    core = client.CoreV1Api(fake_kube.api())
    assert core.list_namespaced_secret(fake_kube.namespace, label_selector=SELECTOR).items == []


def test_waiting_for_a_node_then_running_then_exit(fake_kube, executor, clock, tmp_path):
    handle = executor.start(make_launch(tmp_path))
    name = handle["pod"]
    fake_kube.unschedulable(name, "0/5 nodes are available: 4 Insufficient memory.")
    poll = executor.poll(handle)
    assert (poll.state, poll.reason) == ("waiting", "0/5 nodes are available: 4 Insufficient memory.")
    text, cursor = read_all(executor, handle, clock=clock)
    assert text == "[Warning] FailedScheduling 0/5 nodes are available: 4 Insufficient memory.\n"
    fake_kube.start_pod(name)
    fake_kube.log(name, "compiling", "testing")
    assert executor.poll(handle).state == "running"
    text, cursor = read_all(executor, handle, cursor, clock)
    assert text.splitlines() == [f"[Normal] Scheduled Successfully assigned {fake_kube.namespace}/{name} to node-1",
                                 '[Normal] Pulling Pulling image "registry.example/app:1.4"',
                                 '[Normal] Pulled Successfully pulled image "registry.example/app:1.4" in 1.2s '
                                 "(1.2s including waiting)",
                                 "[Normal] Created Created container main", "[Normal] Started Started container main",
                                 "compiling", "testing"]
    fake_kube.log(name, "done")
    fake_kube.finish_pod(name, exit_code=0)
    poll = executor.poll(handle)
    assert (poll.state, poll.exit_code) == ("exited", 0)
    assert read_all(executor, handle, cursor, clock)[0] == "done\n"


def test_log_resumes_after_a_restart_with_no_line_lost_or_repeated(fake_kube, executor, clock, sleeps, tmp_path):
    handle = executor.start(make_launch(tmp_path))
    name = handle["pod"]
    fake_kube.start_pod(name)
    executor.poll(handle)
    _, cursor = read_all(executor, handle, clock=clock)    # events only
    # Several lines share one timestamp, and a read ends in the middle of them.
    fake_kube.log(name, "a1", "a2", at=1_700_000_000.5)
    fake_kube.log(name, "b1", at=1_700_000_000.75)
    first, cursor = read_all(executor, handle, cursor, clock)
    fake_kube.log(name, "b2", "b3", at=1_700_000_000.75)
    fake_kube.log(name, "c1", at=1_700_000_001.0)
    stored = json.loads(json.dumps(cursor))                 # the cursor as the database keeps it
    restarted = make_executor(fake_kube, clock, sleeps)
    second, _ = read_all(restarted, handle, stored, clock)
    again, _ = read_all(restarted, handle, stored, clock)
    assert first + second == "a1\na2\nb1\nb2\nb3\nc1\n"
    assert again == second                                   # same cursor, same bytes


def test_script_env_and_dynamic_parameters_round_trip(fake_kube, executor, clock, tmp_path):
    script = ('echo "token is $API_TOKEN, greeting $GREETING"\n'
              'echo "VERSION=1.4.$((40 + 2))" >> "$MILLRACE_ENV"\n'
              'printf "no newline at the end"\n')
    handle = executor.start(make_launch(tmp_path, script=script))
    assert run_pod(fake_kube, handle["pod"], tmp_path / "kubelet") == 0
    poll = executor.poll(handle)
    assert (poll.state, poll.exit_code) == ("exited", 0)
    text, _ = read_all(executor, handle, clock=clock)
    output = [line for line in text.splitlines() if not line.startswith("[")]
    assert output == [f"token is {SECRET}, greeting hi there", "no newline at the end"]
    assert executor.read_outputs_file(handle) == "VERSION=1.4.42\n"


def test_a_failing_script_reports_its_exit_code_and_reason(fake_kube, executor, tmp_path):
    script = 'echo "cannot reach the database" > "$MILLRACE_REASON_FILE"\nfalse\necho never\n'
    handle = executor.start(make_launch(tmp_path, script=script))
    assert run_pod(fake_kube, handle["pod"], tmp_path / "kubelet") == 1    # sh -e stops at `false`
    assert executor.poll(handle).exit_code == 1
    assert executor.read_reason(handle) == "cannot reach the database"
    assert executor.read_outputs_file(handle) == ""


def test_checkout_init_container_fetches_the_pinned_commit(fake_kube, executor, clock, tmp_path):
    repo = tmp_path / "repo"
    git = ["git", "-C", str(repo), "-c", "user.email=t@example", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "app.txt").write_text("v1\n")
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "one"], check=True)
    pinned = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    (repo / "app.txt").write_text("v2\n")
    subprocess.run(git + ["commit", "-qam", "two"], check=True)
    launch = make_launch(tmp_path, script="cat app.txt\n",
                         source={"repository": f"file://{repo}", "branch": "main", "commit": pinned})
    handle = executor.start(launch)
    assert run_pod(fake_kube, handle["pod"], tmp_path / "kubelet") == 0
    executor.poll(handle)
    text, _ = read_all(executor, handle, clock=clock)
    assert f"checked out {pinned}" in text.splitlines()
    assert text.splitlines()[-1] == "v1"


def test_failed_checkout_fails_the_task_with_its_output(fake_kube, executor, clock, tmp_path):
    handle = executor.start(make_launch(tmp_path, source={"repository": "https://git.example/x.git",
                                                          "branch": "main", "commit": "b" * 40}))
    fake_kube.fail_init(handle["pod"], 128, ["fatal: repository 'https://git.example/x.git/' not found"])
    poll = executor.poll(handle)
    assert (poll.state, poll.reason) == ("failed", "init container checkout failed with exit code 128")
    assert "fatal: repository 'https://git.example/x.git/' not found" in read_all(executor, handle, clock=clock)[0]


@pytest.mark.parametrize("break_it, reason", [
    (lambda fake, name: fake.image_pull_error(name), "image not found: registry.example/app:1.4"),
    (lambda fake, name: fake.waiting(name, "InvalidImageName", "couldn't parse image reference"),
     "invalid image name: registry.example/app:1.4"),
    (lambda fake, name: (client.CoreV1Api(fake.api()).delete_namespaced_secret(name, fake.namespace),
                         fake.start_pod(name)), "missing Secret {name}"),
    (lambda fake, name: fake.oom_kill(name), "OOMKilled: the container exceeded its memory limit"),
    (lambda fake, name: fake.evict(name, "The node was low on resource: memory."),
     "Evicted: The node was low on resource: memory."),
], ids=["image-not-found", "invalid-image", "missing-secret", "oom", "evicted"])
def test_platform_failures_fail_fast_with_their_reason(fake_kube, executor, tmp_path, break_it, reason):
    handle = executor.start(make_launch(tmp_path))
    break_it(fake_kube, handle["pod"])
    poll = executor.poll(handle)
    assert (poll.state, poll.reason) == ("failed", reason.format(name=handle["pod"]))


def test_stop_deletes_with_grace_then_force_and_cleanup_leaves_nothing(fake_kube, executor, tmp_path):
    handle = executor.start(make_launch(tmp_path))
    name = handle["pod"]
    fake_kube.start_pod(name)
    fake_kube.ignore_sigterm(name)
    executor.stop(handle)
    assert fake_kube.pod(name)["metadata"]["deletionTimestamp"]
    assert executor.poll(handle).state == "running"          # still terminating
    executor.stop(handle, force=True)
    executor.stop(handle, force=True)                         # already gone: no error
    assert executor.poll(handle).reason == "pod lost: it was deleted while the task ran"
    assert fake_kube.deletions[:2] == [("Pod", name, 30), ("Pod", name, 0)]
    executor.cleanup(handle)
    core = client.CoreV1Api(fake_kube.api())
    assert core.list_namespaced_pod(fake_kube.namespace, label_selector=SELECTOR).items == []
    assert core.list_namespaced_secret(fake_kube.namespace, label_selector=SELECTOR).items == []


def test_pod_deleted_by_someone_else_is_lost(fake_kube, executor, tmp_path):
    handle = executor.start(make_launch(tmp_path))
    fake_kube.start_pod(handle["pod"])
    fake_kube.remove_pod(handle["pod"])
    assert executor.poll(handle).reason == "pod lost: it was deleted while the task ran"


def test_deleted_namespace_says_so(fake_kube, executor, tmp_path):
    handle = executor.start(make_launch(tmp_path))
    client.CoreV1Api(fake_kube.api()).delete_namespace(fake_kube.namespace)
    expected = f"namespace '{fake_kube.namespace}' missing on cluster 'prod'"
    assert executor.poll(handle).reason == expected
    assert executor.start(make_launch(tmp_path, attempt=2))["error"] == expected


def test_refused_credentials(fake_kube, clock, sleeps, tmp_path):
    bad = make_executor(fake_kube, clock, sleeps, api=api_client(fake_kube.kubeconfig(tmp_path / "kc", token="old")))
    handle = bad.start(make_launch(tmp_path))
    assert handle["error"] == "cluster 'prod' refused the credentials"
    assert bad.poll(handle).reason == "cluster 'prod' refused the credentials" and sleeps == []


def test_unreachable_cluster_is_tolerated_briefly_then_fails(fake_kube, executor, clock, sleeps, tmp_path):
    handle = executor.start(make_launch(tmp_path))
    fake_kube.start_pod(handle["pod"])
    assert executor.poll(handle).state == "running"
    fake_kube.stop()
    assert executor.poll(handle).state == "running"          # a blip: keep the last known state
    assert executor.read_output(handle, None) == (b"", {})
    clock.advance(121)
    assert executor.poll(handle) .reason == "cluster 'prod' unreachable"
    assert executor.start(make_launch(tmp_path, attempt=2))["error"] == "cluster 'prod' unreachable"
    assert sleeps and max(sleeps) <= 4                        # backed off, never hung


def test_transient_errors_are_retried(fake_kube, executor, sleeps, tmp_path):
    handle = executor.start(make_launch(tmp_path))
    fake_kube.start_pod(handle["pod"])
    fake_kube.fail_next("GET", "pods", status=503, times=2)
    assert executor.poll(handle).state == "running"
    assert sleeps == [0.5, 1.0]


def test_a_chatty_task_is_read_every_second_and_a_silent_one_less_and_less(fake_kube, executor, clock, tmp_path):
    handle = executor.start(make_launch(tmp_path))
    fake_kube.start_pod(handle["pod"])
    executor.poll(handle)
    _, cursor = read_all(executor, handle, clock=clock)
    clock.advance(5)
    before = len(fake_kube.requests)
    for _ in range(3):                                        # three ticks, a second apart
        clock.advance(1)
        fake_kube.log(handle["pod"], "tick")
        executor.poll(handle)
        data, cursor = executor.read_output(handle, cursor)
        assert data == b"tick\n"
        assert executor.read_output(handle, cursor) == (b"", cursor)   # the shipper's second look is free
    assert len(fake_kube.requests) - before == 6              # a status read and a log read per second
    reads = []
    for second in range(1, 16):                               # then silence, looked at every second
        clock.advance(1)
        before = fake_kube.count(resource="pods/log")
        assert executor.read_output(handle, cursor)[0] == b""
        if fake_kube.count(resource="pods/log") > before:
            reads.append(second)
    assert reads == [1, 3, 7, 11, 15]                         # waits of 1, 2, 4, then at most 4 seconds


def test_with_the_watch_a_running_task_costs_no_status_requests(fake_kube, clock, sleeps, tmp_path):
    executor = make_executor(fake_kube, clock, sleeps, watch=True)
    try:
        handle = executor.start(make_launch(tmp_path))
        assert executor.poll(handle).state == "waiting"
        fake_kube.start_pod(handle["pod"])
        poll_until(executor, handle, "running")
        before = fake_kube.count(resource="pods", verb="get")
        for _ in range(20):
            assert executor.poll(handle).state == "running"
        fake_kube.finish_pod(handle["pod"], exit_code=3)
        assert poll_until(executor, handle, "exited").exit_code == 3
        assert fake_kube.count(resource="pods", verb="get") == before     # all from the watched view
        fake_kube.remove_pod(handle["pod"])
        assert poll_until(executor, handle, "failed").reason == "pod lost: it was deleted while the task ran"
    finally:
        executor.close()


def poll_until(executor, handle, state):
    """Poll until the task is in `state` (the watch thread updates its view asynchronously)."""
    seen = []

    def reached():
        seen.append(executor.poll(handle))
        return seen[-1] if seen[-1].state == state else None
    return wait_for(reached, interval=0.01, ignore=(), message=lambda: f"state {state} (last: {seen[-1] if seen else None})")


def catches(pid: int, sig: int) -> bool:
    """Whether process `pid` has a handler for `sig` (the SigCgt mask in /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as status:
        mask = next(line.split()[1] for line in status if line.startswith("SigCgt:"))
    return bool(int(mask, 16) & (1 << (sig - 1)))


def test_the_wrapper_passes_sigterm_to_the_script_and_keeps_its_status(tmp_path):
    """Stop deletes the pod with a grace period: the kubelet sends SIGTERM to PID 1 (the
    wrapper), which must hand it to the task so the task can clean up in time."""
    import signal
    from daemon.executors.kubernetes import spec as kube_spec
    task, out = tmp_path / "task", tmp_path / "out"
    task.mkdir()
    out.mkdir()
    (task / "run.sh").write_text(kube_spec.WRAPPER)
    (task / "script").write_text("trap 'echo cleaning up; exit 3' TERM\necho started\n"
                                 "while :; do sleep 0.1; done\n")
    proc = subprocess.Popen(["/bin/sh", str(task / "run.sh"), str(task), str(out)], stdout=subprocess.PIPE,
                            env={"PATH": "/usr/bin:/bin", "MILLRACE_POD_UID": "u1"}, text=True)
    assert proc.stdout.readline() == "started\n"
    # The wrapper sets its TERM trap only after it started the script: signal it once the
    # kernel shows the trap (SigCgt), not after a pause a loaded machine may outlast.
    wait_for(lambda: catches(proc.pid, signal.SIGTERM), message="the wrapper's TERM trap")
    proc.send_signal(signal.SIGTERM)
    rest = proc.communicate(timeout=60)[0]
    assert proc.returncode == 3
    assert rest.splitlines()[0] == "cleaning up"
    assert rest.splitlines()[1:] == ["::millrace-env u1::", "::millrace-reason u1::", "::millrace-end u1::"]
