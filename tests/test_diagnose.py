"""The pod diagnosis as a table: pod status (+ events) → wait / fail / fine.

Each row is a pod as the API returns it (camelCase JSON) and what a user should
see: whether the task waits (with the scheduler's words), fails at once (with the
reason), or runs/exits normally.
"""
import pytest

from daemon.executors.diagnose import Diagnosis, diagnose

IMAGE = "registry.example/app:1.4"


def pod(phase="Pending", node="node-1", main=None, init=None, conditions=(), reason=None, message=None):
    status = {"phase": phase, "conditions": list(conditions)}
    if main is not None:
        status["containerStatuses"] = [{"name": "main", "state": main}]
    if init is not None:
        status["initContainerStatuses"] = [{"name": "checkout", "state": init}]
    if reason:
        status.update(reason=reason, message=message)
    spec = {"containers": [{"name": "main", "image": IMAGE}],
            "initContainers": [{"name": "checkout", "image": "alpine/git:2.45.2"}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": "p"}, "spec": spec, "status": status}


def waiting(reason, message=None):
    return {"waiting": {"reason": reason, **({"message": message} if message else {})}}


def terminated(code, reason="Error"):
    return {"terminated": {"exitCode": code, "reason": reason}}


def event(reason, message, at="2024-05-01T10:00:00Z", etype="Warning"):
    return {"type": etype, "reason": reason, "message": message, "lastTimestamp": at}


UNSCHEDULABLE = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                 "message": "0/5 nodes are available: 5 Insufficient cpu."}
SCHED_MSG = "0/5 nodes are available: 4 Insufficient memory, 1 node(s) had untolerated taint."

CASES = [
    dict(name="just created, no node yet", pod=pod(node=None),
         expect=Diagnosis("wait", "waiting to be scheduled")),
    dict(name="unschedulable: scheduler message from the condition", pod=pod(node=None, conditions=[UNSCHEDULABLE]),
         expect=Diagnosis("wait", "0/5 nodes are available: 5 Insufficient cpu.")),
    dict(name="unschedulable: the latest FailedScheduling event wins",
         pod=pod(node=None, conditions=[UNSCHEDULABLE]),
         events=[event("FailedScheduling", "0/5 nodes are available: 5 Insufficient cpu.", "2024-05-01T10:00:00Z"),
                 event("FailedScheduling", SCHED_MSG, "2024-05-01T10:01:00Z")],
         expect=Diagnosis("wait", SCHED_MSG)),
    dict(name="scheduled, init running: starting", pod=pod(main=waiting("PodInitializing"), init={"running": {}}),
         expect=Diagnosis("wait", "starting: PodInitializing")),
    dict(name="creating the container", pod=pod(main=waiting("ContainerCreating"), init=terminated(0, "Completed")),
         expect=Diagnosis("wait", "starting: ContainerCreating")),
    dict(name="image not found", pod=pod(main=waiting("ErrImagePull", f'failed to resolve reference "{IMAGE}": not found')),
         expect=Diagnosis("fail", f"image not found: {IMAGE}")),
    dict(name="image pull back-off, manifest unknown",
         pod=pod(main=waiting("ImagePullBackOff", "Back-off pulling image: manifest unknown")),
         expect=Diagnosis("fail", f"image not found: {IMAGE}")),
    dict(name="pull denied: cannot tell missing from private",
         pod=pod(main=waiting("ErrImagePull", "pull access denied, repository does not exist or may require authorization: authorization failed")),
         expect=Diagnosis("fail", f"image not found or pull refused: {IMAGE}")),
    dict(name="pull unauthorized", pod=pod(main=waiting("ErrImagePull", "failed to authorize: 401 Unauthorized")),
         expect=Diagnosis("fail", f"image pull refused: {IMAGE}")),
    dict(name="transient pull error: keep waiting", pod=pod(main=waiting("ErrImagePull", "i/o timeout")),
         expect=Diagnosis("wait", f"pulling image {IMAGE} failed, retrying: i/o timeout")),
    dict(name="back-off after a transient error fails", pod=pod(main=waiting("ImagePullBackOff", "i/o timeout")),
         expect=Diagnosis("fail", f"image pull failed: {IMAGE}: i/o timeout")),
    dict(name="invalid image name", pod=pod(main=waiting("InvalidImageName", 'couldn\'t parse image reference "Bad Image"')),
         expect=Diagnosis("fail", f"invalid image name: {IMAGE}")),
    dict(name="missing Secret in env", pod=pod(main=waiting("CreateContainerConfigError", 'secret "run-7" not found')),
         expect=Diagnosis("fail", "missing Secret run-7")),
    dict(name="missing ConfigMap in env", pod=pod(main=waiting("CreateContainerConfigError", 'configmap "cfg" not found')),
         expect=Diagnosis("fail", "missing ConfigMap cfg")),
    dict(name="missing key in a Secret",
         pod=pod(main=waiting("CreateContainerConfigError", "couldn't find key TOKEN in Secret ci/run-7")),
         expect=Diagnosis("fail", "missing key TOKEN in Secret run-7")),
    dict(name="missing ConfigMap volume shows only as a FailedMount event",
         pod=pod(main=waiting("ContainerCreating")),
         events=[event("FailedMount", 'MountVolume.SetUp failed for volume "task" : configmap "millrace-9" not found')],
         expect=Diagnosis("fail", "missing ConfigMap millrace-9")),
    dict(name="init image not found", pod=pod(main=waiting("PodInitializing"), init=waiting("ErrImagePull", "not found")),
         expect=Diagnosis("fail", "image not found: alpine/git:2.45.2")),
    dict(name="checkout failed", pod=pod(phase="Failed", main=waiting("PodInitializing"), init=terminated(128)),
         expect=Diagnosis("fail", "init container checkout failed with exit code 128", 128)),
    dict(name="running", pod=pod(phase="Running", main={"running": {"startedAt": "2024-05-01T10:00:00Z"}}),
         expect=Diagnosis("fine")),
    dict(name="succeeded", pod=pod(phase="Succeeded", main=terminated(0, "Completed")),
         expect=Diagnosis("fine", exit_code=0)),
    dict(name="failed with an exit code is the task's own result", pod=pod(phase="Failed", main=terminated(3)),
         expect=Diagnosis("fine", exit_code=3)),
    dict(name="OOMKilled", pod=pod(phase="Failed", main=terminated(137, "OOMKilled")),
         expect=Diagnosis("fail", "OOMKilled: the container exceeded its memory limit", 137)),
    dict(name="Evicted", pod=pod(phase="Failed", main=terminated(137), reason="Evicted",
                                 message="The node was low on resource: memory."),
         expect=Diagnosis("fail", "Evicted: The node was low on resource: memory.")),
    dict(name="deadline exceeded", pod=pod(phase="Failed", main=terminated(137), reason="DeadlineExceeded",
                                           message="Pod was active on the node longer than the specified deadline"),
         expect=Diagnosis("fail", "DeadlineExceeded: Pod was active on the node longer than the specified deadline")),
    dict(name="container status lost", pod=pod(phase="Failed", main={"terminated": {
        "exitCode": 137, "reason": "ContainerStatusUnknown", "message": "The container could not be located"}}),
         expect=Diagnosis("fail", "container lost: The container could not be located", 137)),
    dict(name="node not reporting", pod=pod(phase="Unknown"),
         expect=Diagnosis("wait", "pod status unknown: its node is not reporting")),
]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_diagnose(case):
    assert diagnose(case["pod"], case.get("events", [])) == case["expect"]
