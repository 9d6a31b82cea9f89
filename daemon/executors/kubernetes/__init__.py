"""The Kubernetes executor: `executor` (a Secret and a Pod per task run, `KubeOptions`),
`spec` (the two objects, the wrapper and checkout scripts in the pod) and `output`
(events, log and trailer read from a cursor). What talks to the API itself is
daemon.kube's."""
