"""Build & publish image on a cluster: a kaniko pod instead of buildah on the daemon's machine.

`plan()` (in the daemon: build_image's plan for a cluster) checks the task as the local
path does and returns a fixed script and its environment, in the `kaniko_image`
setting's image: a kaniko `:debug` image, because the task's wrapper runs under its
/bin/sh (kaniko's plain image has no shell). The plan's `shape_pod` is `shape()`, which
the executor applies to the run's Secret and Pod: kaniko's command
line becomes the main container's `args`, an argv list (`/kaniko/executor --dockerfile …
--context dir:///workspace/… --destination <registry>/<workspace>/<name>:<tag>
--digest-file …`) that the wrapper hands to the script; the registry's credentials
become a `.dockerconfigjson` in the Secret mounted at /kaniko/.docker/config.json (never
an environment value); a CA certificate becomes a file named by `--registry-certificate`.
On success the script appends `IMAGE_DIGEST` and `IMAGE_REF` to $MILLRACE_ENV, which the
wrapper's trailer brings back. No Python runs in the pod, so after a failure the executor
calls the plan's explainer, "kaniko" (build_image's `explainers`: `explain()`), on the log:
kaniko's messages, else `container_build.explain_failure`.
"""
from __future__ import annotations

import base64
import json
import posixpath
import re

from daemon.kube.names import OUT_DIR, TASK_DIR, WORKSPACE
from daemon.reasons import of_exception
from daemon.tasks import TaskPlan, TaskUnavailable
from daemon.tasks.lib import paths, registry as reg
from daemon.tasks.lib.container_build import build_fields, explain_failure
from daemon.tasks.lib.registry import registry_for
from models import daemon_state
from models.i18n import N_

EXECUTOR = "/kaniko/executor"
DOCKER_DIR = "/kaniko/.docker"                  # the kaniko image's DOCKER_CONFIG
DIGEST_FILE = f"{OUT_DIR}/image-digest"         # the wrapper's $MILLRACE_ENV is "$OUT_DIR/env"
CONFIG_KEY, CA_KEY = "docker-config.json", "registry-ca.crt"
CONFIG_ENV, CA_ENV = "MILLRACE_DOCKER_CONFIG_JSON", "MILLRACE_REGISTRY_CA"    # become files in shape()
_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io")

# Runs in /workspace (the checkout) under the wrapper: "$@" is kaniko's command line from the pod spec.
SCRIPT = r'''# Millrace build & publish image with kaniko. Every value comes from the environment or the pod spec.
printf 'millrace: registry %s\n' "$MILLRACE_REGISTRY"
[ -z "$MILLRACE_REGISTRY_USERNAME" ] || printf 'millrace: user %s\n' "$MILLRACE_REGISTRY_USERNAME"
printf 'millrace: image %s\n' "$MILLRACE_IMAGE"
if [ ! -f "$MILLRACE_DOCKERFILE_PATH" ]; then
  printf 'millrace: error: Dockerfile %s not found in the checkout\n' "$MILLRACE_DOCKERFILE_PATH" >&2
  exit 3
fi
# The paths were checked by their text in the daemon; here, with the checkout present, a
# symlink out of it (Dockerfile -> /kaniko/.docker/config.json) is refused, not followed.
ws=$(pwd -P)
inside() {
  [ -e "$2" ] || return 0
  real=$(realpath "$2" 2>/dev/null) || real=
  case "$real" in "$ws"|"$ws"/*) return 0 ;; esac
  printf "millrace: error: %s '%s' points outside the checkout (through a symlink, to %s)\n" "$1" "$2" "$real" >&2
  exit 3
}
inside "Dockerfile path" "$MILLRACE_DOCKERFILE_PATH"
inside "build context" "${MILLRACE_CONTEXT_PATH:-.}"
printf 'millrace: step build\n'
"$@"
# Shell builtins only from here: kaniko has unpacked the base image over this container's root.
digest=""; IFS= read -r digest <"${MILLRACE_ENV%/*}/image-digest" || true
case "$digest" in
  sha256:????????????????????????????????????????????????????????????????) ;;
  *) printf 'millrace: error: the image was pushed but its digest could not be read\n' >&2; exit 1 ;;
esac
printf 'millrace: pushed %s\n' "$digest"
printf 'IMAGE_DIGEST=%s\nIMAGE_REF=%s\n' "$digest" "$MILLRACE_IMAGE" >>"$MILLRACE_ENV"
'''


def docker_config(registry: reg.Registry) -> tuple[str, str]:
    """(config.json text, its base64 `user:password` token) for the registry's credentials."""
    token = base64.b64encode(f"{registry.username}:{registry.password}".encode()).decode()
    key = "https://index.docker.io/v1/" if registry.host in _HUB else registry.host
    return json.dumps({"auths": {key: {"auth": token}}}), token


