"""The pipeline definition: every validation error names its field; YAML round-trips losslessly."""
import pytest

from models import spec
from models.spec import SpecError, dump_yaml, load_yaml, validate


def errors_of(raw):
    with pytest.raises(SpecError) as info:
        validate(raw)
    return dict(info.value.errors)


def good():
    return {"name": "app", "source": {"repository": "file:///srv/app.git", "branch": "main"},
            "parameters": {"REGION": "eu"}, "timeout_minutes": 30,
            "stages": [{"name": "Build", "mode": "serial", "tasks": [
                {"name": "compile", "type": "script", "image": "alpine", "tag": "3.19", "script": "make\nmake test\n",
                 "env": [{"name": "TOKEN", "value": "s3cret", "secret": True}, {"name": "MODE", "value": "fast"}]},
                {"name": "image", "type": "build_image", "image": "jack-2048", "tag": "alpha-${BUILD_ID}", "workspace": "devops"}]},
                {"name": "Deploy", "mode": "parallel", "tasks": [
                    {"name": "yaml", "type": "deploy_yaml", "file": "2048_env.yaml", "namespace": "prod"},
                    {"name": "chart", "type": "build_chart", "chart_dir": "nginx", "chart_name": "nginx",
                     "chart_version": "6.0.1-alpha.${BUILD_ID}"},
                    {"name": "release", "type": "deploy_chart", "release": "nginx", "chart": "nginx",
                     "chart_version": "6.0.1-alpha.${BUILD_ID}", "namespace": "web", "parameters": {"replicas": "2"}}]}]}


def test_a_good_definition_validates_into_canonical_form():
    out = validate(good())
    assert out["stages"][0]["tasks"][1]["dockerfile"] == "Dockerfile"      # optional field defaulted
    assert out["stages"][0]["tasks"][0]["env"][1] == {"name": "MODE", "value": "fast", "secret": False}


@pytest.mark.parametrize("mutate, path, message", [
    (lambda s: s.pop("name"), "name", "required"),
    (lambda s: s.update(name="has space"), "name", "use letters"),
    (lambda s: s["stages"][1]["tasks"][0].pop("namespace"), "stages[1].tasks[0].namespace", "required"),
    (lambda s: s["stages"][0]["tasks"][0].pop("image"), "stages[0].tasks[0].image", "required"),
    (lambda s: s["stages"][0]["tasks"][0].update(script="  "), "stages[0].tasks[0].script", "required"),
    (lambda s: s["stages"][1]["tasks"][0].update(type="teleport"), "stages[1].tasks[0].type", "unknown task type 'teleport'"),
    (lambda s: s["stages"][1]["tasks"][0].pop("type"), "stages[1].tasks[0].type", "required"),
    (lambda s: s["stages"][1].update(name="Build"), "stages[1].name", "duplicate stage name 'Build'"),
    (lambda s: s["stages"][1]["tasks"][1].update(name="yaml"), "stages[1].tasks[1].name", "duplicate task name 'yaml'"),
    (lambda s: s["stages"][0].update(name=""), "stages[0].name", "required"),
    (lambda s: s["stages"][0].update(mode="sideways"), "stages[0].mode", "serial or parallel"),
    (lambda s: s.update(timeout_minutes=0), "timeout_minutes", "whole number of minutes"),
    (lambda s: s.update(timeout_minutes="ten"), "timeout_minutes", "whole number of minutes"),
    (lambda s: s.update(timeout_minutes=14 * 24 * 60 + 1), "timeout_minutes", "whole number of minutes"),
    (lambda s: (s["stages"][0]["tasks"].reverse(), s["stages"][0]["tasks"][0].update(tag="v${NOPE}")),
     "stages[0].tasks[0].tag", "undefined variable ${NOPE}"),
    (lambda s: s["stages"][0]["tasks"][0]["env"][1].update(name="1BAD"), "stages[0].tasks[0].env[1].name", "not a valid variable name"),
    (lambda s: s["stages"][0]["tasks"][0].update(colour="red"), "stages[0].tasks[0].colour", "unknown field"),
    (lambda s: s.update(parameters={"BUILD_ID": "7"}), "parameters.BUILD_ID", "built-in"),
    (lambda s: s.update(source={"branch": "main"}), "source.repository", "required"),
    (lambda s: s.update(stages="Build"), "stages", "must be a list"),
])
def test_each_validation_error_names_its_field(mutate, path, message):
    raw = good()
    mutate(raw)
    errors = errors_of(raw)
    assert path in errors, errors
    assert message in errors[path]


