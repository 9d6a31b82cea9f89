"""The canvas editor's operations on a definition, its undo history, and its form values."""
import pytest

from dashboard.editor import commands, history, ops, tasks, yaml_text as page_yaml
from models.spec import SpecError, TASK_TYPES, validate


def sample():
    return validate({"name": "app", "stages": [
        {"name": "Build", "mode": "serial", "tasks": [
            {"name": "compile", "type": "script", "image": "alpine", "script": "make"},
            {"name": "test", "type": "script", "image": "alpine", "script": "make test",
             "env": [{"name": "TOKEN", "secret": True, "encrypted": "gAAAA-sealed"}, {"name": "MODE", "value": "fast"}]}]},
        {"name": "Deploy", "mode": "parallel", "tasks": [
            {"name": "yaml", "type": "deploy_yaml", "file": "app.yaml", "namespace": "prod"}]}]})


def names(spec):
    return [s["name"] for s in spec["stages"]]


def task_names(spec, i):
    return [t["name"] for t in spec["stages"][i]["tasks"]]


def test_from_scratch_has_the_four_default_stages_and_no_name():
    spec = ops.new_spec()
    assert names(spec) == ["Source", "Build", "Test", "Deploy"]
    with pytest.raises(SpecError) as info:
        validate(spec)
    assert ("name", "required") in info.value.errors


def test_add_stage_after_inserts_a_uniquely_named_empty_stage():
    spec = ops.add_stage_after(sample(), 0)
    assert names(spec) == ["Build", "Stage 3", "Deploy"]
    assert spec["stages"][1] == {"name": "Stage 3", "mode": "serial", "tasks": []}
    assert names(ops.add_stage_after(spec, 2)) == ["Build", "Stage 3", "Deploy", "Stage 4"]


def test_copy_stage_goes_right_after_with_its_tasks_and_a_unique_name():
    original = sample()
    spec = ops.copy_stage(ops.copy_stage(original, 0), 0)
    assert names(spec) == ["Build", "Build-copy-2", "Build-copy", "Deploy"]
    assert task_names(spec, 1) == ["compile", "test"]
    assert names(original) == ["Build", "Deploy"]          # inputs are never mutated
    validate(spec)


def test_delete_and_move_stages():
    spec = sample()
    assert names(ops.delete_stage(spec, 0)) == ["Deploy"]
    assert names(ops.move_stage(spec, 0, +1)) == ["Deploy", "Build"]
    assert names(ops.move_stage(spec, 1, -1)) == ["Deploy", "Build"]
    assert ops.move_stage(spec, 0, -1) is spec              # already first: nothing changes
    assert ops.move_stage(spec, 1, +1) is spec


def test_add_task_makes_a_script_task_with_exactly_its_fields():
    spec = tasks.add_task(sample(), 1)
    task = spec["stages"][1]["tasks"][-1]
    required, optional = TASK_TYPES["script"]
    assert set(task) == {"name", "type", *required, *optional, "env"}
    assert task["name"] == "task-2" and task["image"] == "debian"
    with pytest.raises(SpecError) as info:
        validate(spec)
    assert info.value.errors == [("stages[1].tasks[1].script", "required")]


def test_copy_task_goes_right_after_and_moves_stay_inside_the_stage():
    spec = tasks.copy_task(sample(), 0, 0)
    assert task_names(spec, 0) == ["compile", "compile-copy", "test"]
    spec = sample()
    assert task_names(tasks.move_task(spec, 0, 0, +1), 0) == ["test", "compile"]
    assert tasks.move_task(spec, 0, 1, +1) is spec          # last task of Build never moves into Deploy
    assert tasks.move_task(spec, 1, 0, -1) is spec
    assert task_names(tasks.delete_task(spec, 0, 0), 0) == ["test"]


def test_changing_the_type_gives_exactly_the_new_types_fields():
    spec = tasks.set_task_type(sample(), 0, 1, "build_image")
    task = spec["stages"][0]["tasks"][1]
    required, optional = TASK_TYPES["build_image"]
    assert set(task) == {"name", "type", *required, *optional, "env"}
    assert task["name"] == "test" and task["image"] == "" and len(task["env"]) == 2   # a build's image is its output
    spec = tasks.set_task_type(sample(), 1, 0, "deploy_chart")
    assert spec["stages"][1]["tasks"][0]["namespace"] == "prod"                         # same meaning: kept


