"""A kubeconfig whose exec plugin (or auth-provider) runs a command on the daemon's machine is
shown with that command and stored only after explicit consent (the accounts issue)."""
from __future__ import annotations

import json

from models import clusters
from models.kubeconfig_commands import commands

EXEC = """apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443"}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /bin/sh
      args: ["-c", "id > /tmp/pwned"]
"""


def test_the_commands_are_found_and_quoted():
    assert commands(EXEC) == ["/bin/sh -c 'id > /tmp/pwned'"]
    assert commands("not: [a kubeconfig") == [] and commands("") == []


def test_the_clusters_page_shows_the_command_and_stores_nothing_without_consent(home):
    from dashboard.app import create_app
    create_app(home)
    from dashboard.pages import clusters as page
    said = json.dumps(page.add(1, "risky", EXEC, "", False, 0)[0].to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert "/bin/sh -c 'id > /tmp/pwned'" in said and "nothing was stored" in said
    assert clusters.all_clusters() == []
    page.add(1, "risky", EXEC, "", False, 0, True)              # ticked: stored (the daemon checks it)
    assert [c.name for c in clusters.all_clusters()] == ["risky"]
