"""Dynamic parameters holding a secret: stored sealed in run.dynamic_json and
task_run.outputs_json, opened for the next tasks, shown as *** (models.variables)."""
import base64
import hashlib
import json

from models import logs, pipelines, runs
from models.secrets import MASK, Masker
from models.tables import Run, StageRun, TaskRun
from models.variables import dynamic_values, is_sealed, open_dynamic, shown_dynamic, store_dynamic
from tests.conftest import pipeline_spec, run_until_done, script_task
from tests.test_cli import cli

SECRET = "dyn-s3cret-Value-77"


def test_values_holding_a_secret_in_any_masked_form_are_sealed(home):
    masker = Masker([SECRET])
    dynamic = {"TOKEN": SECRET, "AUTH": f"Bearer {SECRET}", "B64": base64.b64encode(SECRET.encode()).decode(),
               "PLAIN": "1.2.3", "EMPTY": ""}
    stored = store_dynamic(dynamic, masker)
    assert {k for k, v in stored.items() if is_sealed(v)} == {"TOKEN", "AUTH", "B64"}
    assert stored["PLAIN"] == "1.2.3" and stored["EMPTY"] == ""
    assert SECRET not in json.dumps(stored)
    assert open_dynamic(stored) == dynamic
    assert shown_dynamic(stored) == {"TOKEN": MASK, "AUTH": MASK, "B64": MASK, "PLAIN": "1.2.3", "EMPTY": ""}
    assert store_dynamic(dynamic, Masker([])) == dynamic      # no secrets: stored as they are


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_secret_written_to_millrace_env_is_stored_sealed_and_reaches_the_next_task(home, daemon):
    raw = pipeline_spec("dynamic-secret", stages=[
        {"name": "Make", "mode": "serial", "tasks": [script_task(
            "emit", 'echo "TOKEN=$SECRET" >> "$MILLRACE_ENV"\n'
                    'echo "AUTH=Bearer $SECRET" >> "$MILLRACE_ENV"\n'
                    'echo "VERSION=1.$BUILD_ID" >> "$MILLRACE_ENV"\n',
            env=[{"name": "SECRET", "value": SECRET, "secret": True}])]},
        {"name": "Use", "mode": "serial", "tasks": [script_task(
            "use", 'printf "%s" "$TOKEN" | sha256sum\nprintf "%s" "$AUTH" | sha256sum\n'
                   'echo "token is $TOKEN, version $VERSION"\n')]},
    ])
    p = pipelines.create(raw, "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert done.status == "succeeded", done.reason
    tasks = {t.name: t for t in TaskRun.select(TaskRun, StageRun).join(StageRun).where(TaskRun.run == done.id)}

    # The next task received the real values …
    used = logs.text(tasks["use"].id, timestamps=False)
    assert _sha(SECRET) in used and _sha(f"Bearer {SECRET}") in used
    assert f"token is {MASK}, version 1.1" in used                  # … and printing one masks it

    # … while the rows hold them sealed, and the plain one as it is.
    run = Run.get_by_id(done.id)
    stored, outputs = json.loads(run.dynamic_json), json.loads(tasks["emit"].outputs_json)
    for where in (stored, outputs):
        assert is_sealed(where["TOKEN"]) and is_sealed(where["AUTH"]) and where["VERSION"] == "1.1"
    assert dynamic_values(run) == {"TOKEN": SECRET, "AUTH": f"Bearer {SECRET}", "VERSION": "1.1"}

    # No plaintext in the database file or its WAL.
    data = b"".join((home / name).read_bytes() for name in ("millrace.db", "millrace.db-wal") if (home / name).exists())
    assert data and SECRET.encode() not in data

    # Displays show *** for the sealed ones.
    shown = json.loads(cli(home, "show", f"{p.name}#{done.number}", "--json").stdout)
    assert shown["dynamic"] == {"TOKEN": MASK, "AUTH": MASK, "VERSION": "1.1"}
    tasks = [t for stage in shown["stages"] for t in stage["tasks"]]
    assert {t["name"]: t["outputs"] for t in tasks}["emit"] == {"TOKEN": MASK, "AUTH": MASK, "VERSION": "1.1"}
    text = cli(home, "show", f"{p.name}#{done.number}").stdout
    assert f"TOKEN={MASK}" in text and "VERSION=1.1" in text and SECRET not in text
