"""Build & publish image as an engine task: its plans for the daemon, `main()` for a failure.

On this machine (`on_this_machine`) it resolves the task's registry (the one it names,
else the default, daemon.tasks.lib.registry.registry_for), substitutes
`${VAR}` in its fields and checks them through `container_build.plan_build`, so a bad
name, tag or Dockerfile path fails the task before anything starts. The task runs as a
durable local process: a fixed shell script (every value from the environment) that runs
the build script, keeps its output, and on success appends `IMAGE_DIGEST=sha256:…` and
`IMAGE_REF=…` to $MILLRACE_ENV. Only after a failure does it start Python
(`python -m daemon.tasks.build_image LOG CODE`), which writes `explain_failure()`'s
one-line message to $MILLRACE_REASON_FILE, the task's reason. When the pipeline runs on a
cluster, daemon.tasks.lib.kaniko plans a kaniko pod instead, whose failures its explainer
("kaniko") reads from the pod's log.
"""
from __future__ import annotations

import sys
from pathlib import Path

from daemon.executors.base import KUBERNETES, LOCAL
from daemon.reasons import of_exception
from daemon.tasks import Context, TaskPlan, TaskType, TaskUnavailable
from daemon.tasks import process
from daemon.tasks.lib import kaniko
from daemon.tasks.lib.container_build import BuildError, build_fields, explain_failure, plan_build
from daemon.tasks.lib.local_container import heredoc
from daemon.tasks.lib.registry import registry_for
from models import task_types
from models.i18n import N_

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


def on_this_machine(ctx: Context) -> TaskPlan:
    task, values, where = ctx.task, ctx.values, ctx.where
    fields = build_fields(task, values, where)
    registry = registry_for(task, values, where)
    try:
        build = plan_build(Path(values["MILLRACE_WORKSPACE"]), fields["dockerfile"], registry, fields["workspace"],
                           fields["image"], fields["tag"], _PLACEHOLDER, context=fields["context"])
    except BuildError as e:
        raise TaskUnavailable(N_("task '{task}': {error}", task=task["name"], error=of_exception(e))) from None
    env = {k: v for k, v in build.env.items() if k not in _WORK_KEYS}
    if "DOCKER_CONFIG" in env:
        env["MILLRACE_DOCKER_CONFIG"] = "1"
        del env["DOCKER_CONFIG"]
    env.update(process.python_env())
    script = _HEAD + heredoc('"$work/build-image.sh"', build.script) + _TAIL
    return TaskPlan(script=script, env=env, secret_values=build.secret_values,
                    notes=[f"building {fields['dockerfile']} with {build.builder} and pushing {build.image}"])


def on_cluster(ctx: Context) -> TaskPlan:
    return kaniko.plan(ctx.task, ctx.values, ctx.where, ctx.cluster)


TYPE = TaskType(task_types.BUILD_IMAGE, plans={LOCAL: on_this_machine, KUBERNETES: on_cluster},
                explainers={"kaniko": kaniko.explain})


def main(argv: list[str]) -> int:
    """After a failed build: say in one line what went wrong (`build.log`, exit code)."""
    output = Path(argv[0]).read_text(errors="replace")
    code = int(argv[1])
    process.fail(explain_failure(output) if code else "the image was pushed but its digest could not be read")
    return 0       # the build's own exit code is the task's (the script exits with it)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
