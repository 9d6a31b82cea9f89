"""The pytest fixture: a started `FakeKube`, a kubeconfig for it, and a namespace.

Import it into a test module (`from tests.fakekube.fixture import fake_kube`) and
use `fake_kube.url`, `fake_kube.kubeconfig_path`, `fake_kube.namespace`, the
controls (`start`, `finish`, `log`, `unschedulable`, …) and `fake_kube.api()`,
a real `kubernetes` ApiClient configured from that kubeconfig.
`fake_kube_tls` is the same served over https (`fake_kube_tls.ca_path` is its CA,
named in its kubeconfig too).
"""
from __future__ import annotations

import pytest
from kubernetes import client, config

from tests.fakekube.routes import BY_KEY
from tests.fakekube.server import FakeKube

NAMESPACE = "millrace-test"


def api_client(kubeconfig_path: str) -> client.ApiClient:
    return config.new_client_from_config(config_file=kubeconfig_path)


def _serve(fake: FakeKube, tmp_path):
    fake.start()
    fake.namespace = NAMESPACE
    fake.store.create(BY_KEY["namespaces"], None, {"metadata": {"name": NAMESPACE}, "status": {"phase": "Active"}})
    fake.kubeconfig_path = fake.kubeconfig(tmp_path / "kubeconfig", namespace=NAMESPACE)
    fake.api = lambda: api_client(fake.kubeconfig_path)
    return fake


@pytest.fixture
def fake_kube(tmp_path):
    fake = _serve(FakeKube(), tmp_path)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_kube_tls(tmp_path):
    fake = _serve(FakeKube(tls_dir=tmp_path / "tls"), tmp_path)
    try:
        yield fake
    finally:
        fake.stop()
