"""The run view, log panel, trigger rules, action dialogs and version history speak the
reader's language: rendered with `i18n.use("zh_CN")` (or a request with the `millrace_lang`
cookie) they say Chinese, in English they keep their English words; a task whose failure
reason was recorded while the reader was English shows it in Chinese in the log panel."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dash.development.base_component import Component
from flask import Flask

from dashboard import actions, api, diffview, timeline, versions, viewer
from dashboard.queries import trigger_summaries
from dashboard.runlog import panel as log_panel
from dashboard.runlog import search as log_search
from dashboard.triggers import form, panel as trigger_panel, records
from models import i18n, pipelines, runs
from models.tables import TaskRun
from tests.conftest import pipeline_spec, run_until_done, script_task

SPEC = pipeline_spec("views", [{"name": "Build", "tasks": [script_task("compile", "echo hi; exit 3")]}])
TEXT_PROPS = ("children", "placeholder", "title", "label")


def texts(node) -> str:
    """Every text a component tree shows (children, placeholders, titles, option labels)."""
    if node is None or isinstance(node, bool):
        return ""
    if isinstance(node, (str, int, float)):
        return str(node)
    if isinstance(node, (list, tuple)):
        return " ".join(texts(n) for n in node)
    if isinstance(node, dict):
        return " ".join(texts(v) for k, v in node.items() if k in ("label",) or isinstance(v, (list, dict)))
    if isinstance(node, Component):
        parts = [texts(getattr(node, prop, None)) for prop in TEXT_PROPS]
        parts.append(texts(getattr(node, "options", None)))
        return " ".join(p for p in parts if p)
    return ""


@pytest.fixture
def chinese():
    i18n.use("zh_CN")
    yield
    i18n.use(None)


@pytest.fixture
def english():
    i18n.use("en")
    yield
    i18n.use(None)


@pytest.fixture
def views(home):
    return pipelines.create(SPEC, "tester")


def facts(**changes) -> dict:
    timer = {"rule": "daily at 09:30", "zone": "Asia/Shanghai", "misfire": "run_once", "deadline": 15,
             "next": "2026-03-02 09:30 CST"}
    return {"id": 1, "name": "views", "active": False, "triggers": "manual", "timer": timer, "webhook": ["push"],
            "concurrency": "forbid", "fires": [], "deliveries": [], "source": None, **changes}


# ---- trigger rules ----------------------------------------------------------------------

def test_the_trigger_rules_dialog_and_cards_in_chinese(chinese):
    shown = texts(trigger_panel.dialog())
    for words in ("定时触发", "事件触发", "生成新密钥", "移除定时触发", "守护进程停止期间错过的触发", "保存", "关闭",
                  "推送到分支", "skip：记录错过的时间，不启动运行", "例如 daily at 09:30"):
        assert words in shown, words
    assert "Timed rule" not in shown and "Save" not in shown
    s = facts()
    card = texts(records.summary_card(s))
    assert "触发规则" in card and "编辑触发规则" in card and "下次触发" in card
    assert "daily at 09:30（Asia/Shanghai）；错过的触发：run_once，15 分钟内" in card
    assert "（已停用：不会启动运行）" in card
    assert "尚无定时触发。" in texts(records.fires_card(s))
    fired = facts(fires=[{"scheduled": "2026-03-02 09:30 CST", "outcome": "skipped",
                          "reason": "run #3 still active (concurrency: forbid)"}])
    assert "已跳过" in texts(records.fires_card(fired)) and "计划时间" in texts(records.fires_card(fired))
    assert "没有代码源" in texts(records.deliveries_card(s))
    assert "'views' 已停用" in texts(records.inactive_banner(s)) and "激活" in texts(records.inactive_banner(s))


def test_the_trigger_rules_dialog_in_english(english):
    shown = texts(trigger_panel.dialog())
    assert "Timed rule" in shown and "Remove timed rule" in shown and "定时触发" not in shown
    assert "Edit trigger rules" in texts(records.summary_card(facts()))


def test_next_fire_preview_and_field_problems_in_chinese(chinese):
    now = datetime(2021, 3, 25, 14, 53, 21, tzinfo=ZoneInfo("Europe/Berlin"))
    lines, rule_error, tz_error = form.preview_lines("every 2 minutes", "Europe/Berlin", now)
    assert (rule_error, tz_error) == (None, None)
    assert lines[0] == "周四 2021-03-25 14:54 CET"       # the weekday in the reader's language, the rule's zone
    found = form.problems({"rule": "", "timezone": "", "misfire": "run_once", "deadline": None,
                           "concurrency": "queue", "events": ["release"]})
    assert set(found) == {"deadline", "concurrency policy", "events"}     # the keys stay English
    assert found["concurrency policy"] == "请从 allow, forbid, replace 中选择一项"
    assert form.field_label("concurrency policy") == "并发策略"
    assert form.zone_label("").startswith("服务器时区，")
    assert "只会显示一次" in form.secret_text(False)


def test_next_fire_preview_in_english(english):
    now = datetime(2021, 3, 25, 14, 53, 21, tzinfo=ZoneInfo("Europe/Berlin"))
    assert form.preview_lines("every 2 minutes", "Europe/Berlin", now)[0][0] == "Thu 2021-03-25 14:54 CET"


def test_saving_trigger_rules_says_so_in_chinese(views, chinese):
    message, secret = form.save(views, {"events": [], "rule": "daily at 09:30", "timezone": "Asia/Shanghai",
                                        "misfire": "skip", "deadline": 60, "concurrency": "allow"})
    assert secret is None
    assert message == "已保存 'views' 的触发规则：daily at 09:30 (Asia/Shanghai); 并发策略 allow。"
    assert form.remove_timer(views) == "已移除 'views' 的定时触发。"
    assert trigger_summaries([views.id]) == {views.id: "手动"}


# ---- the log panel -----------------------------------------------------------------------

def test_the_log_panel_controls_in_chinese(chinese):
    shown = texts(log_panel.panel(None))
    for words in ("未选择任务", "暂无日志", "下载完整日志", "上一页", "下一页", "最新", "搜索日志", "查找",
                  "上一个匹配", "下一个匹配"):
        assert words in shown, words
    assert log_panel._range(1, 500, 1234) == "第 1–500 行，共 1,234 行"
    assert log_search._info({"lines": [3, 9], "more": True, "at": 0}) == "第 1 个匹配，共 2+ 个"


def test_the_log_panel_controls_in_english(english):
    shown = texts(log_panel.panel(None))
    assert "Download whole log" in shown and "Search the log" in shown and "下载" not in shown
    assert log_panel._range(1, 500, 1234) == "Lines 1–500 of 1,234"


def test_a_failure_reason_recorded_in_english_shows_in_chinese_in_the_log_panel(views, daemon):
    i18n.use("en")      # the run happens while the reader is English: the English text is stored
    try:
        run = run_until_done(daemon, runs.enqueue_run(views, "manual", "tester").id)
    finally:
        i18n.use(None)
    task = TaskRun.get(TaskRun.run == run.id)
    assert task.reason == "exit code 3" and task.reason_message       # stored English, plus the message
    i18n.use("zh_CN")
    try:
        title = texts(log_panel.panel(task.id))
    finally:
        i18n.use(None)
    assert "Build / compile" in title
    chinese_reason = i18n.Msg.from_json(task.reason_message).render("zh_CN")
    assert chinese_reason != "exit code 3" and "3" in chinese_reason and chinese_reason in title
    i18n.use("en")
    try:
        assert "exit code 3" in texts(log_panel.panel(task.id))
    finally:
        i18n.use(None)


# ---- the action dialogs ------------------------------------------------------------------

def test_the_action_dialogs_and_their_feedback_in_chinese(views, chinese):
    shown = texts(actions.dialog())
    assert "取消" in shown and "确认" in shown and "要复制的流水线" in shown
    d = actions.describe("delete", views.id, None)
    assert (d["title"], d["confirm"]) == ("删除 views", "删除") and "无法撤销" in d["text"]
    d = actions.describe("settings", views.id, None)
    assert d["title"] == "views 的高级设置" and d["confirm"] == "保存"
    assert actions.perform({"action": "run", "pipeline": views.id})[0] == "views#1 已排队。"
    run = runs.active_runs(views).first()
    d = actions.describe("stop", None, run.id)
    assert (d["title"], d["confirm"]) == ("停止 views#1", "停止")
    assert actions.perform({"action": "deactivate", "pipeline": views.id})[0] == \
        "'views' 已停用：触发规则和执行都不会启动它。"
    assert "已停用，无法执行" in actions.describe("run", views.id, None)["refuse"]
    assert actions.perform({"action": "activate", "pipeline": views.id})[0] == "'views' 已激活。"
    assert actions.perform({"action": "copy", "pipeline": views.id}, name="views-2")[0] == \
        "已将 'views' 复制为 'views-2'。"


def test_the_action_feedback_in_english(views, english):
    assert actions.perform({"action": "run", "pipeline": views.id})[0] == "Queued views#1."
    assert actions.describe("delete", views.id, None)["confirm"] == "Delete"


# ---- version history, diff, timeline, API errors -----------------------------------------

def test_version_history_and_diff_in_chinese(views, chinese):
    spec = pipelines.current_spec(views)
    pipelines.save(views, dict(spec, timeout_minutes=7), "tester")
    shown = texts(versions.card(views))
    for words in ("版本历史", "与上一版本比较", "当前", "保存时间", "恢复", "版本 1", "版本 2"):
        assert words in shown, words
    assert "没有差异" in texts(diffview.side_by_side("a", "a", "版本 1", "版本 2"))
    many = "\n".join(f"line {n}" for n in range(20))
    folded = texts(diffview.side_by_side(many, many.replace("line 10", "line X"), "a", "b"))
    assert "行未更改" in folded


def test_the_timeline_hover_in_chinese(chinese):
    start = datetime(2026, 1, 5, 12, 0, 0)
    fig = timeline.tasks_figure([timeline.bar("Build / compile", "failed", start, start + timedelta(seconds=5))],
                                start + timedelta(seconds=10))
    assert fig.data[0].hovertext[0].startswith("Build / compile：")


def test_the_log_download_404_speaks_the_cookies_language(home):
    app = Flask("api-test")
    viewer.install(app)
    app.register_blueprint(api.blueprint)
    client = app.test_client()
    client.set_cookie(viewer.LANG_COOKIE, "zh_CN")
    answer = client.get("/api/tasks/12345/log")
    assert answer.status_code == 404 and "没有 ID 为 12345 的任务运行" in answer.get_data(as_text=True)
    client.set_cookie(viewer.LANG_COOKIE, "en")
    assert "no task run with id 12345" in client.get("/api/tasks/12345/log").get_data(as_text=True)


def test_run_records_show_reasons_and_causes_in_the_readers_language(home, daemon):
    from dashboard.app import create_app
    create_app(home)                               # the pages register themselves with an app
    from dashboard.pages import pipeline_detail, run_detail
    from models import pipelines, runs
    from tests.conftest import pipeline_spec, run_until_done, script_task
    p = pipelines.create(pipeline_spec(name="fails", stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("t", "exit 3")]}]), "tester")
    run = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert "exit code 3" in run.reason                             # stored in English
    i18n.use("zh_CN")
    try:
        shown = run_detail.snapshot(run)
        record = pipeline_detail.snapshot(p)["records"][0]
    finally:
        i18n.use(None)
    for text in (shown["reason"], record["reason"], shown["tasks"][0]["reason"]):
        assert text and "exit code" not in text and "3" in text, text
    assert record["cause"] != "manual" and not shown["cause"].startswith("manual")
    assert pipeline_detail.snapshot(p)["records"][0]["cause"] == "manual"
