"""The implicit first task of a run with a code source: fetch the branch, pin its commit.

A task type like the others (`TYPE`, fields: none), run on the daemon's machine; its task
run is the one task of the run's code-source stage (models.task_types.SOURCE_STAGE).

A fixed script (no user text in it): repository, branch and an optional pinned commit
arrive as environment variables. It writes the pinned SHA to $MILLRACE_ENV so every
later task sees MILLRACE_COMMIT_SHA, and a missing branch fails with the reason
`branch 'X' not found in repository 'Y'`.

A checkout has its own time limit (the daemon setting `checkout_timeout_minutes`,
default 10): a server that accepts the connection and never answers would otherwise
hold the run until the pipeline's timeout (14 days by default). Each git command that
talks to the server runs under coreutils `timeout` with what is left of that budget, and
git's own low-speed limit (less than LOW_SPEED_LIMIT_BYTES a second for
LOW_SPEED_TIME_SECONDS) ends an HTTP transfer that has stalled sooner. Reasons name the
repository with any credentials removed from its URL.

A code source that names an account (`source.account`) is fetched with the account's token
(daemon/git_credentials.py: GIT_ASKPASS, a script written to the task directory
that reads the token from the environment; the token is one of the task's secret values,
so the log masks it).
"""
from __future__ import annotations

import os
import re

from daemon.executors.base import LOCAL
from daemon.tasks import Context, TaskPlan, TaskType
from daemon import git_credentials
from models import daemon_state, task_types
from models.variables import substitute

# git's HTTP low-speed abort (GIT_HTTP_LOW_SPEED_LIMIT / _TIME, curl's CURLOPT_LOW_SPEED_*).
LOW_SPEED_LIMIT_BYTES = 1000
LOW_SPEED_TIME_SECONDS = 60

SCRIPT = r'''set -u +e
export LC_ALL=C GIT_TERMINAL_PROMPT=0
repo="$MILLRACE_REPOSITORY" branch="$MILLRACE_BRANCH" shown="$MILLRACE_REPOSITORY_SHOWN"
deadline=$(( $(date +%s%3N) + MILLRACE_CHECKOUT_TIMEOUT_MS ))
# git "$@" within what is left of the checkout's time (exit 124 when it ran out). --foreground keeps
# git in the task's process group, so stopping the run still reaches it; -k: KILL if TERM is ignored.
git_in_time() {
  left=$(( deadline - $(date +%s%3N) ))
  [ "$left" -gt 0 ] || return 124
  timeout --foreground -k 5 "$((left / 1000)).$(printf %03d $((left % 1000)))" git "$@"
}
# $1: exit code of git_in_time, $2: what it was doing, $3: its stderr file. Ends the task on a timeout.
fail_if_slow() {
  if [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; then
    printf "checkout of %s timed out after %s (%s)\n" "$shown" "$MILLRACE_CHECKOUT_TIMEOUT_TEXT" "$2" \
      | tee "$MILLRACE_REASON_FILE"
    exit 1
  elif grep -q "Operation too slow" "$3" 2>/dev/null; then
    cat "$3"
    printf "checkout of %s stopped: the server sent less than %s bytes/s for %s s\n" "$shown" \
      "$GIT_HTTP_LOW_SPEED_LIMIT" "$GIT_HTTP_LOW_SPEED_TIME" | tee "$MILLRACE_REASON_FILE"
    exit 1
  fi
}
if [ -n "${MILLRACE_GIT_TOKEN:-}" ]; then
  # The account's token: git asks this fixed script (git_credentials.ASKPASS), which reads it from the environment.
  export GIT_ASKPASS="$MILLRACE_TASK_DIR/askpass.sh"
  (umask 077 && printf '%s' "$MILLRACE_ASKPASS_SCRIPT" >"$GIT_ASKPASS") && chmod 700 "$GIT_ASKPASS" || exit 1
fi
echo "Checking out branch $branch of $shown (time limit $MILLRACE_CHECKOUT_TIMEOUT_TEXT)"
heads=$(git_in_time ls-remote --exit-code --heads "$repo" "refs/heads/$branch" 2>"$MILLRACE_TASK_DIR/ls-remote.err")
rc=$?
fail_if_slow $rc "no answer from the server" "$MILLRACE_TASK_DIR/ls-remote.err"
if [ $rc -eq 2 ]; then
  printf "branch '%s' not found in repository '%s'\n" "$branch" "$shown" | tee "$MILLRACE_REASON_FILE"
  exit 1
elif [ $rc -ne 0 ]; then
  cat "$MILLRACE_TASK_DIR/ls-remote.err"
  printf "repository '%s' cannot be read (git ls-remote exited with %s)\n" "$shown" "$rc" | tee "$MILLRACE_REASON_FILE"
  exit 1
fi
sha="${MILLRACE_PINNED_SHA:-}"
[ -n "$sha" ] || sha=$(printf '%s\n' "$heads" | cut -f1)
git init -q . && git remote add origin "$repo" || exit 1
# By commit first (shallow); servers that refuse fetching a commit by id get the whole branch.
git_in_time fetch -q --depth 1 origin "$sha" 2>"$MILLRACE_TASK_DIR/fetch.err"
rc=$?
fail_if_slow $rc "fetching took longer: a large repository may need a higher checkout_timeout_minutes" \
  "$MILLRACE_TASK_DIR/fetch.err"
if [ $rc -ne 0 ]; then
  git_in_time fetch -q origin "refs/heads/$branch" 2>"$MILLRACE_TASK_DIR/fetch.err"
  rc=$?
  fail_if_slow $rc "fetching took longer: a large repository may need a higher checkout_timeout_minutes" \
    "$MILLRACE_TASK_DIR/fetch.err"
  if [ $rc -ne 0 ]; then
    cat "$MILLRACE_TASK_DIR/fetch.err"
    printf "branch '%s' of repository '%s' cannot be fetched (git fetch exited with %s)\n" "$branch" "$shown" "$rc" \
      | tee "$MILLRACE_REASON_FILE"
    exit 1
  fi
fi
if ! git checkout -q --detach "$sha"; then
  printf "commit %s not found in repository '%s'\n" "$sha" "$shown" | tee "$MILLRACE_REASON_FILE"
  exit 1
fi
git log -1 --format='Checked out %H (%an: %s)'
echo "MILLRACE_COMMIT_SHA=$sha" >>"$MILLRACE_ENV"
'''


