"""The daemon: the one process that runs pipelines (docs/architecture.md has its module map)."""
