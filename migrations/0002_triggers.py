"""Trigger tables: timed rules and their fires, webhook rules, received deliveries and
what each delivery did per pipeline. UNIQUE(timer_rule_id, scheduled_for) and
UNIQUE(webhook_delivery_id, pipeline_id) are what make every fire happen exactly once;
UNIQUE(provider, delivery_id) turns a replayed delivery into a "duplicate".
Frozen inline models, deliberately independent of models/triggers.py.
"""
from peewee import (AutoField, BlobField, BooleanField, DateTimeField, ForeignKeyField, IntegerField, Model,
                    TextField)


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Pipeline(Base):
        id = AutoField()

    class Run(Base):
        id = AutoField()

    class TimerRule(Base):
        id = AutoField()
        pipeline = ForeignKeyField(Pipeline, column_name="pipeline_id")
        rule_text = TextField()
        timezone = TextField(default="")                    # '' = the server's zone
        misfire_policy = TextField(default="skip")          # skip | run_once
        misfire_deadline_seconds = IntegerField(default=3600)
        enabled = BooleanField(default=True)
        checked_through = DateTimeField()                   # UTC; fire times up to here are dealt with
        created_at = DateTimeField()
        updated_at = DateTimeField()
        updated_by = TextField(default="")

    class TimerFire(Base):
        id = AutoField()
        timer_rule = ForeignKeyField(TimerRule, column_name="timer_rule_id", on_delete="CASCADE")
        scheduled_for = DateTimeField()                     # UTC, whole minute
        recorded_at = DateTimeField()
        outcome = TextField()                               # started | missed | skipped | inactive | error
        run = ForeignKeyField(Run, column_name="run_id", null=True)
        reason = TextField(default="")

        class Meta:
            indexes = ((("timer_rule", "scheduled_for"), True),)

    class WebhookRule(Base):
        id = AutoField()
        pipeline = ForeignKeyField(Pipeline, column_name="pipeline_id", unique=True)
        on_push = BooleanField(default=True)
        on_merge = BooleanField(default=False)
        on_tag = BooleanField(default=False)
        secret_sealed = TextField()
        created_at = DateTimeField()
        updated_at = DateTimeField()
        updated_by = TextField(default="")

    class WebhookDelivery(Base):
        id = AutoField()
        provider = TextField()                              # github | gitlab
        delivery_id = TextField(null=True)                  # NULL for rejected and duplicate records
        event = TextField(default="")                       # the forge's event name
        repository = TextField(default="")                  # normalised repository key
        headers_json = TextField(default="{}")
        verified_for_json = TextField(default="[]")         # ids of pipelines whose secret it carried
        body = BlobField(default=b"")
        received_at = DateTimeField()
        processed_at = DateTimeField(null=True)
        outcome = TextField(default="")

        class Meta:
            indexes = ((("provider", "delivery_id"), True), (("processed_at",), False),
                       (("repository",), False))

    class WebhookMatch(Base):
        id = AutoField()
        webhook_delivery = ForeignKeyField(WebhookDelivery, column_name="webhook_delivery_id", on_delete="CASCADE")
        pipeline = ForeignKeyField(Pipeline, column_name="pipeline_id")
        outcome = TextField()
        run = ForeignKeyField(Run, column_name="run_id", null=True)
        recorded_at = DateTimeField()

        class Meta:
            indexes = ((("webhook_delivery", "pipeline"), True),)

    db.create_tables([TimerRule, TimerFire, WebhookRule, WebhookDelivery, WebhookMatch], safe=False)


def down(migrator, db):
    for table in ("webhook_match", "webhook_delivery", "webhook_rule", "timer_fire", "timer_rule"):
        db.execute_sql(f"DROP TABLE {table}")
