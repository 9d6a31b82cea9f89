"""The Kubernetes executor: `executor` (a Secret and a Pod per task run), `options`
(`KubeOptions`, how every one of a daemon's behaves), `spec` (the two objects, the wrapper
and checkout scripts in the pod) and `output` (events, log and trailer read from a cursor).
What talks to the API itself is daemon.kube's."""
