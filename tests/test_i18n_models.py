"""Model and daemon messages in both languages (issue 13): a definition's problems, a
registry's refusal, a daemon's reason render in Chinese for a Chinese reader and in English
otherwise; what the database stores is English, plus the reason's message as JSON."""
import json

import pytest

from daemon import reasons
from models import daemon_state, i18n, pipelines, registries, runs, spec
from models.errors import field_of
from models.tables import Run, TaskRun
from tests.conftest import pipeline_spec, run_until_done, script_task

BAD = {"name": "a b", "stages": [{"name": "S", "tasks": [{"name": "t", "type": "script", "image": "busybox"}]}]}


@pytest.fixture
def chinese():
    i18n.use("zh_CN")
    yield
    i18n.use(None)


def _refusal(raw):
    with pytest.raises(spec.SpecError) as caught:
        spec.validate(raw)
    return caught.value


def test_a_definitions_problems_render_in_the_readers_language(chinese):
    exc = _refusal(BAD)
    assert dict(exc.errors) == {"name": "使用字母、数字、“.”、“_”或“-”（最多 64 个字符，以字母或数字开头）",
                                "stages[0].tasks[0].script": "必填"}
    assert str(exc) == "name: 使用字母、数字、“.”、“_”或“-”（最多 64 个字符，以字母或数字开头）; " \
                       "stages[0].tasks[0].script: 必填"          # field paths stay as they are
    i18n.use("en")
    assert str(exc) == "name: use letters, digits, '.', '_' or '-' (at most 64, starting with a letter or " \
                       "digit); stages[0].tasks[0].script: required"
    assert exc.args[0] == str(exc)        # the exception's own text is English, whoever raised it


def test_a_message_with_values_keeps_them_in_chinese(chinese):
    raw = pipeline_spec("p", stages=[{"name": "S", "tasks": [script_task("t", "true", image="${NOPE}"),
                                                             script_task("t", "true")]}])
    shown = dict(_refusal(raw).errors)
    assert shown["stages[0].tasks[1].name"] == "此阶段中任务名称“t”重复"
    assert shown["stages[0].tasks[0].image"] == "未定义的变量 ${NOPE}"


def test_english_without_a_chosen_language():
    assert dict(_refusal(BAD).errors)["stages[0].tasks[0].script"] == "required"


def test_a_registry_refusal_names_its_field_and_speaks_chinese(home, chinese):
    with pytest.raises(ValueError) as caught:
        registries.add("r", "not a url!", "tester")
    assert field_of(caught.value) == "url"           # the form marks its field without reading the text
    assert str(caught.value).startswith("镜像仓库地址 'not a url!' 无效")
    with pytest.raises(registries.NotFound) as missing:
        registries.get("nope")
    assert str(missing.value) == "没有名为“nope”的镜像仓库（已配置：无）"
    assert i18n.english(missing.value.args[0]) == "no registry named 'nope' (configured: none)"


def test_settings_refusals_speak_chinese_and_a_form_gets_text(home, chinese):
    with pytest.raises(KeyError) as caught:
        daemon_state.set_setting("nope", "1", "tester")
    assert str(caught.value).startswith("未知的设置 'nope'")
    assert daemon_state.log_cap_problem("0") == "log_cap_mb 至少为 1（MB）：0 将不保留任何日志"
    assert isinstance(daemon_state.log_cap_problem("0"), str)     # a form field takes plain text


def test_a_reason_as_text_keeps_its_message():
    reason = reasons.text(i18n.N_("pod lost: it was deleted while the task ran"))
    assert reason == "pod lost: it was deleted while the task ran"
    assert reason.message.render("zh_CN") == "Pod 丢失：任务运行期间它被删除"
    masked = reasons.masked(lambda s: s.replace("secret", "***"),
                            i18n.N_("task '{task}': {error}", task="t", error="a secret here"))
    assert i18n.english(masked) == "task 't': a *** here"


