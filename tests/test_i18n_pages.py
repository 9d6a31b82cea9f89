"""The pages and the shell in both languages (issue 13), without a browser: the navbar's
links and language switcher, page titles, headings, buttons, table headers and feedback in
Chinese for a zh_CN reader (the cookie the switcher sets) and unchanged English otherwise;
statuses shown translated while the stored codes stay; durations and relative times per locale.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from models import i18n, pipelines, runs
from tests.conftest import pipeline_spec, script_task

ZH = {"Cookie": "millrace_lang=zh_CN"}
EN = {"Cookie": "millrace_lang=en"}


@pytest.fixture
def app(home):
    from dashboard.app import create_app
    return create_app()


def title_of(path: str) -> str:
    import dash
    page = next(p for p in dash.page_registry.values() if p["path"] == path)
    return page["title"]() if callable(page["title"]) else page["title"]


@pytest.fixture
def chinese():
    """Chinese outside a request (what `i18n.use` gives the CLI), English again afterwards."""
    i18n.use("zh_CN")
    try:
        yield
    finally:
        i18n.use(None)


def text(component) -> str:
    return json.dumps(component if isinstance(component, (str, list, dict)) else component.to_plotly_json(),
                      default=lambda o: o.to_plotly_json(), ensure_ascii=False)


def test_statuses_are_shown_in_the_readers_language_and_stored_as_codes(chinese):
    from dashboard.components import status_badge, status_word
    assert [status_word(s) for s in ("succeeded", "failed", "running", "waiting", "queued", "stopped",
                                     "timed_out", None)] == ["成功", "失败", "运行中", "等待中", "排队中", "已停止",
                                                             "超时", "从未执行"]
    badge = status_badge("timed_out").to_plotly_json()["props"]
    assert badge["children"] == "超时" and "status-timed_out" in badge["className"]   # the code stays in the class
    i18n.use("en")
    assert [status_word(s) for s in ("timed_out", "succeeded", None)] == ["timed out", "succeeded", "never run"]


def test_durations_and_relative_times_follow_the_locale(chinese):
    from dashboard.components import ago_text, duration_text
    now = dt.datetime(2026, 1, 15, 12, 30, 0)
    assert [duration_text(s) for s in (1.5, 125, 3900, 90000)] == ["1.5秒", "2分05秒", "1小时05分", "1天1小时"]
    assert ago_text(now - dt.timedelta(minutes=3), now) == "3分钟前"
    i18n.use("en")
    assert [duration_text(s) for s in (1.5, 125, 3900, 90000)] == ["1.5s", "2m 05s", "1h 05m", "1d 1h"]
    assert ago_text(now - dt.timedelta(minutes=3), now) == "3 minutes ago"
    assert ago_text(now - dt.timedelta(hours=2), now) == "2 hours ago" and ago_text(None, now) == ""


def test_the_navbar_speaks_the_readers_language_and_switches_back_to_this_page(app):
    from dashboard import layout
    with app.server.test_request_context("/_dash-layout", headers={**ZH, "Referer": "http://localhost/pipelines/3?x=1"}):
        shown = text(layout.navbar())
        assert all(word in shown for word in ("流水线", "发布", "集群", "代码仓库", "设置", "守护进程"))
        switcher = layout.language_switcher().to_plotly_json()["props"]["children"]
        links = {c.to_plotly_json()["props"]["children"]: c.to_plotly_json()["props"] for c in switcher}
        assert set(links) == {"English", "中文"}
        assert links["English"]["href"] == "/lang/en?next=%2Fpipelines%2F3%3Fx%3D1"
        assert links["中文"].get("aria-current") == "true" and "active" in links["中文"]["className"]
        assert "aria-current" not in links["English"]
    with app.server.test_request_context("/_dash-layout", headers={**EN, "Referer": "https://evil.example/x"}):
        shown = text(layout.navbar())
        assert "Code repositories" in shown and "代码仓库" not in shown
        switcher = layout.language_switcher().to_plotly_json()["props"]["children"]
        assert switcher[1].to_plotly_json()["props"]["href"] == "/lang/zh_CN?next=%2F"    # never another site
        assert "No daemon is running: " in text(layout.daemon_warning())


def test_the_pipeline_pages_in_chinese(app):
    from dashboard.pages import pipeline_detail, pipelines as listing, run_detail
    p = pipelines.create(pipeline_spec("zh-1", stages=[{"name": "S", "tasks": [script_task("t", "true")]}]), "tester")
    runs.enqueue_run(p, "manual", "tester")
    with app.server.test_request_context("/", headers=ZH):
        shown = text(listing.layout())
        for words in ("创建流水线", "按名称搜索", "最近运行", "执行", "停止", "更多", "排队中", "所有状态", "已激活"):
            assert words in shown, words
        assert listing.page_title() == "流水线列表 · Millrace"
        detail = text(pipeline_detail.layout(pipeline_id=str(p.id)))
        for words in ("基本信息", "高级设置", "运行记录", "重新执行", "代码源", "流水线图", "触发规则"):
            assert words in detail, words
        assert "#1" in text(run_detail.layout(pipeline_id=str(p.id), number="1"))
        assert "下载全部日志" in text(run_detail.layout(pipeline_id=str(p.id), number="1"))
        assert run_detail.page_title(pipeline_id=str(p.id), number="1") == "zh-1 #1 · 排队中 · Millrace"
    with app.server.test_request_context("/", headers=EN):
        assert "Create pipeline" in text(listing.layout()) and "创建流水线" not in text(listing.layout())
        assert run_detail.page_title(pipeline_id=str(p.id), number="1") == "zh-1 #1 · queued · Millrace"


def test_settings_and_clusters_in_chinese_and_a_refusal_still_lands_on_its_field(app):
    from dashboard import ids
    from dashboard.pages import clusters, settings
    with app.server.test_request_context("/settings", headers=ZH):
        shown = text(settings.layout())
        for words in ("设置", "镜像仓库", "添加镜像仓库", "应用模板仓库", "保存守护进程设置", "任务槽", "密码或令牌"):
            assert words in shown, words
        out = settings.add_registry(1, "bad name!", "registry.example.com", "", "", False, "", False, 0, anyway=True)
        marks = dict(zip(settings.REGISTRY_CONTROLS, out[2:2 + 2 * len(settings.REGISTRY_CONTROLS):2]))
        assert marks[ids.REGISTRY_NAME] is True          # found from the English words, whatever is shown
        shown = text(clusters.layout())
        for words in ("集群", "添加集群", "本地执行（内置默认）", "粘贴 kubeconfig", "设为默认"):
            assert words in shown, words
        assert title_of("/settings") == "设置 · Millrace" and title_of("/clusters") == "集群 · Millrace"
    with app.server.test_request_context("/settings", headers=EN):
        assert "Save daemon settings" in text(settings.layout())


def test_the_daemon_notes_and_the_placement_choices_in_chinese(app, monkeypatch):
    import time as clock

    from dashboard import layout, placement, registry_check
    from models import served
    monkeypatch.setattr(served, "last_restart", lambda: {"at": clock.time(), "exit_code": -9, "pid": 42,
                                                         "delay": 1.5, "count": 2})
    with app.server.test_request_context("/", headers=ZH):
        note = text(layout.restart_note())
        assert "守护进程已重启：" in note and "被强制终止（SIGKILL）" in note and "pid 42" in note and "共重启 2 次" in note
        warning = text(layout.daemon_warning())
        assert "没有运行中的守护进程：" in warning and "python run.py daemon" in warning      # the command kept as code
        choices = dict(placement.cluster_options({"clusters": ["prod"], "default": None}))
        assert choices["prod"] == "集群 prod" and "本机" in choices[placement.DEFAULT_CLUSTER]
        problem = registry_check.unreachable("http://127.0.0.1:9", insecure=True)
        assert str(problem).startswith("镜像仓库地址 http://127.0.0.1:9") and i18n.english(problem).startswith("registry URL")
    with app.server.test_request_context("/", headers=EN):
        assert "the daemon was killed (SIGKILL); run.py up started it again (pid 42)" in text(layout.restart_note())
        assert "(2 restarts so far)" in text(layout.restart_note())
