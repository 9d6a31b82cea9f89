"""Build & publish image as an engine task: `plan()` for the daemon, `main()` for a failure.

`plan()` resolves the task's registry (the one it names, else the default), substitutes
`${VAR}` in its fields and checks them through `container_build.plan_build`, so a bad
name, tag or Dockerfile path fails the task before anything starts. The task runs as a
durable local process: a fixed shell script (every value from the environment) that runs
the build script, keeps its output, and on success appends `IMAGE_DIGEST=sha256:…` and
`IMAGE_REF=…` to $MILLRACE_ENV. Only after a failure does it start Python
(`python -m daemon.tasks.build_image LOG CODE`), which writes `explain_failure()`'s
one-line message to $MILLRACE_REASON_FILE, the task's reason. This is the daemon's machine;
when the pipeline runs on a cluster, `daemon.tasks.lib.kaniko` plans a kaniko pod instead.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from daemon.tasks import TaskPlan, TaskUnavailable
from daemon.tasks.lib.container_build import BuildError, explain_failure, plan_build
from daemon.tasks.lib.local_container import heredoc
from daemon.tasks.lib.registry import Registry, from_settings
from models import registries
from models.variables import substitute

ROOT = Path(__file__).resolve().parents[2]
_PLACEHOLDER = Path("/nonexistent/millrace-build")     # work paths are set again under $MILLRACE_TASK_DIR
_WORK_KEYS = ("MILLRACE_WORK_DIR", "MILLRACE_DIGEST_FILE", "MILLRACE_AUTH_FILE", "MILLRACE_CERT_DIR")
# No Python on the way to a successful push (its start-up would cost more than a small build):
# the build's output is kept, and only a failure runs the explainer.
_HEAD = r'''#!/bin/sh
# Millrace build & publish image. Every value comes from the environment.
work="$MILLRACE_TASK_DIR/image-build"
mkdir -p "$work"
export MILLRACE_WORK_DIR="$work" MILLRACE_DIGEST_FILE="$work/image-digest" \
  MILLRACE_AUTH_FILE="$work/registry-auth.json" MILLRACE_CERT_DIR="$work/registry-certs"
[ -z "${MILLRACE_DOCKER_CONFIG:-}" ] || export DOCKER_CONFIG="$work/docker-config"
'''
_TAIL = r'''{ /bin/sh "$work/build-image.sh" 2>&1 </dev/null; echo $? >"$work/exit-code"; } | tee "$work/build.log"
code=$(cat "$work/exit-code")
if [ "$code" -eq 0 ]; then
  digest=$(grep -o 'sha256:[0-9a-f]\{64\}' "$MILLRACE_DIGEST_FILE" | tail -n 1)
  if [ -n "$digest" ]; then
    printf 'IMAGE_DIGEST=%s\nIMAGE_REF=%s\n' "$digest" "$MILLRACE_IMAGE" >>"$MILLRACE_ENV"
    exit 0
  fi
fi
"$MILLRACE_PYTHON" -m daemon.tasks.build_image "$work/build.log" "$code"
[ "$code" -ne 0 ] || code=1
exit "$code"
'''


def python_env() -> dict[str, str]:
    """How a supervisor process finds this interpreter and this source tree."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {"MILLRACE_PYTHON": sys.executable, "PYTHONPATH": path}


def registry_for(task: dict, values: dict, where: str) -> Registry:
    name = substitute(task.get("registry") or "", values, f"{where}.registry")
    if name:
        try:
            return from_settings(registries.get(name))
        except registries.NotFound as e:
            raise TaskUnavailable(f"task '{task['name']}' pushes to registry '{name}', which is not configured: "
                                  f"{e}") from None
    row = registries.default()
    if row is None:
        raise TaskUnavailable(f"task '{task['name']}' is a build & publish image task and no container registry is "
                              "configured to push to: add one with "
                              "python run.py registry add NAME --url HOST[:PORT] [--username U --password-stdin]")
    return from_settings(row)


def plan(task: dict, values: dict, where: str) -> TaskPlan:
    fields = {k: substitute(task.get(k) or default, values, f"{where}.{k}")
              for k, default in (("image", ""), ("tag", ""), ("workspace", ""), ("dockerfile", "Dockerfile"),
                                 ("context", "."))}
    registry = registry_for(task, values, where)
    try:
        build = plan_build(Path(values["MILLRACE_WORKSPACE"]), fields["dockerfile"], registry, fields["workspace"],
                           fields["image"], fields["tag"], _PLACEHOLDER, context=fields["context"])
    except BuildError as e:
        raise TaskUnavailable(f"task '{task['name']}': {e}") from None
    env = {k: v for k, v in build.env.items() if k not in _WORK_KEYS}
    if "DOCKER_CONFIG" in env:
        env["MILLRACE_DOCKER_CONFIG"] = "1"
        del env["DOCKER_CONFIG"]
    env.update(python_env())
    script = _HEAD + heredoc('"$work/build-image.sh"', build.script) + _TAIL
    return TaskPlan(script=script, env=env, secret_values=build.secret_values,
                    notes=[f"building {fields['dockerfile']} with {build.builder} and pushing {build.image}"])


def main(argv: list[str]) -> int:
    """After a failed build: say in one line what went wrong (`build.log`, exit code)."""
    output = Path(argv[0]).read_text(errors="replace")
    code = int(argv[1])
    reason = explain_failure(output) if code else "the image was pushed but its digest could not be read"
    Path(os.environ["MILLRACE_REASON_FILE"]).write_text(reason + "\n")
    print(f"millrace: failed: {reason}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
