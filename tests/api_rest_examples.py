"""The OpenAPI walker's examples (tests/test_api_v1_openapi.py) for the administration and account
operations: triggers, clusters, registries, releases and rollback, settings, users, /me, tokens,
audit. Kept apart from the walker's own table so the two branches that add operations each edit
their own file; the walker adds these after its examples (the token revoked last).

`seeded(ctx)` adds, once, what they name: a timed rule and a webhook on the walker's pipeline
`walk`, a cluster, a registry, a release revision deployed by the walker's run, and a token.
"""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace


def seeded(ctx) -> SimpleNamespace:
    if getattr(ctx, "rest", None) is None:
        from models import api_tokens, pipelines, registries, releases, triggers
        from models.account_tables import User
        from models.clusters import Cluster
        walk = pipelines.get("walk")
        rule = triggers.save_timer(walk, "daily at 09:30", "tests", timezone="Europe/Berlin")
        triggers.save_webhook(walk, "tests", push=True, merge=True)
        triggers.TimerFire.create(timer_rule=rule, scheduled_for=dt.datetime(2026, 12, 1, 8, 30), outcome="started",
                                  run=ctx.run)
        Cluster.create(name="walk-k8s", namespace="millrace-walk-k8s", owner_label="tests", project="default",
                       server="https://k8s.invalid:6443", kubeconfig_sealed="")
        registries.add("walk-reg", "registry.example.com", "tests", username="robot",
                       password="a registry password long enough")
        releases.record("walk-web", "walk-k8s", "apps", chart="oci://registry.example.com/charts/web",
                        chart_version="1.2.0", values={"replicas": "2"}, status="deployed", run_id=ctx.run.id,
                        resources=[])
        api_tokens.create(User.get(User.username == "tester"), "walk-token", ["read"], expires_days=7)
        ctx.rest = SimpleNamespace(pipeline="walk", cluster="walk-k8s", release="walk-web", token="walk-token")
    return ctx.rest


def examples(Call) -> dict:     # noqa: N803 — the walker's Call class
    return {
        "get_triggers": lambda ctx: Call(path={"name": seeded(ctx).pipeline}),
        "list_clusters": lambda ctx: Call(),
        "get_cluster": lambda ctx: Call(path={"name": seeded(ctx).cluster}),
        "list_registries": lambda ctx: Call(),
        "list_releases": lambda ctx: Call(path={"name": seeded(ctx).pipeline}, query={"release": "walk-web"}),
        "rollback_release": lambda ctx: Call(path={"name": seeded(ctx).pipeline, "release": seeded(ctx).release},
                                             json={"revision": 1}),
        "get_settings": lambda ctx: Call(),
        "patch_settings": lambda ctx: Call(json={"task_slots": "4", "session_idle_minutes": "120"}),
        "list_users": lambda ctx: Call(query={"per_page": 10}),
        "get_me": lambda ctx: Call(),
        "list_tokens": lambda ctx: Call(),
        "create_token": lambda ctx: Call(json={"name": "walk-made", "scopes": ["run"], "expires_days": 30}),
        "list_audit": lambda ctx: Call(query={"action": "create token", "since": "2026-01-01", "per_page": 5}),
        "revoke_token": lambda ctx: Call(path={"name": seeded(ctx).token}),
    }
