"""What the task types share and run on: no task type of its own here, and no registry.

`paths` (paths read from the checkout, kept inside it), `registry` (container registry
settings, which registry a task pushes to, what registry errors mean), `container_build`
(buildah/podman/docker build and push as a fixed script), `local_container` (a run-script
task in its image with podman or docker), `kaniko` (a build as a kaniko pod), `charts` and
`chart_http` (Helm charts in OCI and HTTP repositories), `yaml_apply` (server-side apply
and rollout waits), `release_manifests` (a rendered chart as a release: order, labels,
pruning). Modules that load heavy libraries (helm_python, kubernetes.dynamic) are imported
by the task processes that need them, not by the daemon.
"""
