"""The implicit first task of a run with a code source: fetch the branch, pin its commit.

A fixed script (no user text in it): repository, branch and an optional pinned commit
arrive as environment variables. It writes the pinned SHA to $MILLRACE_ENV so every
later task sees MILLRACE_COMMIT_SHA, and a missing branch fails with the reason
`branch 'X' not found in repository 'Y'`.
"""
from __future__ import annotations

from models.variables import substitute

SCRIPT = r'''set -u +e
export LC_ALL=C GIT_TERMINAL_PROMPT=0
repo="$MILLRACE_REPOSITORY" branch="$MILLRACE_BRANCH"
echo "Checking out branch $branch of $repo"
heads=$(git ls-remote --exit-code --heads "$repo" "refs/heads/$branch" 2>"$MILLRACE_TASK_DIR/ls-remote.err")
rc=$?
if [ $rc -eq 2 ]; then
  printf "branch '%s' not found in repository '%s'\n" "$branch" "$repo" | tee "$MILLRACE_REASON_FILE"
  exit 1
elif [ $rc -ne 0 ]; then
  cat "$MILLRACE_TASK_DIR/ls-remote.err"
  printf "repository '%s' cannot be read (git ls-remote exited with %s)\n" "$repo" "$rc" | tee "$MILLRACE_REASON_FILE"
  exit 1
fi
sha="${MILLRACE_PINNED_SHA:-}"
[ -n "$sha" ] || sha=$(printf '%s\n' "$heads" | cut -f1)
git init -q . && git remote add origin "$repo" || exit 1
if ! git fetch -q --depth 1 origin "$sha" 2>/dev/null; then
  git fetch -q origin "refs/heads/$branch" || exit 1
fi
if ! git checkout -q --detach "$sha"; then
  printf "commit %s not found in repository '%s'\n" "$sha" "$repo" | tee "$MILLRACE_REASON_FILE"
  exit 1
fi
git log -1 --format='Checked out %H (%an: %s)'
echo "MILLRACE_COMMIT_SHA=$sha" >>"$MILLRACE_ENV"
'''


def launch_parts(spec: dict, values: dict, pinned_sha: str | None) -> tuple[str, dict]:
    source = spec["source"]
    env = {"MILLRACE_REPOSITORY": substitute(source["repository"], values, "source.repository"),
           "MILLRACE_BRANCH": source["branch"], "MILLRACE_PINNED_SHA": pinned_sha or ""}
    return SCRIPT, env