def test_a_daemon_reason_is_stored_in_english_and_shown_in_chinese(home, daemon):
    # A build & publish image task with no registry configured cannot start: the daemon's reason.
    p = pipelines.create(pipeline_spec("img", stages=[{"name": "Build", "mode": "serial", "tasks": [
        {"name": "image", "type": "build_image", "workspace": "team", "image": "app", "tag": "1"}]}]), "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    task = TaskRun.get(TaskRun.run == done.id)
    assert done.status == "failed"
    english = ("task 'image' is a build & publish image task and no container registry is configured to push to: "
               "add one on the Settings page (/settings), or with python run.py registry add NAME --url HOST[:PORT] "
               "[--username U --password-stdin]")
    assert task.reason == english
    assert done.reason == f"task 'image' in stage 'Build' failed: {english}"
    stored = json.loads(Run.get_by_id(done.id).reason_message)
    assert stored["id"] == "task '{task}' in stage '{stage}' failed: {reason}"
    assert stored["params"]["reason"]["params"] == {"task": "image", "page": {"id": "the Settings page (/settings)",
                                                                              "params": {}}}
    i18n.use("zh_CN")
    try:
        shown = i18n.shown(done.reason, done.reason_message)
    finally:
        i18n.use(None)
    assert "任务“image”是构建并发布镜像任务，但未配置可推送的镜像仓库" in shown
    assert i18n.shown(done.reason, done.reason_message) == done.reason     # English for an English reader


def test_a_timer_fires_reason_is_stored_in_english_and_shown_in_chinese(home):
    import datetime as dt

    from daemon.triggers import fire_timers
    from models import triggers

    start = dt.datetime(2021, 3, 25, 14, 53, 21)
    p = pipelines.create(pipeline_spec("nightly", [{"name": "S", "tasks": [script_task("t", "true")]}]), "tester")
    triggers.save_timer(p, "every 2 minutes", "tester", timezone="UTC", now=start)
    fire_timers(start.replace(hour=15, minute=4))          # ten minutes down: the missed ones are one line
    missed = next(f for f in triggers.recent_fires(p) if f.outcome == "missed")
    assert missed.reason == ("missed 5 fire times from 2021-03-25 14:54 UTC to 2021-03-25 15:02 UTC "
                             "(daemon was not running; an on-time fire follows)")
    assert json.loads(missed.reason_message)["id"] == "missed {span} (daemon was not running; {why})"
    assert missed.shown_reason == missed.reason
    i18n.use("zh_CN")
    try:
        assert missed.shown_reason == ("错过了从 2021-03-25 14:54 UTC 到 2021-03-25 15:02 UTC 的 5 次触发"
                                       "（守护进程未运行；其后有一次准时触发）")
    finally:
        i18n.use(None)


def test_a_clusters_health_and_the_daemons_pause_are_stored_in_english_and_shown_in_chinese(home):
    from models import clusters
    from models.tables import DaemonHeartbeat

    row = clusters.add("prod", "tester", in_cluster=True, server="https://10.0.0.1")
    clusters.record_health(row.id, clusters.Health.REFUSED, reasons.text(
        i18n.N_("cluster '{name}' refused the credentials (401 Unauthorized)", name="prod")), None)
    row = clusters.get("prod")
    assert row.health_message == "cluster 'prod' refused the credentials (401 Unauthorized)"
    assert json.loads(row.health_message_json)["params"] == {"name": "prod"}
    beat = daemon_state.beat(None, "paused", reason=i18n.N_("disk full: writing under {path} failed ({error}); new "
                                                            "tasks wait", path="/data", error="No space left"))
    stored = DaemonHeartbeat.get_by_id(beat.id)
    assert stored.reason == "disk full: writing under /data failed (No space left); new tasks wait"
    i18n.use("zh_CN")
    try:
        assert row.shown_health_message == "集群“prod”拒绝了凭据（401 Unauthorized）"
        assert stored.shown_reason == "磁盘已满：写入 /data 失败（No space left）；新任务等待中"
    finally:
        i18n.use(None)
    assert row.shown_health_message == row.health_message
