"""A rendered chart as a release: Helm's install order, the release labels, pruning.

`arrange()` drops Helm hooks (Millrace does not run them, and says so), labels every
object with the release and its namespace, and sorts them by kind in Helm's install
order (stable, so objects of one kind keep their template order; unknown kinds last, by
name). `prune()` deletes the objects carrying the release's labels that the new revision
no longer has, in Helm's uninstall order — only kinds the release ever applied are listed.
"""
from __future__ import annotations

from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError

# helm.sh/helm/v3/pkg/releaseutil/kind_sorter.go, InstallOrder
INSTALL_ORDER = (
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
    "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
    "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
    "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob",
    "IngressClass", "Ingress", "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
RELEASE_LABEL = "millrace.dev/release"
NAMESPACE_LABEL = "millrace.dev/release-namespace"
HOOK = "helm.sh/hook"
TIMEOUT = (5, 30)


def kind_rank(kind: str) -> tuple[int, str]:
    return (INSTALL_ORDER.index(kind), "") if kind in INSTALL_ORDER else (len(INSTALL_ORDER), kind)


def arrange(manifests: list[tuple[str, dict]], release: str, namespace: str
            ) -> tuple[list[tuple[str, int, dict]], list[str]]:
    """(template, document number in its template, object) in install order, and the skipped hooks."""
    numbered, skipped, count = [], [], {}
    for template, doc in manifests:
        count[template] = count.get(template, 0) + 1
        meta = doc.setdefault("metadata", {}) if isinstance(doc, dict) else None
        if meta is None:
            continue
        if HOOK in (meta.get("annotations") or {}):
            skipped.append(f"{doc.get('kind')} {meta.get('name')} ({template}: helm.sh/hook "
                           f"{meta['annotations'][HOOK]})")
            continue
        meta["labels"] = {**(meta.get("labels") or {}), RELEASE_LABEL: release, NAMESPACE_LABEL: namespace}
        numbered.append((template, count[template], doc))
    numbered.sort(key=lambda item: kind_rank(str(item[2].get("kind"))))
    return numbered, skipped


def identity(api_version: str, kind: str, name: str) -> tuple[str, str, str]:
    """What names an object across API versions: (group, kind, name)."""
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    return group, kind, name


def prune(dynamic, release: str, namespace: str, keep: list[list[str]], known: list[list[str]], say=print) -> list[str]:
    """Delete the release's objects (of the kinds in `known`) that are not in `keep`; returns what went."""
    wanted = {identity(*r) for r in keep}
    kinds = sorted({(api_version, kind) for api_version, kind, _ in known}, key=lambda k: kind_rank(k[1]), reverse=True)
    selector = f"{RELEASE_LABEL}={release},{NAMESPACE_LABEL}={namespace}"
    pruned = []
    for api_version, kind in kinds:
        try:
            resource = dynamic.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            continue             # the cluster no longer serves the kind: nothing of it can be left
        where = namespace if resource.namespaced else None
        found = resource.get(namespace=where, label_selector=selector, _request_timeout=TIMEOUT).to_dict()
        for item in found.get("items") or []:
            name = item["metadata"]["name"]
            if identity(api_version, kind, name) in wanted:
                continue
            try:
                resource.delete(name=name, namespace=where, body={"propagationPolicy": "Background"},
                                _request_timeout=TIMEOUT)
            except NotFoundError:
                continue
            say(f"{kind} {name}: pruned (no longer in the chart)")
            pruned.append(f"{kind} {name}")
    return pruned