def test_fields_are_addressed_by_the_paths_validation_errors_use():
    spec = ops.set_field(sample(), "stages[0].tasks[1].env[1].value", "slow")
    assert ops.get_field(spec, "stages[0].tasks[1].env[1].value") == "slow"
    assert ops.get_field(spec, "stages[9].name") is None
    spec = tasks.add_env(spec, 0, 0)
    assert spec["stages"][0]["tasks"][0]["env"] == [{"name": "", "value": "", "secret": False}]
    assert tasks.delete_env(spec, 0, 1, 0)["stages"][0]["tasks"][1]["env"] == [{"name": "MODE", "value": "slow", "secret": False}]


def test_secrets_leave_as_empty_values_and_say_which_are_stored():
    spec, stored = page_yaml.strip_secrets(sample())
    assert spec["stages"][0]["tasks"][1]["env"][0] == {"name": "TOKEN", "value": "", "secret": True}
    assert "gAAAA" not in repr(spec)
    assert stored == ["Build/test/TOKEN"]


def test_source_add_and_delete():
    spec = ops.add_source(sample())
    assert spec["source"] == {"repository": "", "branch": "main"}
    assert ops.delete_source(spec)["source"] is None


def test_undo_redo_reset():
    start = sample()
    h = history.history_new(start)
    h = history.history_push(h, ops.add_stage_after(start, 0))
    h = history.history_push(h, ops.delete_stage(h["present"], 0))
    assert names(h["present"]) == ["Stage 3", "Deploy"]
    h = history.undo(h)
    assert names(h["present"]) == ["Build", "Stage 3", "Deploy"]
    h = history.undo(history.undo(h))                       # one more than there is: stays at the start
    assert h["present"] == start
    h = history.redo(h)
    assert names(h["present"]) == ["Build", "Stage 3", "Deploy"]
    h = history.reset(h)
    assert h["present"] == start
    assert names(history.undo(h)["present"]) == ["Build", "Stage 3", "Deploy"]   # reset itself can be undone


def test_typing_in_one_field_is_one_undo_step():
    h = history.history_new(sample())
    for text in ("a", "ap", "app2"):
        h = history.history_push(h, ops.set_field(h["present"], "name", text), key="name")
    h = history.history_push(h, ops.set_field(h["present"], "description", "x"), key="description")
    assert history.undo(h)["present"]["name"] == "app2"
    assert history.undo(history.undo(h))["present"]["name"] == "app"


@pytest.mark.parametrize("op, selected, stages, then", [
    ("add-stage-after", "stage-0", ["Build", "Stage 3", "Deploy"], "stage-1"),
    ("copy-stage", "stage-1", ["Build", "Deploy", "Deploy-copy"], "stage-2"),
    ("delete-stage", "stage-0", ["Deploy"], None),
    ("stage-right", "stage-0", ["Deploy", "Build"], "stage-1"),
    ("stage-left", "stage-0", ["Build", "Deploy"], "stage-0"),
    ("add-stage-0", None, ["Stage 3", "Build", "Deploy"], "stage-0"),      # the canvas "+" before Build
    ("add-stage-2", "task-0-1", ["Build", "Deploy", "Stage 3"], "stage-2"),
])
def test_stage_operations_select_what_they_made(op, selected, stages, then):
    spec, chosen = commands.run_op(sample(), op, selected)
    assert names(spec) == stages and chosen == then


@pytest.mark.parametrize("op, selected, tasks, then", [
    ("add-task", "stage-0", ["compile", "test", "task-3"], "task-0-2"),
    ("add-task", "task-0-0", ["compile", "test", "task-3"], "task-0-2"),
    ("add-task-0", None, ["compile", "test", "task-3"], "task-0-2"),
    ("copy-task", "task-0-1", ["compile", "test", "test-copy"], "task-0-2"),
    ("delete-task", "task-0-0", ["test"], "stage-0"),
    ("task-down", "task-0-0", ["test", "compile"], "task-0-1"),
    ("task-down", "task-0-1", ["compile", "test"], "task-0-1"),
    ("task-up", "task-0-1", ["test", "compile"], "task-0-0"),
])
def test_task_operations(op, selected, tasks, then):
    spec, chosen = commands.run_op(sample(), op, selected)
    assert task_names(spec, 0) == tasks and chosen == then


