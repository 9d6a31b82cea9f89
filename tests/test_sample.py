"""The sample repository is made once, even when the daemon and the dashboard start together."""
import subprocess
from concurrent.futures import ThreadPoolExecutor

from cli import sample


def test_concurrent_starts_make_one_working_sample_repository(tmp_path):
    with ThreadPoolExecutor(4) as pool:
        paths = list(pool.map(lambda _: sample.ensure_repo(tmp_path), range(4)))
    assert len(set(paths)) == 1
    heads = subprocess.run(["git", "ls-remote", "--heads", str(paths[0])], capture_output=True, text=True, check=True)
    assert "refs/heads/main" in heads.stdout
    assert [p.name for p in (tmp_path / "repos").iterdir()] == ["sample.git"]
