"""Executors: where a task runs (base: the interface; registry: executors by name; local;
kubernetes/). They know no task type."""
