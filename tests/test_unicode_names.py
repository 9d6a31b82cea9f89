"""Pipeline names in any script (issue 13, item 5): `流水线-2048` is applied from YAML, run by
the real daemon with local processes, shown, exported and applied again through the CLI,
and a pod built for it on the Kubernetes path has valid names and labels."""
import json
import os
import re
import subprocess
import sys

import pytest

from daemon.executors.base import Launch
from daemon.executors.kubernetes.executor import KubernetesExecutor
from daemon.executors.kubernetes.options import KubeOptions
from daemon.kube import names
from models import logs, pipelines, spec
from models.tables import Run, TaskRun
from tests.conftest import run_until_done
from tests.fakekube.fixture import api_client, fake_kube  # noqa: F401  (pytest fixtures)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "流水线-2048"
# Kubernetes: a label value is at most 63 of [A-Za-z0-9-_.], starting and ending alphanumeric;
# an object name is a DNS subdomain (lowercase, digits, '-', '.').
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")

YAML = f"""name: {NAME}
description: 名字不是英文的流水线
stages:
- name: 构建
  mode: serial
  tasks:
  - name: 编译
    type: script
    image: busybox
    script: echo "pipeline=$MILLRACE_PIPELINE run=$MILLRACE_RUN"
"""


def cli(home, *args, check=True):
    result = subprocess.run([sys.executable, os.path.join(ROOT, "run.py"), "--home", str(home), *args],
                            capture_output=True, encoding="utf-8", timeout=300, cwd=ROOT)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}: {result.stderr}")
    return result


@pytest.mark.parametrize("name", [NAME, "构建", "Ünïcode_1.x", "تجربة-1"])
def test_a_pipeline_name_may_use_any_scripts_letters(name):
    assert spec.PIPELINE_NAME.match(name)


@pytest.mark.parametrize("name", ["-流水线", "_x", "流水 线", "流水线/2048", "a\n", "流" * 65])
def test_the_name_rules_are_otherwise_unchanged(name):
    with pytest.raises(spec.SpecError, match=r"name: use letters, digits"):
        spec.validate({"name": name, "stages": [{"name": "S", "tasks": [
            {"name": "t", "type": "script", "image": "busybox", "script": "true"}]}]})


def test_applied_run_shown_exported_and_applied_again(home, daemon, tmp_path):
    path = tmp_path / "pipeline.yaml"
    path.write_text(YAML, encoding="utf-8")
    assert f"pipeline '{NAME}' created" in cli(home, "apply", "-f", str(path)).stdout
    assert f"queued {NAME}#1" in cli(home, "run", NAME).stdout

    run = Run.get(Run.pipeline == pipelines.get(NAME).id)
    done = run_until_done(daemon, run.id)
    assert done.status == "succeeded", done.reason
    task = TaskRun.get(TaskRun.run == run.id)
    assert f"pipeline={NAME} run={NAME}#1" in logs.text(task.id)   # environment values keep the name

    shown = cli(home, "show", f"{NAME}#1")
    assert NAME in shown.stdout and "succeeded" in shown.stdout
    as_json = json.loads(cli(home, "show", f"{NAME}#1", "--json").stdout)
    assert as_json["status"] == "succeeded"

    exported = cli(home, "export", NAME).stdout
    assert f"name: {NAME}" in exported and "编译" in exported     # YAML keeps the letters, not \u escapes
    again = tmp_path / "exported.yaml"
    again.write_text(exported, encoding="utf-8")
    assert f"pipeline '{NAME}' unchanged" in cli(home, "apply", "-f", str(again)).stdout
    assert f"{NAME}" in cli(home, "pipelines").stdout


def test_taken_name_is_refused_as_before(home):
    definition = spec.load_yaml(YAML)
    pipelines.create(definition, "tester")
    with pytest.raises(pipelines.Conflict, match=f"a pipeline named '{NAME}' already exists"):
        pipelines.create(definition, "tester")


def test_labels_of_names_in_other_scripts_are_valid_and_distinct():
    values = {names.label_value(n) for n in (NAME, "构建-2048", "流水线", "流水线-2048x")}
    assert len(values) == 4 and all(v and LABEL_VALUE.match(v) for v in values)
    assert names.label_value("Web App") == "web-app"          # ASCII names keep their slug
    assert LABEL_VALUE.match(names.label_value("流" * 64 + "-" + "a" * 70))


def test_a_pod_for_the_pipeline_has_valid_names_and_labels(fake_kube, clock, tmp_path):
    executor = KubernetesExecutor(fake_kube.api(), fake_kube.namespace, "prod",
                                  options=KubeOptions(clock=clock, sleep=lambda s: None, watch=False,
                                                      poll_interval=0, events_interval=0))
    launch = Launch(task_run_id=7, run_id=3, run_number=1, pipeline_name=NAME, task_name="编译",
                    task_type="script", script="echo hi\n", env={"MILLRACE_PIPELINE": NAME},
                    task_env={"MILLRACE_PIPELINE": NAME}, secret_values=[], workspace=tmp_path / "ws",
                    task_dir=tmp_path / "task", image="busybox", attempt=1, source=None, resources={})
    handle = executor.start(launch)
    pod = fake_kube.pod(handle["pod"])
    meta = pod["metadata"]
    assert DNS_NAME.match(meta["name"]) and len(meta["name"]) <= 63
    for key, value in meta["labels"].items():
        assert LABEL_VALUE.match(value) and len(value) <= 63, (key, value)
    assert meta["labels"][names.PIPELINE] == names.label_value(NAME)
    assert meta["annotations"]["millrace.dev/pipeline-name"] == NAME     # the full name, where any text goes
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert env["MILLRACE_PIPELINE"] == NAME
    executor.stop(handle, force=True)
    executor.cleanup(handle)
