"""Applying a multi-document YAML file to a cluster, as the deploy-YAML task does.

`documents()` splits and checks the file (a YAML error names the document and line);
`Applier.apply()` server-side-applies each document with the `millrace` field manager
into one namespace (kinds the cluster does not serve fail with the document number),
reporting created / configured / unchanged; `Applier.wait()` follows the rollout of
every Deployment, StatefulSet and DaemonSet until done or out of time.
`rollout_state()` is the pure judgement of a workload's status.
"""
from __future__ import annotations

import time

import yaml
from kubernetes import client
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError
from kubernetes.client.rest import ApiException

from daemon.kube.client import api_message
from models import safe_yaml

FIELD_MANAGER = "millrace"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
TIMEOUT = (5, 30)


class DeployError(RuntimeError):
    pass


def documents(text: str, file: str) -> list[tuple[int, dict]]:
    """(number from 1, document) for every non-empty document of the file.

    Manifests may use YAML anchors and aliases (kubectl accepts them), so they are not
    refused; models.safe_yaml caps the file's size and what its aliases expand to."""
    found, number = [], 0
    try:
        for number, doc in enumerate(safe_yaml.load_all_bounded(text, what="this file"), start=1):
            if doc is None:
                continue
            meta = doc.get("metadata") if isinstance(doc, dict) else None
            if not isinstance(meta, dict) or not doc.get("apiVersion") or not doc.get("kind") or not meta.get("name"):
                raise DeployError(f"{file} document {number}: a Kubernetes object needs apiVersion, kind and "
                                  "metadata.name")
            found.append((number, doc))
    except safe_yaml.YamlRefused as exc:
        raise DeployError(f"{file}: {exc}" if exc.line is None else f"{file} document {number + 1}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise DeployError(f"{file} document {number + 1}: not valid YAML{where}: "
                          f"{getattr(exc, 'problem', None) or exc}") from None
    if not found:
        raise DeployError(f"{file} holds no Kubernetes object")
    return found


def rollout_state(obj: dict) -> tuple[str, str]:
    """("done" | "progressing" | "failed", a few words) for a Deployment/StatefulSet/DaemonSet."""
    kind, spec, status = obj["kind"], obj.get("spec") or {}, obj.get("status") or {}
    if status.get("observedGeneration", 0) < obj["metadata"].get("generation", 1):
        return "progressing", "waiting for the controller to see the new spec"
    if kind == "DaemonSet":
        want = status.get("desiredNumberScheduled", 0)
        ready, updated = status.get("numberAvailable", 0), status.get("updatedNumberScheduled", 0)
    else:
        want = spec.get("replicas", 1)
        ready = status.get("availableReplicas" if kind == "Deployment" else "readyReplicas", 0)
        updated = status.get("updatedReplicas", 0)
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            return "failed", cond.get("message") or "progress deadline exceeded"
    old = status.get("replicas", updated) - updated if kind == "Deployment" else 0
    text = f"{ready}/{want} ready, {updated}/{want} updated" + (
        f", {old} old still running" if old > 0 < updated else ""
    )
    return ("done" if ready >= want and updated >= want and old <= 0 else "progressing"), text


class Applier:
    def __init__(self, api: client.ApiClient, cluster: str, namespace: str, say=print, cache_file=None,
                 clock=time.monotonic, sleep=time.sleep):
        self.api, self.cluster, self.namespace, self.say = api, cluster, namespace, say
        self.dynamic = DynamicClient(api, cache_file=cache_file)
        self.clock, self.sleep = clock, sleep

    def ensure_namespace(self) -> None:
        core = client.CoreV1Api(self.api)
        try:
            core.read_namespace(self.namespace, _request_timeout=TIMEOUT)
        except ApiException as exc:
            if exc.status != 404:
                raise DeployError(f"namespace {self.namespace}: {api_message(exc)}") from None
            core.create_namespace({"metadata": {"name": self.namespace}}, _request_timeout=TIMEOUT)
            self.say(f"namespace {self.namespace} created")

    def apply(self, file: str, docs: list[tuple[int, dict]]) -> list[tuple[object, dict]]:
        """Apply every document; returns (resource, applied object) pairs."""
        applied = []
        for number, doc in docs:
            kind, name = doc["kind"], doc["metadata"]["name"]
            label = f"{file} document {number} ({kind} {name})"
            try:
                resource = self.dynamic.resources.get(api_version=doc["apiVersion"], kind=kind)
            except ResourceNotFoundError:
                raise DeployError(f"{file} document {number}: unknown kind {kind} (apiVersion {doc['apiVersion']}): "
                                  f"cluster '{self.cluster}' does not serve it") from None
            namespace = None
            if resource.namespaced:
                namespace = doc["metadata"].get("namespace") or self.namespace
                if namespace != self.namespace:
                    raise DeployError(f"{label}: its namespace {namespace} is not the task's namespace "
                                      f"{self.namespace}")
                doc["metadata"]["namespace"] = namespace
            try:
                before = self._version(resource, name, namespace)
                obj = self.dynamic.server_side_apply(resource, body=doc, name=name, namespace=namespace,
                                                     field_manager=FIELD_MANAGER, force_conflicts=True,
                                                     _request_timeout=TIMEOUT).to_dict()
            except ApiException as exc:
                raise DeployError(f"{label}: the API server refused it: {api_message(exc)}") from None
            outcome = "created" if before is None else \
                "unchanged" if before == obj["metadata"].get("resourceVersion") else "configured"
            where = f"namespace {namespace}" if namespace else "cluster-wide"
            self.say(f"[{number}/{docs[-1][0]}] {kind} {name}: {outcome} ({doc['apiVersion']}, {where})")
            applied.append((resource, obj))
        return applied

    def _version(self, resource, name, namespace) -> str | None:
        try:
            return resource.get(name=name, namespace=namespace, _request_timeout=TIMEOUT).metadata.resourceVersion
        except NotFoundError:
            return None

    def wait(self, applied: list[tuple[object, dict]], timeout: float) -> None:
        """Follow the rollouts of the workloads among `applied`, each reported once it is done."""
        deadline = self.clock() + timeout
        pending = [(r, o) for r, o in applied if o["kind"] in WORKLOADS]
        shown = {}
        while pending:
            still = []
            for resource, obj in pending:
                name = obj["metadata"]["name"]
                live = resource.get(name=name, namespace=obj["metadata"].get("namespace"),
                                    _request_timeout=TIMEOUT).to_dict()
                state, text = rollout_state(live)
                if state == "failed":
                    raise DeployError(f"{obj['kind']} {name} failed to roll out: {text}")
                if state == "done":
                    self.say(f"{obj['kind']} {name}: rolled out ({text})")
                    continue
                if shown.get(name) != text:
                    self.say(f"{obj['kind']} {name}: rolling out ({text})")
                    shown[name] = text
                still.append((resource, obj))
            pending = still
            if pending and self.clock() >= deadline:
                names = ", ".join(f"{o['kind']} {o['metadata']['name']} ({shown.get(o['metadata']['name'])})"
                                  for _, o in pending)
                raise DeployError(f"rollout not finished within {timeout:g} seconds: {names}")
            if pending:
                self.sleep(1.0)
