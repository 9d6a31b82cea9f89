"""The canvas editor in both languages: its cards, side panel forms, button bars, problems,
conflict dialog and YAML mask render in Chinese for a Chinese reader and stay English for
an English one, while what is stored (modes, task type codes, names) never changes."""
import pytest

from dashboard import graph
from dashboard.editor import callbacks, conflict, forms, pickers, words, yaml_text
from dashboard.editor.controls import toolbars
from dashboard.editor.history import history_new
from dashboard.editor.problems import describe_path, errors_of
from models import i18n
from models.spec import DEFAULT_SCHEDULING_TIMEOUT_MINUTES, validate

SPEC = {"name": "app", "description": "", "source": {"repository": "https://example.com/app.git", "branch": "dev"},
        "parameters": {}, "timeout_minutes": None, "stages": [
            {"name": "Build", "mode": "serial", "tasks": [
                {"name": "compile", "type": "script", "image": "alpine", "tag": "latest", "script": "make", "env": []}]},
            {"name": "Deploy", "mode": "parallel", "tasks": []}]}


@pytest.fixture
def chinese():
    i18n.use("zh_CN")
    yield
    i18n.use(None)


def texts(node) -> list[str]:
    """Every text a component tree shows: children, labels, placeholders, titles, options."""
    out = []
    if isinstance(node, (list, tuple)):
        for child in node:
            out += texts(child)
        return out
    if isinstance(node, (str, int, float)):
        return [str(node)]
    if node is None:
        return out
    for prop in ("placeholder", "title", "label"):
        value = getattr(node, prop, None)
        if isinstance(value, str):
            out.append(value)
    for option in getattr(node, "options", None) or []:
        out.append(option["label"])
    return out + texts(getattr(node, "children", None))


def shown(node) -> str:
    return "\n".join(texts(node))


def labels(spec, **kwargs) -> dict:
    return {e["data"]["id"]: e["data"]["label"] for e in graph.spec_to_elements(spec, **kwargs) if "label" in e["data"]}


def test_pipeline_settings_panel_speaks_the_readers_language(chinese):
    text = shown(forms.panel(SPEC, None, []))
    for words_ in ("流水线设置", "描述", "超时时间(分钟,留空:不限)", "静态参数(NAME=值,每行一个)", "运行位置", "调度超时"):
        assert words_ in text
    assert "Pipeline settings" not in text and "${BUILD_ID}" in text


def test_the_same_panel_stays_english_for_an_english_reader():
    text = shown(forms.panel(SPEC, None, []))
    assert "Pipeline settings" in text and "Runs on" in text and "流水线" not in text
    assert f"Blank: {DEFAULT_SCHEDULING_TIMEOUT_MINUTES}. The wait does not count toward the timeout" in text


def test_task_form_shows_translated_type_names_and_field_labels_but_stores_codes(chinese):
    panel = forms.panel(SPEC, "task-0-0", [])
    text = shown(panel)
    assert "阶段“Build”中的任务" in text and "任务名称" in text
    for label in ("运行脚本", "构建并发布镜像", "部署 YAML", "构建并发布应用模板", "模板部署"):
        assert label in text
    assert "镜像" in text and "镜像版本" in text and "脚本" in text and "环境变量" in text and "+ 变量" in text
    select = next(n for n in _walk(panel) if getattr(n, "options", None) and any(o["value"] == "script" for o in n.options))
    assert {o["value"] for o in select.options} >= {"script", "build_image", "deploy_chart"}   # codes unchanged


def test_stage_form_mode_labels_are_translated_values_are_not(chinese):
    panel = forms.panel(SPEC, "stage-1", [])
    select = next(n for n in _walk(panel) if getattr(n, "options", None))
    assert [(o["value"], o["label"]) for o in select.options] == [("serial", "串行 — 依次执行"),
                                                                     ("parallel", "并行 — 同时执行")]
    assert "阶段名称" in shown(panel)


def test_code_source_form_and_button_bars(chinese):
    assert "代码仓库地址" in shown(forms.panel(SPEC, "source", [])) and "移除代码源" in shown(forms.panel(SPEC, "source", []))
    empty = {**SPEC, "source": None}
    assert "+ 添加代码源" in shown(forms.panel(empty, "source", []))
    bars = shown(toolbars())
    for label in ("+ 在后面添加阶段", "复制阶段", "← 左移", "删除阶段", "复制任务", "↓ 下移", "删除任务"):
        assert label in bars


def test_canvas_cards_in_chinese_keep_names_and_stored_values(chinese):
    found = labels(SPEC)
    assert found["stage-0"] == "Build\n串行" and found["stage-1"] == "Deploy\n并行"
    assert found["task-0-0"] == "compile\n运行脚本"
    assert found["source"].endswith("分支 dev") and found["add-task-0"] == "+ 任务"
    assert labels({**SPEC, "source": None})["source"] == "+ 代码源"
    stage = next(e for e in graph.spec_to_elements(SPEC) if e["data"]["id"] == "stage-0")
    assert stage["data"]["spec"]["mode"] == "serial"           # the definition the canvas carries is unchanged
    assert graph.elements_to_spec(graph.spec_to_elements(SPEC))["stages"][1]["mode"] == "parallel"