def test_env_operations_keep_the_selection():
    spec, chosen = commands.run_op(sample(), "add-env", "task-0-1")
    assert len(spec["stages"][0]["tasks"][1]["env"]) == 3 and chosen == "task-0-1"
    spec, chosen = commands.run_op(spec, "delete-env:0", "task-0-1")
    assert [e["name"] for e in spec["stages"][0]["tasks"][1]["env"]] == ["MODE", ""]


# --- the side panel's forms and the YAML tab ----------------------------------------
from dashboard.editor import controls, forms, ids as eid, problems, values  # noqa: E402


def ids_in(component, kind):
    """Every pattern id of `kind` inside a Dash component tree."""
    found = []

    def walk(node):
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
            return
        cid = getattr(node, "id", None)
        if isinstance(cid, dict) and cid.get("type") == kind:
            found.append(cid.get("path") or cid.get("op"))
        walk(getattr(node, "children", None) or [])
    walk(component)
    return found


@pytest.mark.parametrize("kind", sorted(TASK_TYPES))
def test_a_task_form_has_exactly_the_fields_of_its_type(kind):
    spec = tasks.set_task_type(sample(), 0, 0, kind)
    paths = ids_in(forms.panel(spec, "task-0-0", []), eid.FIELD)
    required, optional = TASK_TYPES[kind]
    assert {p.removeprefix("stages[0].tasks[0].") for p in paths} == {"name", "type", *required, *optional}


def test_forms_for_stage_source_and_pipeline_and_their_buttons(home):     # the source form lists the user's accounts
    spec = sample()
    assert ids_in(forms.panel(spec, "stage-1", []), eid.FIELD) == ["stages[1].name", "stages[1].mode"]
    stage_ops, task_ops = (ids_in(bar, eid.OP) for bar in controls.toolbars())
    assert stage_ops == ["add-stage-after", "add-task", "copy-stage", "stage-left", "stage-right", "delete-stage"]
    assert task_ops == ["copy-task", "task-up", "task-down", "delete-task"]
    assert ids_in(forms.panel(spec, "source", []), eid.OP) == ["add-source"]
    assert ids_in(forms.panel(ops.add_source(spec), "source", []), eid.FIELD) == [
        "source.account", "source.repository", "source.branch"]
    pipeline_fields = ["description", "timeout_minutes", "parameters", "cluster", "scheduling_timeout_minutes"]
    assert ids_in(forms.panel(spec, None, []), eid.FIELD) == pipeline_fields
    assert ids_in(forms.panel(spec, "task-7-7", []), eid.FIELD) == pipeline_fields


def test_the_toolbar_follows_the_selection():
    shown = controls.toolbar_state(sample(), "stage-1")
    assert shown["stage"] == {} and shown["task"] == {"display": "none"}
    assert (shown["stage-left"], shown["stage-right"]) == (False, True)            # last stage: cannot go right
    shown = controls.toolbar_state(sample(), "task-0-0")
    assert shown["task"] == {} and (shown["task-up"], shown["task-down"]) == (True, False)
    shown = controls.toolbar_state(sample(), "task-5-0")                            # gone (after an undo)
    assert shown["stage"] == shown["task"] == {"display": "none"}


def test_env_rows_have_a_secret_switch_and_never_a_secret_value():
    spec, stored = page_yaml.strip_secrets(sample())
    form = forms.panel(spec, "task-0-1", [], stored)
    assert ids_in(form, eid.TOGGLE) == ["stages[0].tasks[1].env[0].secret", "stages[0].tasks[1].env[1].secret"]
    assert "gAAAA" not in repr(form) and "(stored)" in repr(form)


def test_an_error_shows_on_its_field():
    form = forms.panel(sample(), "task-0-0", [("stages[0].tasks[0].image", "required")])
    text = repr(form)
    assert "invalid=True" in text and "'required'" in text


def test_control_values_convert_both_ways():
    assert values.from_widget("timeout_minutes", 30) == 30 and values.from_widget("timeout_minutes", "") is None
    assert values.from_widget("parameters", "A=1\n\nB = two\n") == {"A": "1", "B": "two"}
    assert values.to_widget("parameters", {"A": "1", "B": "two"}) == "A=1\nB=two"
    assert values.from_widget("stages[0].tasks[0].env[0].secret", [True]) is True


