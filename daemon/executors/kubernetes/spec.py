"""The two objects a task run creates: a Secret (its scripts and secret values) and a Pod.

The Secret holds the fixed wrapper, the fixed checkout script and the task's script
as files (mounted read-only on tmpfs, so a script with a secret substituted into it
never lands in a ConfigMap or on a node's disk) plus the secret environment values,
which reach the container through `secretKeyRef`: no value appears in the pod spec. A code
source with an account adds its token (`source.token`, the init container's
MILLRACE_GIT_TOKEN) and the fixed GIT_ASKPASS script that reads it (git_credentials.ASKPASS).
The wrapper prints a trailer with $MILLRACE_ENV and the reason file after the task.
Where the pod mounts what (WORKSPACE, TASK_DIR, OUT_DIR) is daemon.kube.names'.
"""
from __future__ import annotations

from daemon.executors.base import Launch
from daemon import git_credentials
from daemon.kube.names import OUT_DIR, TASK_DIR, WORKSPACE

MAIN, INIT = "main", "checkout"

# $1 the task files directory, $2 a writable scratch directory; any further arguments are
# handed to the task's script (a kaniko pod's executor command line, an argv list in the
# pod spec). Fixed text: the task's script is a file and its values are environment.
WRAPPER = r'''export MILLRACE_ENV="$2/env" MILLRACE_REASON_FILE="$2/reason"
files="$1"; shift 2
: >"$MILLRACE_ENV"; : >"$MILLRACE_REASON_FILE"
first=""; IFS= read -r first <"$files/script" || true
# PID 1 ignores SIGTERM unless trapped: pass it on so the task can clean up before the grace ends.
# Trapped before the script starts (the script gets default handlers back), so a TERM that
# arrives while it is being started is passed on too, not lost until the KILL.
child=""; stop=""
trap 'stop=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT
case "$first" in
  '#!'*) "$files/script" "$@" & ;;
  *) /bin/sh -e "$files/script" "$@" & ;;
esac
child=$!
[ -n "$stop" ] && kill -TERM "$child" 2>/dev/null
code=0; wait "$child" || code=$?
while kill -0 "$child" 2>/dev/null; do code=0; wait "$child" || code=$?; done
printf '%s\n' "::millrace-env $MILLRACE_POD_UID::"
cat "$MILLRACE_ENV"
printf '%s\n' "::millrace-reason $MILLRACE_POD_UID::"
cat "$MILLRACE_REASON_FILE"
printf '%s\n' "::millrace-end $MILLRACE_POD_UID::"
exit "$code"
'''

# $1 the workspace, $2 the task files directory. Repository URL (maybe with credentials), commit and
# branch come as environment; with an account, its token too (git asks $2/askpass.sh for it).
CHECKOUT = r"""set -eu
[ -z "${MILLRACE_GIT_TOKEN:-}" ] || export GIT_ASKPASS="$2/askpass.sh"
cd "$1"
git init -q .
git remote add origin "$MILLRACE_REPOSITORY"
ref="${MILLRACE_COMMIT:-$MILLRACE_BRANCH}"
git fetch -q --depth 1 origin "$ref" 2>/dev/null || git fetch -q origin "$ref" 2>/dev/null || git fetch -q origin
if [ -n "$MILLRACE_COMMIT" ]; then git checkout -q --detach "$MILLRACE_COMMIT"; else git checkout -q --detach FETCH_HEAD; fi
echo "checked out $(git rev-parse HEAD)"
"""

# The daemon's local paths mean nothing inside a pod; the wrapper sets its own.
_LOCAL_ONLY = {"MILLRACE_ENV", "MILLRACE_TASK_DIR", "MILLRACE_REASON_FILE", "MILLRACE_HOME"}


def markers(uid: str) -> tuple[str, str, str]:
    return f"::millrace-env {uid}::", f"::millrace-reason {uid}::", f"::millrace-end {uid}::"


def task_env(launch: Launch) -> dict[str, str]:
    """The task's own variables (never the daemon's environment), with the pod's own paths."""
    env = {k: v for k, v in launch.task_env.items() if k not in _LOCAL_ONLY}
    if "MILLRACE_WORKSPACE" in env:
        env["MILLRACE_WORKSPACE"] = WORKSPACE
    return env