def test_an_error_message_reads_path_colon_message():
    raw = good()
    del raw["stages"][0]["tasks"][0]["image"]
    with pytest.raises(SpecError) as info:
        validate(raw)
    assert "stages[0].tasks[0].image: required" in str(info.value)


def test_reference_after_a_script_task_is_left_to_run_time():
    """A script task may set it through $MILLRACE_ENV: only the run can tell."""
    raw = good()
    raw["stages"][1]["tasks"][0]["namespace"] = "${SET_BY_BUILD}"     # a script task ran before: dynamic parameter
    validate(raw)


def test_parameters_and_task_env_satisfy_references():
    raw = good()
    raw["stages"][0]["tasks"][1]["tag"] = "${REGION}-${MODE2}"
    raw["stages"][0]["tasks"][1]["env"] = [{"name": "MODE2", "value": "x"}]
    validate(raw)


def test_yaml_round_trip_is_lossless():
    canonical = validate(good())
    text = dump_yaml(canonical)
    assert load_yaml(text) == canonical
    assert dump_yaml(load_yaml(text)) == text
    assert "make\nmake test\n" in load_yaml(text)["stages"][0]["tasks"][0]["script"]


def test_bad_yaml_reports_line_and_column():
    with pytest.raises(SpecError) as info:
        load_yaml("name: x\nstages: [\n")
    assert "not valid YAML at line" in str(info.value)


def test_a_new_pipeline_has_the_four_default_stages():
    assert [s["name"] for s in spec.new_pipeline("fresh")["stages"]] == ["Source", "Build", "Test", "Deploy"]


def test_a_pipeline_without_stages_is_refused_on_its_field():
    with pytest.raises(SpecError) as info:
        spec.validate({"name": "p", "stages": []})
    assert info.value.errors == [("stages", "a pipeline needs at least one stage with a task")]


def test_a_pipeline_whose_stages_are_all_empty_is_refused_on_the_first_stage():
    with pytest.raises(SpecError) as info:
        spec.validate(spec.new_pipeline("fresh"))      # the starting point is not yet saveable
    assert info.value.errors == [("stages[0].tasks", "a pipeline needs at least one task: add one to a stage")]
    # one task anywhere is enough; the other stages may stay empty
    raw = spec.new_pipeline("fresh")
    raw["stages"][2]["tasks"] = [{"name": "t", "type": "script", "image": "alpine", "script": "true"}]
    assert [len(s["tasks"]) for s in spec.validate(raw)["stages"]] == [0, 0, 1, 0]


def test_the_editor_shows_the_empty_pipeline_error_on_the_first_stage():
    from dashboard.editor.ops import new_spec
    from dashboard.editor.problems import describe_path, errors_of
    from dashboard.graph import errors_by_node
    draft = {**new_spec(), "name": "fresh"}
    errors = errors_of({"present": draft, "show_errors": True})
    assert [describe_path(draft, p) for p, _ in errors] == ["stage 'Source' › tasks"]
    assert errors_by_node(errors) == {"stage-0": ["tasks: a pipeline needs at least one task: add one to a stage"]}


def test_apply_of_an_empty_pipeline_fails_and_stores_nothing(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    run_py = Path(__file__).resolve().parent.parent / "run.py"
    (tmp_path / "p.yaml").write_text("name: empty\nstages:\n- name: Build\n  tasks: []\n")
    home = tmp_path / "home"
    subprocess.run([sys.executable, str(run_py), "--home", str(home), "migrate"], check=True, capture_output=True)
    result = subprocess.run([sys.executable, str(run_py), "--home", str(home), "apply", "-f", str(tmp_path / "p.yaml")],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "stages[0].tasks: a pipeline needs at least one task" in result.stderr
    listed = subprocess.run([sys.executable, str(run_py), "--home", str(home), "pipelines", "--json"],
                            capture_output=True, text=True, check=True)
    assert '"empty"' not in listed.stdout