def launch_parts(spec: dict, values: dict, pinned_sha: str | None) -> tuple[str, dict]:
    source = spec["source"]
    repository = substitute(source["repository"], values, "source.repository")
    seconds = daemon_state.checkout_timeout_seconds()    # read at each start: a change applies to the next checkout
    env = {"MILLRACE_REPOSITORY": repository, "MILLRACE_REPOSITORY_SHOWN": without_credentials(repository),
           "MILLRACE_BRANCH": source["branch"], "MILLRACE_PINNED_SHA": pinned_sha or "",
           "MILLRACE_CHECKOUT_TIMEOUT_MS": str(max(1, round(seconds * 1000))),
           "MILLRACE_CHECKOUT_TIMEOUT_TEXT": duration_text(seconds),
           "GIT_HTTP_LOW_SPEED_LIMIT": str(LOW_SPEED_LIMIT_BYTES),
           "GIT_HTTP_LOW_SPEED_TIME": str(LOW_SPEED_TIME_SECONDS)}
    return SCRIPT, env


def without_credentials(url: str) -> str:
    """The URL to show in logs and reasons: `https://user:token@host/x` → `https://host/x`.

    Only URLs with a scheme carry credentials; the `git@` of an scp-like address is the
    ssh user every forge asks for, so it stays."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", r"\1", url.strip(), flags=re.I)


def duration_text(seconds: float) -> str:
    """10 minutes, 1 minute, 90 seconds, 3 seconds: the limit as the setting's user reads it."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    shown = f"{seconds:.1f}".rstrip("0").rstrip(".")
    return f"{shown} second{'s' if shown != '1' else ''}"


def on_this_machine(ctx: Context) -> TaskPlan:
    script, env = launch_parts(ctx.pipeline, ctx.values, ctx.commit)
    credential = git_credentials.for_source(ctx.pipeline.get("source"))
    if not credential:
        return TaskPlan(script=script, env=env)
    env.update(credential, MILLRACE_ASKPASS_SCRIPT=git_credentials.ASKPASS, **git_credentials.no_credential_store(os.environ))
    return TaskPlan(script=script, env=env, secret_values=[credential["MILLRACE_GIT_TOKEN"]],
                    notes=[f"using the token of code repository account #{ctx.pipeline['source']['account']}"])


TYPE = TaskType(task_types.CHECKOUT, plans={LOCAL: on_this_machine})
