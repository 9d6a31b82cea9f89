"""A fake Kubernetes API server for tests, spoken to by the real `kubernetes` client.

No real API server can run on our machines, so this package serves the small part
of the API Millrace uses (namespaces, pods with logs/status/events, secrets,
configmaps, deployments, services, ingresses, watches, server-side apply) over
HTTP/1.1 on 127.0.0.1, plus test controls that play the kubelet and scheduler.
Use the `fake_kube` fixture from `tests.fakekube.fixture`.
"""
from tests.fakekube.server import FakeKube

__all__ = ["FakeKube"]
