"""The `forge` fixture: a started FakeForge with a public-like GitHub at /github and a
GitLab "private instance" at /private/gitlab; the public addresses Millrace uses are moved
to the fake (MILLRACE_GITHUB_URL / MILLRACE_GITLAB_URL: models/forge_kinds.py)."""
from __future__ import annotations

import pytest

from tests.fakeforge.server import FakeForge


@pytest.fixture
def forge(monkeypatch):
    server = FakeForge().start()
    server.github = server.add("github", "/github")
    server.gitlab = server.add("gitlab", "/gitlab")
    server.private_gitlab = server.add("gitlab", "/private/gitlab")
    monkeypatch.setenv("MILLRACE_GITHUB_URL", server.github.url)
    monkeypatch.setenv("MILLRACE_GITLAB_URL", server.gitlab.url)
    yield server
    server.stop()
