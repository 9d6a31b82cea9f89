"""The CLI in Chinese and in English, and its times in the local zone (issue 13).

Real `run.py` processes, each given its environment explicitly: the suite runs in English
(tests/conftest.py sets LANG=C.UTF-8), so a test that wants Chinese says so here.
"""
import datetime as dt
import os
import re
import subprocess
import sys

import pytest

from models import pipelines, runs
from models.db import write_transaction
from models.tables import Run
from tests.conftest import pipeline_spec, run_until_done, script_task

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOCALE_KEYS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def cli(home, *args, lang="C.UTF-8", tz=None, check=True):
    env = {k: v for k, v in os.environ.items() if k not in LOCALE_KEYS and k != "TZ"}
    env["LANG"] = lang
    if tz:
        env["TZ"] = tz
    result = subprocess.run([sys.executable, os.path.join(ROOT, "run.py"), "--home", str(home), *args],
                            capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}: {result.stderr}")
    return result


@pytest.fixture
def with_pipeline(home):
    pipelines.create(pipeline_spec("p", stages=[{"name": "S", "tasks": [script_task("t", "true")]}]), "tester")
    return home


def test_lang_zh_cn_in_the_environment_prints_chinese(with_pipeline):
    out = cli(with_pipeline, "pipelines", lang="zh_CN.UTF-8").stdout
    assert out.splitlines()[0].split() == ["名称", "已激活", "最近运行", "最近状态", "最近开始时间"]
    assert re.search(r"^p\s+是$", out, re.M)
    assert cli(with_pipeline, "list", lang="zh_CN.UTF-8").stdout == out          # `list`: the same verb
    assert "列出流水线" in cli(with_pipeline, "--help", lang="zh_CN.UTF-8").stdout
    assert "已激活流水线“p”" in cli(with_pipeline, "activate", "p", lang="zh_CN.UTF-8").stdout


def test_the_lang_option_overrides_the_environment(with_pipeline):
    chinese = cli(with_pipeline, "--lang", "zh_CN", "triggers", "p").stdout
    assert chinese.startswith("流水线“p”（已激活），并发策略 allow")
    english = cli(with_pipeline, "--lang", "en", "triggers", "p", lang="zh_CN.UTF-8").stdout
    assert english.startswith("pipeline 'p' (active), concurrency allow")
    assert cli(with_pipeline, "pipelines").stdout.startswith("NAME  ACTIVE  LATEST_RUN")   # C.UTF-8: English
    error = cli(with_pipeline, "--lang", "zh_CN", "run", "p", "--param", "oops", check=False)
    assert error.returncode == 1 and error.stderr.startswith("错误：--param 需要 KEY=VALUE")


def test_an_unknown_lang_is_refused_with_the_choices(with_pipeline):
    out = cli(with_pipeline, "--lang", "klingon", "pipelines", check=False)
    assert out.returncode == 2 and out.stdout == ""
    assert "unknown language 'klingon'" in out.stderr and "en, zh_CN" in out.stderr


def _stamped_run(started: dt.datetime) -> Run:
    run = runs.enqueue_run(pipelines.get("p"), "manual", "tester")
    with write_transaction():
        Run.update(started_at=started).where(Run.id == run.id).execute()
    return run


def _time(text: str, label: str) -> tuple[dt.datetime, str]:
    found = re.search(label + r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (\S+)", text)
    assert found, text
    return dt.datetime.fromisoformat(found.group(1)), found.group(2)


def test_times_are_local_with_the_zone_named_and_utc_on_request(with_pipeline):
    _stamped_run(dt.datetime(2026, 3, 1, 22, 30, 5))          # stored: naive UTC
    utc, utc_zone = _time(cli(with_pipeline, "--utc", "show", "p#1", tz="Asia/Shanghai").stdout, "started: ")
    local, zone = _time(cli(with_pipeline, "show", "p#1", tz="Asia/Shanghai").stdout, "started: ")
    assert (utc, utc_zone) == (dt.datetime(2026, 3, 1, 22, 30, 5), "UTC")
    assert local - utc == dt.timedelta(hours=8) and zone == "CST"
    listed, _zone = _time(cli(with_pipeline, "runs", "p", tz="Asia/Shanghai").stdout, r"p#1\s+queued\s+manual\s+")
    assert listed == dt.datetime(2026, 3, 2, 6, 30, 5)
    shown = cli(with_pipeline, "--lang", "zh_CN", "show", "p#1", tz="Asia/Shanghai").stdout
    assert "开始：2026-03-02 06:30:05 CST" in shown and "排队中" in shown
    stored = cli(with_pipeline, "show", "p#1", "--json", tz="Asia/Shanghai").stdout
    assert '"started_at": "2026-03-01T22:30:05Z"' in stored      # RFC 3339 UTC, as the API's and '"status": "queued"' in stored


def test_a_failed_runs_reason_recorded_in_english_shows_in_chinese(home, daemon):
    spec = pipeline_spec("bad", stages=[{"name": "S", "tasks": [script_task("t", "echo about to fail; exit 7")]}])
    run = runs.enqueue_run(pipelines.create(spec, "tester"), "manual", "tester")
    ended = run_until_done(daemon, run.id)
    assert ended.status == "failed" and ended.reason == "task 't' in stage 'S' failed: exit code 7"
    english = cli(home, "show", "bad#1").stdout
    assert english.startswith("bad#1  failed: task 't' in stage 'S' failed: exit code 7")
    chinese = cli(home, "show", "bad#1", lang="zh_CN.UTF-8").stdout
    assert chinese.startswith("bad#1  失败：阶段“S”中的任务“t”失败：")
    assert re.search(r"^S\s+t\s+失败\s+\S+\s+退出码 7$", chinese, re.M)        # the task's own reason
    assert "阶段“S”中的任务“t”失败" in cli(home, "--lang", "zh_CN", "runs", "bad").stdout
    assert '"reason": "task \'t\' in stage \'S\' failed: exit code 7"' in \
        cli(home, "show", "bad#1", "--json", lang="zh_CN.UTF-8").stdout       # stored English stays
    utc_log = cli(home, "--utc", "logs", "bad#1", tz="Asia/Shanghai").stdout.splitlines()
    local_log = cli(home, "logs", "bad#1", tz="Asia/Shanghai").stdout.splitlines()
    assert utc_log[0] == local_log[0] == "── S / t"
    said = [next(line for line in lines if line.endswith(" about to fail")) for lines in (utc_log, local_log)]
    utc_at, local_at = (dt.datetime.strptime(line.split()[0], "%H:%M:%S") for line in said)
    assert (local_at - utc_at) % dt.timedelta(days=1) == dt.timedelta(hours=8)


def test_tables_line_up_chinese_cells_by_their_width_on_a_terminal(capsys):
    from cli.output import table, width
    assert width("流水线-2048") == 11
    table([{"name": "流水线-2048", "status": "ok"}, {"name": "p", "status": "ok"}], ("name", "status"))
    lines = capsys.readouterr().out.splitlines()
    assert [width(line[:line.rindex("ok")]) for line in lines[1:]] == [13, 13]