def _is_secret(value: str, secrets: list[str]) -> bool:
    return any(s and s in value for s in secrets)


def secret(launch: Launch, name: str, labels: dict, env: dict) -> dict:
    data = {"run.sh": WRAPPER, "checkout.sh": CHECKOUT, "script": launch.script}
    data.update({f"env.{k}": v for k, v in env.items() if _is_secret(v, launch.secret_values)})
    if launch.source:
        data["source.repository"] = launch.source.get("repository", "")
        if credential := launch.source.get("credential"):
            data["source.token"] = credential["MILLRACE_GIT_TOKEN"]
            data["askpass.sh"] = git_credentials.ASKPASS
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "labels": labels}, "stringData": data}


def _from_secret(var: str, name: str, key: str) -> dict:
    return {"name": var, "valueFrom": {"secretKeyRef": {"name": name, "key": key}}}


def _credential_env(credential: dict | None, name: str) -> list[dict]:
    """The init container's git credential: the token by secretKeyRef (never a value in the
    spec), the fixed askpass script from the task's Secret volume, no credential store."""
    if not credential:
        return []
    plain = {"MILLRACE_GIT_USERNAME": credential["MILLRACE_GIT_USERNAME"], "GIT_TERMINAL_PROMPT": "0",
             **git_credentials.no_credential_store({})}
    return [_from_secret("MILLRACE_GIT_TOKEN", name, "source.token"),
            *({"name": k, "value": v} for k, v in plain.items())]


def pod(launch: Launch, name: str, labels: dict, env: dict, *, image: str, git_image: str,
        grace_seconds: int, deadline_seconds: int) -> dict:
    env_list = [_from_secret(k, name, f"env.{k}") if _is_secret(v, launch.secret_values) else {"name": k, "value": v}
                for k, v in sorted(env.items())]
    env_list.append({"name": "MILLRACE_POD_UID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}})
    mounts = [{"name": "workspace", "mountPath": WORKSPACE},
              {"name": "task", "mountPath": TASK_DIR, "readOnly": True}]
    main = {"name": MAIN, "image": image, "command": ["/bin/sh", f"{TASK_DIR}/run.sh", TASK_DIR, OUT_DIR],
            "workingDir": WORKSPACE, "env": env_list, "resources": launch.resources or {},
            "volumeMounts": mounts + [{"name": "out", "mountPath": OUT_DIR}]}
    spec = {"restartPolicy": "Never", "activeDeadlineSeconds": deadline_seconds,
            "terminationGracePeriodSeconds": grace_seconds,
            "automountServiceAccountToken": False, "enableServiceLinks": False,
            "containers": [main],
            "volumes": [{"name": "workspace", "emptyDir": {}}, {"name": "out", "emptyDir": {}},
                        {"name": "task", "secret": {"secretName": name, "defaultMode": 0o555, "items": [
                            {"key": k, "path": k} for k in ("run.sh", "checkout.sh", "script")]}}]}
    if launch.source:
        spec["initContainers"] = [{
            "name": INIT, "image": git_image, "command": ["/bin/sh", f"{TASK_DIR}/checkout.sh", WORKSPACE, TASK_DIR],
            "env": [_from_secret("MILLRACE_REPOSITORY", name, "source.repository"),
                    {"name": "MILLRACE_COMMIT", "value": launch.source.get("commit") or ""},
                    {"name": "MILLRACE_BRANCH", "value": launch.source.get("branch") or ""},
                    *_credential_env(launch.source.get("credential"), name)],
            "volumeMounts": mounts}]
        if launch.source.get("credential"):
            spec["volumes"][-1]["secret"]["items"].append({"key": "askpass.sh", "path": "askpass.sh"})
    annotations = {"millrace.dev/pipeline-name": launch.pipeline_name, "millrace.dev/task-name": launch.task_name,
                   "millrace.dev/run-number": str(launch.run_number)}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels, "annotations": annotations}, "spec": spec}