def plan(task: dict, values: dict, where: str, cluster: str = "") -> TaskPlan:
    fields = build_fields(task, values, where)
    registry = registry_for(task, values, where)
    try:
        image = reg.image_ref(registry, fields["workspace"], fields["image"], fields["tag"])
        # the checkout is in the pod: its text is all there is to check here (SCRIPT resolves it)
        dockerfile = paths.lexical(fields["dockerfile"], "Dockerfile path")
        context = paths.lexical(fields["context"], "build context")
    except ValueError as e:
        raise TaskUnavailable(N_("task '{task}': {error}", task=task["name"], error=of_exception(e))) from None
    tls = "http" if registry.plain_http else "skip-verify" if registry.skip_tls_verify else "verify"
    env = {"MILLRACE_IMAGE": image, "MILLRACE_REGISTRY": registry.host,
           "MILLRACE_REGISTRY_USERNAME": registry.username, "MILLRACE_REGISTRY_TLS": tls,
           "MILLRACE_DOCKERFILE_PATH": dockerfile, "MILLRACE_CONTEXT_PATH": context}
    if registry.ca_cert and registry.verify_tls:
        env[CA_ENV] = registry.ca_cert
    secrets = []
    if registry.has_credentials:
        env[CONFIG_ENV], token = docker_config(registry)
        secrets = [s for s in (registry.password, token, env[CONFIG_ENV]) if s]
    builder = daemon_state.get_setting("kaniko_image").strip()
    where_to = f" on cluster '{cluster}'" if cluster else ""
    return TaskPlan(script=SCRIPT, env=env, secret_values=secrets, image=builder, shape_pod=shape, explain="kaniko",
                    notes=[f"building {dockerfile} with kaniko ({builder}){where_to} and pushing {image}"])


def _in_workspace(path: str) -> str:
    return posixpath.normpath(posixpath.join(WORKSPACE, path))


def executor_args(env: dict) -> list[str]:
    """Kaniko's argv from the plan's environment (the launch's task variables)."""
    host = env["MILLRACE_REGISTRY"]
    args = [EXECUTOR, "--dockerfile", _in_workspace(env["MILLRACE_DOCKERFILE_PATH"]),
            "--context", "dir://" + _in_workspace(env["MILLRACE_CONTEXT_PATH"]),
            "--destination", env["MILLRACE_IMAGE"], "--digest-file", DIGEST_FILE, "--push-retry", "2"]
    tls = env.get("MILLRACE_REGISTRY_TLS")
    if tls == "http":           # pushes, and base images pulled from the same registry, over plain HTTP
        args += ["--insecure", "--insecure-registry", host]
    elif tls == "skip-verify":
        args += ["--skip-tls-verify", "--skip-tls-verify-registry", host]
    if env.get(CA_ENV):
        args += ["--registry-certificate", f"{host}={TASK_DIR}/{CA_KEY}"]
    return args


def shape(pod: dict, secret: dict, env: dict) -> None:
    """Make a task run's Pod and Secret (daemon.executors.kubernetes.spec) a kaniko build;
    `env` as for executor_args. The plan's `shape_pod`: the executor calls it at start."""
    spec, data = pod["spec"], secret["stringData"]
    main = spec["containers"][0]
    main["args"] = executor_args(env)
    main["env"] = [e for e in main["env"] if e["name"] not in (CONFIG_ENV, CA_ENV)]
    for key in (CONFIG_ENV, CA_ENV):
        data.pop(f"env.{key}", None)
    if env.get(CA_ENV):
        data[CA_KEY] = env[CA_ENV]
        task_files = next(v for v in spec["volumes"] if v["name"] == "task")
        task_files["secret"]["items"].append({"key": CA_KEY, "path": CA_KEY})
    if env.get(CONFIG_ENV):
        data[CONFIG_KEY] = env[CONFIG_ENV]
        spec["volumes"].append({"name": "docker-config", "secret": {
            "secretName": secret["metadata"]["name"], "defaultMode": 0o400,
            "items": [{"key": CONFIG_KEY, "path": "config.json"}]}})
        main["volumeMounts"].append({"name": "docker-config", "mountPath": DOCKER_DIR, "readOnly": True})


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ERROR = re.compile(r"^(?:Error: )?(error (?:checking push permissions|building image|pushing image|resolving)\b.*)$",
                    re.M)
_INFO = r"^(?:INFO\[\d+\]|time=\S+ level=info msg=\")\s*"


def _last(pattern: str, text: str) -> str:
    found = re.findall(pattern, text, re.M)
    return found[-1].strip() if found else ""


def explain(output: str) -> str:
    """One line saying why the pod's build failed, from its log alone."""
    text = _ANSI.sub("", output)
    host, user = _last(r"^millrace: registry (.*)$", text), _last(r"^millrace: user (.*)$", text)
    errors = _ERROR.findall(text)
    if _last(r"^millrace: error: (.*)$", text) or not errors:
        reason = explain_failure(text)      # the script's own errors, or another builder's output
        if reason.startswith("image build failed: "):
            return reg.explain(reason, host, user) or reason
        return reason
    error = errors[-1].strip()
    if m := re.search(r"failed to execute command: .*?(exit status \d+)", error):
        step = _last(_INFO + r"(RUN .+?)\"?$", text) or "RUN"
        return f"build step failed: {step} ({m.group(1)})"
    if error.startswith("error resolving dockerfile path"):
        return f"Dockerfile not found in the checkout ({error})"
    if error.startswith("error building image") and re.search(r"/manifests/|MANIFEST_UNKNOWN|NAME_UNKNOWN", error):
        base = _last(_INFO + r"Retrieving image manifest (\S+?)\"?$", text) or "(unknown)"
        if m := re.search(r"(?:MANIFEST_UNKNOWN|NAME_UNKNOWN): ([^;]+)", error):
            return f"base image {base} not found ({m.group(1).strip()})"
        base_host = base.split("/")[0] if "/" in base else "docker.io"
        return f"base image {base} could not be pulled: {reg.explain(error, base_host) or error}"
    return reg.explain(error, host, user) or f"image build failed: {error}"