def test_canvas_cards_stay_english_for_an_english_reader():
    found = labels(SPEC)
    assert found["stage-0"] == "Build\nserial" and found["task-0-0"] == "compile\nrun script"
    assert found["add-task-1"] == "+ task"


def test_a_long_chinese_name_is_cut_to_fit_its_card_and_may_wrap_anywhere():
    long_name = "构建并发布前端应用的生产环境镜像以及所有依赖的静态资源文件"
    spec = {**SPEC, "stages": [{"name": "构建阶段包含很多很多很多任务的名字", "mode": "serial", "tasks": [
        {**SPEC["stages"][0]["tasks"][0], "name": long_name}]}]}
    elements = {e["data"]["id"]: e for e in graph.spec_to_elements(spec)}
    task_line = elements["task-0-0"]["data"]["label"].split("\n")[0]
    stage_line = elements["stage-0"]["data"]["label"].split("\n")[0]
    assert task_line.endswith("…") and words.width(task_line) <= graph.TASK_CELLS
    assert stage_line.endswith("…") and words.width(stage_line) <= graph.STAGE_CELLS
    assert "cjk" in elements["task-0-0"]["classes"] and "cjk" in elements["stage-0"]["classes"]
    assert elements["task-0-0"]["data"]["spec"]["name"] == long_name     # only the card is cut
    styles = {s["selector"]: s["style"] for s in graph.STYLESHEET}
    assert styles[".cjk"]["text-overflow-wrap"] == "anywhere"
    assert styles[".stage"]["text-max-width"] and styles[".task"]["text-max-width"]
    assert "cjk" not in {e["data"]["id"]: e for e in graph.spec_to_elements(SPEC)}["task-0-0"]["classes"]


def test_problems_are_worded_for_the_reader(chinese):
    assert describe_path(SPEC, "stages[0].tasks[0].image") == "阶段“Build” › 任务“compile” › 镜像"
    assert describe_path(SPEC, "name") == "流水线名称"
    broken = {**SPEC, "name": ""}
    state = {**history_new(broken), "show_errors": True, "save_errors": None}
    errors = errors_of(state)
    assert errors and all(isinstance(m, str) for _, m in errors)     # text for the Store and the page
    problems = callbacks.show_canvas(state, None)[1]
    assert f"请先修正 {len(errors)} 个问题再保存:" in shown(problems)


def test_problems_heading_stays_english():
    state = {**history_new({**SPEC, "name": ""}), "show_errors": True, "save_errors": None}
    assert "Fix 1 problem to save:" in shown(callbacks.show_canvas(state, None)[1])
    assert describe_path(SPEC, "stages[0].tasks[0].image") == "stage 'Build' › task 'compile' › Image"


def test_the_leave_question_follows_the_language(chinese):
    *_, leave, named = callbacks.show_canvas(history_new(SPEC), None)
    assert leave == "此流水线有未保存的修改。离开编辑器并放弃这些修改吗?" and named.startswith("流水线画布")
    i18n.use("en")
    *_, leave, named = callbacks.show_canvas(history_new(SPEC), None)
    assert leave.startswith("This pipeline has unsaved changes.") and named.startswith("Pipeline canvas:")


def test_conflict_dialog_and_pickers(chinese):
    text = shown(conflict.dialog())
    for label in ("此流水线已被他人修改", "继续编辑", "重新加载已保存的版本", "查看差异", "用我的修改覆盖"):
        assert label in text
    options = pickers.select_options("cluster", {"clusters": ["prod"], "default_cluster": "prod"}, "gone")
    assert options[0] == ("", "流水线运行所在之处(否则为默认集群:prod)") and options[-1] == ("gone", "gone(未注册)")
    assert pickers.select_options("registry", {}, "")[0] == ("", "已配置的镜像仓库")


def test_a_typed_secret_is_masked_in_the_readers_language_and_read_back_in_either():
    spec = validate({"name": "app", "stages": [{"name": "Build", "tasks": [
        {"name": "compile", "type": "script", "image": "alpine", "script": "make",
         "env": [{"name": "TOKEN", "value": "hunter2", "secret": True}]}]}]})
    english = yaml_text.masked_yaml(spec)
    i18n.use("zh_CN")
    try:
        chinese_text = yaml_text.masked_yaml(spec)
    finally:
        i18n.use(None)
    assert yaml_text.MASK in english and "(已隐藏:已输入,尚未保存)" in chinese_text and "hunter2" not in chinese_text
    for text in (english, chinese_text):          # read back in English, whichever language wrote it
        back, error = yaml_text.from_yaml(text, spec)
        assert error is None and back["stages"][0]["tasks"][0]["env"][0]["value"] == "hunter2"


def _walk(node):
    if isinstance(node, (list, tuple)):
        for child in node:
            yield from _walk(child)
    elif node is not None and not isinstance(node, (str, int, float)):
        yield node
        yield from _walk(getattr(node, "children", None))
