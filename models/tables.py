"""The tables, as peewee models. The schema itself is owned by migrations/ — these
classes only describe it (keep both in step; tests/test_schema.py compares them).

Column names are meant to be read by a person with `sqlite3 millrace.db`:
times are UTC text `YYYY-MM-DD HH:MM:SS.ffffff`, statuses are plain words (models.status).
"""
from __future__ import annotations

from peewee import (AutoField, BlobField, BooleanField, DateTimeField, FloatField, ForeignKeyField, IntegerField,
                    TextField)

from models import i18n
from models.db import BaseModel, utcnow


class Pipeline(BaseModel):
    id = AutoField()
    name = TextField()
    description = TextField(default="")
    owner = TextField(default="admin")          # user who created it (roles come later)
    project = TextField(default="default")      # project it belongs to (roles come later)
    is_active = BooleanField(default=True)
    current_version_id = IntegerField(null=True)
    concurrency_policy = TextField(default="allow")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    deleted_at = DateTimeField(null=True)       # soft delete: runs and audit keep their history


class PipelineVersion(BaseModel):
    id = AutoField()
    pipeline = ForeignKeyField(Pipeline, column_name="pipeline_id", backref="versions")
    version_number = IntegerField()
    definition_json = TextField()               # canonical spec, secret values sealed
    created_by = TextField()
    created_at = DateTimeField(default=utcnow)


class Run(BaseModel):
    id = AutoField()
    pipeline = ForeignKeyField(Pipeline, column_name="pipeline_id", backref="runs")
    number = IntegerField()                     # BUILD_ID, per pipeline from 1
    version = ForeignKeyField(PipelineVersion, column_name="version_id")
    cause = TextField()                         # manual | rerun | timer | webhook
    cause_detail = TextField(default="")
    triggered_by = TextField(default="")
    status = TextField(default="queued")
    reason = TextField(null=True)               # one line, for lists (English)
    reason_message = TextField(null=True)       # the same, language-neutral: {"id", "params"} (models/i18n.py)
    detail = TextField(null=True)               # longer explanation, for the run page
    parameters_json = TextField(default="{}")   # parameter overrides given when queued
    dynamic_json = TextField(default="{}")      # dynamic parameters set by tasks so far
    commit_sha = TextField(null=True)           # pinned for the whole run
    rerun_of_id = IntegerField(null=True)
    queued_at = DateTimeField(default=utcnow)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    execution_seconds = FloatField(default=0)
    waiting_seconds = FloatField(default=0)
    accounted_at = DateTimeField(null=True)     # last time the daemon added to the two counters
    stop_requested_at = DateTimeField(null=True)
    stop_requested_by = TextField(null=True)

    @property
    def label(self):
        return f"{self.pipeline.name}#{self.number}"


class StageRun(BaseModel):
    id = AutoField()
    run = ForeignKeyField(Run, column_name="run_id", backref="stages", on_delete="CASCADE")
    position = IntegerField()
    name = TextField()
    mode = TextField()                          # serial | parallel
    kind = TextField(default="stage")           # stage | source (the implicit checkout)
    status = TextField(default="pending")
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)


class TaskRun(BaseModel):
    id = AutoField()
    run = ForeignKeyField(Run, column_name="run_id", backref="tasks", on_delete="CASCADE")
    stage_run = ForeignKeyField(StageRun, column_name="stage_run_id", backref="tasks", on_delete="CASCADE")
    position = IntegerField()
    name = TextField()
    task_type = TextField()
    status = TextField(default="pending")
    reason = TextField(null=True)
    reason_message = TextField(null=True)
    executor = TextField(null=True)             # local | kubernetes
    handle_json = TextField(null=True)          # how the executor finds the work again (pid, pod name)
    attempt = IntegerField(default=1)
    exit_code = IntegerField(null=True)
    outputs_json = TextField(default="{}")  # KEY=VALUE lines this task wrote to $MILLRACE_ENV (e.g. an image digest)
    log_cursor_json = TextField(null=True)      # how far the output has been shipped into log_chunk
    log_lines = IntegerField(default=0)
    log_bytes = IntegerField(default=0)         # output bytes shipped (before masking)
    log_truncated_at = IntegerField(null=True)  # bytes at which the log cap stopped collection
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    waiting_seconds = FloatField(default=0)
    stop_sent_at = DateTimeField(null=True)


class LogChunk(BaseModel):
    id = AutoField()
    task_run = ForeignKeyField(TaskRun, column_name="task_run_id", backref="log_chunks", on_delete="CASCADE")
    first_line = IntegerField()                 # line number (from 1) of its first line; UNIQUE per task run
    line_count = IntegerField()
    content = TextField()                       # the lines, newline-terminated, secrets masked ('' if compressed)
    logged_at = DateTimeField(default=utcnow)   # when these lines were read: their timestamp
    compression = TextField(default="")         # '' (text in content) | 'zstd' (text in data): models/logs.py
    data = BlobField(null=True)                 # a zstd frame of the UTF-8 text when compression = 'zstd'
    text_bytes = IntegerField(default=0)        # UTF-8 size of the text (0 on rows older than migration 0007)


class AuditEvent(BaseModel):
    id = AutoField()
    at = DateTimeField(default=utcnow)
    actor = TextField()
    action = TextField()                        # create, edit, delete, run, stop, rerun, activate, …
    object_type = TextField()
    object_id = IntegerField(null=True)
    object_name = TextField(default="")
    detail_json = TextField(default="{}")


class DaemonHeartbeat(BaseModel):
    id = AutoField()
    hostname = TextField()
    pid = IntegerField()
    started_at = DateTimeField(default=utcnow)
    beat_at = DateTimeField(default=utcnow)
    state = TextField(default="running")        # running | paused | stopping | stopped
    reason = TextField(default="")              # why it is paused (e.g. disk full), else '' (English)
    reason_message = TextField(null=True)       # the same, language-neutral (models/i18n.py)

    @property
    def shown_reason(self) -> str:
        """Why it is paused, in the current reader's language."""
        return i18n.shown(self.reason, self.reason_message)


class Setting(BaseModel):
    key = TextField(primary_key=True)
    value = TextField()
    updated_at = DateTimeField(default=utcnow)
    updated_by = TextField(default="")


ALL_TABLES = [Pipeline, PipelineVersion, Run, StageRun, TaskRun, LogChunk, AuditEvent, DaemonHeartbeat, Setting]
