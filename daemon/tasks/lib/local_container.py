"""Run-script tasks inside their image on this machine, with podman or docker.

Used when the `container_runtime` setting names a runtime. The plan is a fixed wrapper
script (still a durable local process): it writes the user's script into the task
directory, pulls the image if it is missing (a pull failure becomes the task's reason),
and runs the script in the image with the run's workspace and the task directory
mounted at their host paths, so $MILLRACE_WORKSPACE, $MILLRACE_ENV and
$MILLRACE_REASON_FILE mean the same inside. Environment values reach the container as
`--env NAME` (the value is taken from the runtime's environment, never the command
line); the network is the `container_network` setting (bridge, host, none, …).
"""
from __future__ import annotations

import re
import secrets
import shlex
import shutil

from daemon.tasks import TaskPlan, TaskUnavailable
from models.i18n import N_

RUNTIMES = ("podman", "docker")
IMAGE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@-]*$")
NETWORK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
ENGINE_VARIABLES = ("MILLRACE_ENV", "MILLRACE_TASK_DIR", "MILLRACE_REASON_FILE")

_HEAD = r"""#!/bin/sh
# Millrace: run the task's script in its image. Every value comes from the environment.
rt="$MILLRACE_CONTAINER_RUNTIME" image="$MILLRACE_CONTAINER_IMAGE" dir="$MILLRACE_TASK_DIR"
name="millrace-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)"
if ! "$rt" image inspect --format '{{.Id}}' "$image" >/dev/null 2>&1; then
  printf 'Pulling image %s\n' "$image"
  if ! "$rt" pull --quiet "$image" >/dev/null 2>"$dir/pull.err"; then
    cat "$dir/pull.err"
    printf "image %s could not be pulled with %s: %s\n" "$image" "$rt" "$(tail -n 1 "$dir/pull.err" | sed 's/^Error: //')" >"$MILLRACE_REASON_FILE"
    exit 125
  fi
fi
"""
_RUN = r'''trap '"$rt" stop --time 5 "$name" >/dev/null 2>&1' TERM INT
"$rt" run --rm {replace}--init --name "$name" --network "$MILLRACE_CONTAINER_NETWORK" \
  --volume "$MILLRACE_WORKSPACE:$MILLRACE_WORKSPACE" --volume "$dir:$dir" --workdir "$MILLRACE_WORKSPACE" \
  {env} "$image" {command} </dev/null &
wait $!
code=$?
if [ "$code" -eq 125 ] && [ ! -s "$MILLRACE_REASON_FILE" ]; then
  printf "%s could not run the task in image %s (exit code 125, see the log)\n" "$rt" "$image" >"$MILLRACE_REASON_FILE"
fi
exit "$code"
'''


def heredoc(path_expr: str, text: str) -> str:
    """`cat > path` of `text` verbatim: a quoted delimiter that is not a line of the text."""
    while True:
        delimiter = f"MILLRACE_SCRIPT_{secrets.token_hex(8)}"
        if delimiter not in text:
            break
    body = text if text.endswith("\n") else text + "\n"
    return f"cat >{path_expr} <<'{delimiter}'\n{body}{delimiter}\n"


def runtime_unusable(runtime: str, which=shutil.which) -> str | None:
    if runtime not in RUNTIMES:
        return (f"the container_runtime setting is '{runtime}', which Millrace cannot use (use podman or docker, "
                "or '' to run scripts on this machine's shell)")
    if not which(runtime):
        return (f"the container_runtime setting is '{runtime}' but {runtime} is not installed on this machine "
                "(not on PATH); install it or set container_runtime to ''")
    return None


def plan(task: dict, script_plan: TaskPlan, image: str, values: dict, runtime: str, network: str,
         which=shutil.which) -> TaskPlan:
    """Wrap the host plan of a run-script task so that its script runs in `image`."""
    if problem := runtime_unusable(runtime, which):
        raise TaskUnavailable(N_("task '{task}' cannot run in its image: {problem}", task=task["name"], problem=problem))
    if not IMAGE_REF.match(image):
        raise TaskUnavailable(N_("task '{task}': image {image} is not a valid image reference", task=task["name"],
                                 image=repr(image)))
    if not NETWORK.match(network):
        raise TaskUnavailable(N_("the container_network setting {network} is not a network name (e.g. bridge, host, "
                                 "none)", network=repr(network)))
    names = sorted(set(values) | set(script_plan.env) | set(ENGINE_VARIABLES))
    env_flags = " ".join(f"--env {shlex.quote(n)}" for n in names)
    user = '"$dir/user-script"'
    command = user if script_plan.script.startswith("#!") else f"/bin/sh -e {user}"
    text = (_HEAD + heredoc(user, script_plan.script) + f"chmod 0755 {user}\n"
            + _RUN.format(replace="--replace " if runtime == "podman" else "", env=env_flags, command=command))
    env = {**script_plan.env, "MILLRACE_CONTAINER_RUNTIME": runtime, "MILLRACE_CONTAINER_IMAGE": image,
           "MILLRACE_CONTAINER_NETWORK": network}
    note = f"running in image {image} with {runtime} (network: {network}); the workspace is mounted at its own path"
    return TaskPlan(script=text, env=env, secret_values=script_plan.secret_values, notes=[*script_plan.notes, note])
