"""The sample: a local git repository made from examples/sample-repo, and the sample pipeline.

`up` adds the sample pipeline when there is no pipeline at all, so a newcomer sees one
working pipeline at once. The repository is (re)created only when missing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def ensure_repo(home: Path) -> Path:
    bare = home / "repos" / "sample.git"
    if bare.exists():
        return bare
    bare.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, LC_ALL="C", GIT_AUTHOR_NAME="Millrace", GIT_AUTHOR_EMAIL="millrace@localhost",
               GIT_COMMITTER_NAME="Millrace", GIT_COMMITTER_EMAIL="millrace@localhost")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "sample"
        shutil.copytree(EXAMPLES / "sample-repo", work)

        def git(*args, cwd=work):
            subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)

        git("init", "-q", "-b", "main")
        git("add", "-A")
        git("commit", "-q", "-m", "Sample app")
        # Built beside its final place and renamed in one step: the daemon and the dashboard
        # (e.g. two systemd units) may both be starting on a fresh data directory.
        staging = Path(tempfile.mkdtemp(prefix=".sample-", dir=bare.parent))
        git("clone", "-q", "--bare", str(work), str(staging / "sample.git"), cwd=tmp)
        try:
            os.rename(staging / "sample.git", bare)
        except OSError:
            if not bare.exists():
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return bare


def ensure_pipeline(actor: str) -> str | None:
    """Apply the sample pipeline if no pipeline exists yet; returns its name when added."""
    from models import pipelines, spec
    if pipelines.live().exists():
        return None
    pipeline, _ = pipelines.apply(spec.load_yaml((EXAMPLES / "sample.yaml").read_text()), actor)
    return pipeline.name
