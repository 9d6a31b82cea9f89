"""Secret variables: encrypted at rest, masked in logs (also split across writes), never in the DB file."""
import stat
import subprocess
import sys

from models import logs, pipelines, runs, spec
from models.tables import PipelineVersion, TaskRun
from tests.conftest import pipeline_spec, run_until_done, script_task

SECRET = "hunter2-TOPSECRET-value"


def _secret_pipeline():
    body = ('echo "token is $TOKEN"\n'
            'printf "split: %s" "$(printf %s "$TOKEN" | cut -c1-8)"; sleep 0.4; '
            'printf "%s done\\n" "$(printf %s "$TOKEN" | cut -c9-)"\n'
            'echo "TOKEN=$TOKEN" > leaked.txt\n')
    return pipeline_spec("secretive", stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("use", body, env=[{"name": "TOKEN", "value": SECRET, "secret": True}])]}])


def test_secret_is_masked_in_the_log_and_absent_from_the_database_file(home, daemon):
    p = pipelines.create(_secret_pipeline(), "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert done.status == "succeeded"
    task = TaskRun.get(TaskRun.run == done.id)
    text = logs.text(task.id, timestamps=False)
    assert "token is ***" in text
    assert "split: *** done" in text, "a value written in two pieces is still masked"
    assert SECRET not in text
    raw = b"".join((home / name).read_bytes() for name in ("millrace.db", "millrace.db-wal") if (home / name).exists())
    assert SECRET.encode() not in raw


def test_key_file_is_owner_only_and_definition_holds_ciphertext(home):
    p = pipelines.create(_secret_pipeline(), "tester")
    assert stat.S_IMODE((home / "secret.key").stat().st_mode) == 0o600
    stored = PipelineVersion.get_by_id(p.current_version_id).definition_json
    assert SECRET not in stored and '"encrypted"' in stored


def test_export_never_prints_the_secret_and_round_trips(home):
    p = pipelines.create(_secret_pipeline(), "tester")
    out = subprocess.run([sys.executable, "run.py", "--home", str(home), "export", "secretive"],
                         capture_output=True, text=True, check=True).stdout
    assert SECRET not in out and "encrypted:" in out
    assert spec.load_yaml(out) == pipelines.current_spec(p)


def test_editing_without_retyping_a_secret_keeps_it(home, daemon):
    p = pipelines.create(_secret_pipeline(), "tester")
    edited = pipelines.current_spec(p)
    env = edited["stages"][0]["tasks"][0]["env"][0]
    env.pop("encrypted")
    env["value"] = ""                                  # what the editor sends back: the secret is never shown
    edited["stages"][0]["tasks"][0]["script"] = 'test "$TOKEN" = "hunter2-TOPSECRET-value" && echo same'
    pipelines.save(p, edited, "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert done.status == "succeeded"
    assert "same" in logs.text(TaskRun.get(TaskRun.run == done.id).id)


def test_a_stored_secret_survives_renaming_its_stage_and_its_task(home):
    p = pipelines.create(_secret_pipeline(), "tester")
    edited = pipelines.current_spec(p)
    stage = edited["stages"][0]
    stage["name"], stage["tasks"][0]["name"] = "Renamed", "renamed-task"
    env = stage["tasks"][0]["env"][0]
    env.pop("encrypted")
    env["value"] = ""
    pipelines.save(p, edited, "tester")
    kept = pipelines.current_spec(p)["stages"][0]["tasks"][0]["env"][0]
    from models.secrets import unseal
    assert unseal(kept["encrypted"]) == SECRET


def test_a_new_secret_without_a_value_is_refused_on_its_field(home):
    raw = _secret_pipeline()
    raw["stages"][0]["tasks"][0]["env"][0]["value"] = ""
    try:
        pipelines.create(raw, "tester")
    except spec.SpecError as exc:
        assert dict(exc.errors)["stages[0].tasks[0].env[0].value"].startswith("required")
    else:
        raise AssertionError("a secret with no value was stored")