def test_apply_form_writes_changes_and_rebuilds_a_task_whose_type_changed():
    spec, changed = values.apply_form(sample(), [("name", "renamed"), ("stages[0].tasks[0].type", "deploy_yaml"),
                                                ("stages[9].name", "gone"), ("description", "")])
    assert changed == ["name", "stages[0].tasks[0].type"]
    assert spec["name"] == "renamed" and "script" not in spec["stages"][0]["tasks"][0]


def test_error_paths_in_words():
    assert problems.describe_path(sample(), "stages[0].tasks[1].env[1].value") == "stage 'Build' › task 'test' › variable 'MODE' › value"
    assert problems.describe_path(sample(), "timeout_minutes") == "timeout minutes"
    assert problems.describe_path(sample(), "name") == "pipeline name"


def test_yaml_text_becomes_the_working_definition():
    from models.spec import dump_yaml
    spec, error = page_yaml.from_yaml(dump_yaml(sample()))
    assert error is None and spec == page_yaml.strip_secrets(sample())[0]      # never the encrypted value
    spec, error = page_yaml.from_yaml("name: x\nstages:\n- name: A\n  tasks:\n  - name: t\n    type: script\n")
    assert error is None and spec["stages"][0]["tasks"][0]["name"] == "t"    # invalid but drawable: kept
    assert page_yaml.from_yaml("stages: [oops")[1].startswith("not valid YAML")
    assert page_yaml.from_yaml("stages: 3")[1].startswith("a pipeline is a mapping")


def test_values_from_a_panel_about_to_be_replaced_are_ignored():
    """A click that lands before the new panel arrives must not write the old panel's
    values into paths that now mean another stage."""
    form = forms.panel(sample(), "stage-0", [], rev=3)
    stamped = [c for c in ids_in(form, eid.FIELD)]
    assert stamped == ["stages[0].name", "stages[0].mode"]
    ids = [eid.field("stages[0].name", 2), eid.field("stages[0].mode", 3), eid.field("name")]
    assert values.current_pairs(ids, ["old", "parallel", "app"], 3) == [("stages[0].mode", "parallel"), ("name", "app")]


def test_a_declared_task_type_shows_in_the_editor_with_no_dashboard_edit():
    from models import task_types
    declared = task_types.declare(task_types.TaskFields("notify", "send a notice", (
        task_types.Field("channel", "Channel name", required=True, placeholder="#builds"),
        task_types.Field("text", "Message", multiline=True, default="done"))))
    try:
        spec = tasks.set_task_type(sample(), 0, 0, "notify")
        form = forms.panel(spec, "task-0-0", [])
        assert ids_in(form, eid.FIELD)[2:] == ["stages[0].tasks[0].channel", "stages[0].tasks[0].text"]
        text = repr(form)
        assert "Channel name" in text and "'#builds'" in text and "Message" in text and "Textarea" in text
        assert "send a notice" in text                                   # in the type choice
        assert problems.describe_path(spec, "stages[0].tasks[0].channel") == "stage 'Build' › task 'compile' › Channel name"
    finally:
        task_types.undeclare(declared.name)


def test_a_typed_secret_shows_masked_in_the_yaml_tab_and_comes_back_from_it():
    spec = validate({"name": "app", "stages": [{"name": "Build", "tasks": [
        {"name": "t", "type": "script", "image": "alpine", "script": "make",
         "env": [{"name": "TOKEN", "value": "typed-secret-1", "secret": True}]}]}]})
    text = page_yaml.masked_yaml(spec)
    assert "typed-secret-1" not in text and page_yaml.MASK in text
    back, error = page_yaml.from_yaml(text, spec)
    assert error is None and back["stages"][0]["tasks"][0]["env"][0]["value"] == "typed-secret-1"
    renamed, _ = page_yaml.from_yaml(text.replace("name: t\n", "name: other\n"), spec)
    assert renamed["stages"][0]["tasks"][0]["env"][0]["value"] == ""      # never the mask as a value


def test_deselect_goes_back_to_the_pipeline_settings():
    assert commands.run_op(sample(), "deselect", "task-0-1") == (sample(), None)
