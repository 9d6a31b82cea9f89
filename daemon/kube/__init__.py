"""The daemon's Kubernetes layer: everything that talks to a cluster's API and is not a
task or an executor.

`client` builds API clients from registered clusters and makes every call (retries of
what is transient, `ClusterError` with the message a user reads, warming the client's
lazily loaded classes); `names` the names and labels of what a task run owns and the
paths its pod mounts; `watch` a live view of a namespace's pods; `logs` reading a pod's
log and events from a cursor. The Kubernetes executor, the sweeper, the health checks,
the deploy tasks and the CLI all use this layer; it imports none of them.
"""
