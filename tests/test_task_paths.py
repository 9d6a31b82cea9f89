"""Paths a task reads from the checkout (issue 9, fault 12): resolved and kept inside it,
for every task type that takes a path from the definition — deploy YAML (`file`), build &
publish chart (`chart_dir`, and every file of the chart), build & publish image (local:
`dockerfile`, `context`; kaniko: the same, checked again in the pod's script). Deploy
chart takes its chart from the repository, not the checkout. Real symlinks committed to a
real git repository, real task processes.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.tasks.lib import paths
from models import pipelines, runs
from models.tables import Run
from tests.conftest import git, pipeline_spec, tick_until
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)
from tests.fakekube.millrace import make_daemon, register

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = "/etc/hostname"          # a file of the daemon's machine that no deploy may carry away
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {v: '1'}\n"


# --- the helper ---------------------------------------------------------------------------
@pytest.fixture
def checkout(tmp_path):
    ws = tmp_path / "ws"
    (ws / "deploy").mkdir(parents=True)
    (ws / "deploy" / "app.yaml").write_text(CONFIGMAP)
    os.symlink(OUTSIDE, ws / "x.yaml")
    os.symlink("deploy/app.yaml", ws / "same.yaml")        # a link that stays inside is fine
    os.symlink("/etc", ws / "etc")
    return ws


@pytest.mark.parametrize("rel, message", [
    ("x.yaml", f"the YAML file 'x.yaml' points outside the checkout (through a symlink, to {OUTSIDE})"),
    ("etc/hostname", f"the YAML file 'etc/hostname' points outside the checkout (through a symlink, to {OUTSIDE})"),
    ("../x.yaml", "the YAML file '../x.yaml' points outside the checkout"),
    ("deploy/../../x.yaml", "the YAML file 'deploy/../../x.yaml' points outside the checkout"),
    (OUTSIDE, f"the YAML file '{OUTSIDE}' points outside the checkout"),
])
def test_a_path_out_of_the_checkout_is_refused_naming_it(checkout, rel, message):
    with pytest.raises(paths.PathOutside) as err:
        paths.read_inside(checkout, rel, "the YAML file", 1 << 20)
    assert str(err.value) == message


def test_paths_that_stay_inside_are_read(checkout):
    assert paths.read_inside(checkout, "same.yaml", "the YAML file", 1 << 20) == CONFIGMAP.encode()
    assert paths.read_inside(checkout, "deploy/./app.yaml", "the YAML file", 1 << 20) == CONFIGMAP.encode()
    assert paths.read_inside(checkout, "deploy/app.yaml", "the YAML file", 10) == CONFIGMAP.encode()[:11]


def test_missing_and_special_files_are_refused_not_followed_or_waited_on(checkout):
    os.mkfifo(checkout / "pipe.yaml")
    for rel, words in (("nope.yaml", "not found in the checkout"), ("deploy", "is not a file"),
                       ("pipe.yaml", "is not a file"), ("deploy/app.yaml/x", "is not a directory")):
        with pytest.raises(paths.PathMissing, match=words):
            paths.read_inside(checkout, rel, "the YAML file", 100)


def test_a_symlink_swapped_in_after_the_check_is_refused(checkout, monkeypatch):
    resolve = paths.inside

    def swap_then_resolve(root, rel, what):
        found = resolve(root, rel, what)
        os.rename(checkout / "deploy", checkout / "deploy-old")      # what a task in the same run could do
        os.symlink("/etc", checkout / "deploy")
        return found
    monkeypatch.setattr(paths, "inside", swap_then_resolve)
    with pytest.raises(paths.PathOutside, match="changed while it was read"):
        paths.read_inside(checkout, "deploy/app.yaml", "the YAML file", 100)


def test_lexical_checks_for_before_the_checkout_exists():
    assert paths.lexical("deploy/./app.yaml", "f") == "deploy/app.yaml"
    for rel in ("../a", "/etc/passwd", "a/../../b", ".."):
        with pytest.raises(paths.PathOutside, match="points outside the checkout"):
            paths.lexical(rel, "f")


# --- deploy YAML, through the engine --------------------------------------------------------
@pytest.fixture
def daemon(home, fake_kube):
    register(fake_kube)
    made = make_daemon()
    yield made
    made.shutdown()


def _deploy_run(daemon, repo, file):
    p = pipelines.create(pipeline_spec("deploy", source={"repository": repo.url, "branch": "main"},
                                       stages=[{"name": "Deploy", "tasks": [
                                           {"name": "deploy", "type": "deploy_yaml", "file": file, "namespace": "app"}]}]),
                         "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    return tick_until(daemon, lambda: (r := Run.get_by_id(run.id)).finished_at and r, timeout=120, message="the run's end")


@pytest.fixture
def linked_repo(repo):
    (repo.work / "deploy").mkdir()
    (repo.work / "deploy" / "app.yaml").write_text(CONFIGMAP)
    os.symlink(OUTSIDE, repo.work / "x.yaml")                  # ln -s /etc/hostname x.yaml
    os.symlink("/etc", repo.work / "etc")
    os.symlink("deploy/app.yaml", repo.work / "app.yaml")
    git("add", "-A", cwd=repo.work)
    git("commit", "-q", "-m", "links", cwd=repo.work)
    repo.push()
    return repo


@pytest.mark.parametrize("file, reason", [
    ("x.yaml", f"the YAML file 'x.yaml' points outside the checkout (through a symlink, to {OUTSIDE})"),
    ("etc/hostname", f"the YAML file 'etc/hostname' points outside the checkout (through a symlink, to {OUTSIDE})"),
    ("../x.yaml", "task 'deploy': the YAML file '../x.yaml' points outside the checkout"),
], ids=["symlink", "symlinked-directory", "dot-dot"])
def test_deploy_yaml_refuses_a_file_outside_the_checkout(home, linked_repo, fake_kube, daemon, file, reason):
    done = _deploy_run(daemon, linked_repo, file)
    assert done.status == "failed"
    assert reason in done.reason, done.reason
    assert not any(k == "configmaps" for k, *_ in fake_kube.store.objects)      # nothing was applied


def test_deploy_yaml_follows_a_symlink_that_stays_inside(home, linked_repo, fake_kube, daemon):
    done = _deploy_run(daemon, linked_repo, "app.yaml")
    assert done.status == "succeeded", done.reason


# --- build & publish chart -------------------------------------------------------------------
def _chart(root: Path, name="web") -> Path:
    chart = root / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("tag: ${BUILD_ID}\n")
    (chart / "templates" / "cm.yaml").write_text(CONFIGMAP)
    return chart


def build_chart_process(workspace: Path, chart_dir: str, task_dir: Path) -> tuple[int, str]:
    """`python -m daemon.tasks.build_chart` as the engine starts it; the chart is prepared before
    any repository is contacted, so an unreachable one is never reached when the path is refused."""
    task_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MILLRACE_TASK_DIR": str(task_dir),
           "MILLRACE_WORKSPACE": str(workspace), "MILLRACE_CHART_DIR": chart_dir, "MILLRACE_CHART_NAME": "web",
           "MILLRACE_CHART_VERSION": "0.1.0", "MILLRACE_CHART_VALUES_JSON": json.dumps({"BUILD_ID": "7"}),
           "MILLRACE_CHART_REPOSITORY": "oci://127.0.0.1:9/charts", "MILLRACE_CHART_REGISTRY_URL": "127.0.0.1:9",
           "MILLRACE_REASON_FILE": str(task_dir / "reason"), "MILLRACE_ENV": str(task_dir / "env")}
    proc = subprocess.run([sys.executable, "-m", "daemon.tasks.build_chart"], env=env, cwd=workspace,
                          capture_output=True, text=True, timeout=300)
    reason = (task_dir / "reason").read_text().strip() if (task_dir / "reason").exists() else proc.stderr
    return proc.returncode, reason


@pytest.mark.parametrize("make, chart_dir, reason", [
    (lambda ws: os.symlink("/etc", ws / "web"), "web",
     "chart directory 'web' points outside the checkout (through a symlink, to /etc)"),
    (lambda ws: os.symlink(OUTSIDE, _chart(ws) / "templates" / "leak.yaml"), "web",
     f"chart directory 'web' holds 'web/templates/leak.yaml', a symlink to {OUTSIDE}, outside the checkout"),
    (lambda ws: (os.remove(_chart(ws) / "values.yaml"), os.symlink(OUTSIDE, ws / "web" / "values.yaml")), "web",
     f"chart directory 'web' holds 'web/values.yaml', a symlink to {OUTSIDE}, outside the checkout"),
    (lambda ws: os.symlink("/etc", _chart(ws) / "templates" / "etc"), "web",
     "chart directory 'web' holds 'web/templates/etc', a symlink to /etc, outside the checkout"),
    (lambda ws: _chart(ws.parent, "outside"), "../outside", "chart directory '../outside' points outside the checkout"),
    (lambda ws: os.symlink("..", _chart(ws) / "templates" / "loop"), "web",
     "chart directory 'web' holds 'web/templates/loop', a symlink to {ws}/web, which contains it (a loop)"),
], ids=["directory-symlink", "template-symlink", "values-symlink", "linked-directory-inside", "dot-dot", "loop"])
def test_build_chart_refuses_anything_of_the_chart_outside_the_checkout(tmp_path, make, chart_dir, reason):
    ws = tmp_path / "ws"
    ws.mkdir()
    make(ws)
    code, said = build_chart_process(ws, chart_dir, tmp_path / "task")
    assert code == 1
    assert said == reason.format(ws=ws.resolve())


def test_a_chart_with_links_inside_the_checkout_is_copied_with_them_resolved(tmp_path):
    from daemon.tasks.lib.charts import prepare_chart
    ws = tmp_path / "ws"
    (ws / "shared").mkdir(parents=True)
    (ws / "shared" / "common.yaml").write_text(CONFIGMAP.replace("name: c", "name: common"))
    chart = _chart(ws)
    os.symlink("../../shared/common.yaml", chart / "templates" / "common.yaml")
    copy = prepare_chart(ws, "web", {"BUILD_ID": "7"}, tmp_path / "work", "web")
    linked = copy / "templates" / "common.yaml"
    assert not linked.is_symlink() and "name: common" in linked.read_text()      # a relative link kept its meaning
    assert (copy / "values.yaml").read_text() == "tag: 7\n"


@pytest.mark.slow
def test_a_chart_whose_links_multiply_it_is_refused(tmp_path):
    ws = tmp_path / "ws"
    chart = _chart(ws)
    level = chart / "templates"
    for n in range(16):                    # each level links the next twice: 2**16 copies once followed
        nxt = ws / f"l{n}"
        nxt.mkdir()
        os.symlink(nxt, level / "a")
        os.symlink(nxt, level / "b")
        level = nxt
    with pytest.raises(paths.PathOutside, match="holds more than 20000 files and directories"):
        paths.check_tree(ws, chart, "web", "chart directory")


# --- build & publish image -------------------------------------------------------------------
def _plan_build(ws: Path, dockerfile="Dockerfile", context="."):
    from daemon.tasks.lib.container_build import plan_build
    from daemon.tasks.lib.registry import Registry
    return plan_build(ws, dockerfile, Registry("127.0.0.1:5000", insecure=True), "devops", "app", "1",
                      ws.parent / "work", context=context, which=lambda name: f"/usr/bin/{name}")


@pytest.mark.parametrize("make, kw, reason", [
    (lambda ws: os.symlink(OUTSIDE, ws / "Dockerfile"), {},
     f"Dockerfile path 'Dockerfile' points outside the checkout (through a symlink, to {OUTSIDE})"),
    (lambda ws: os.symlink("/etc", ws / "ctx"), {"context": "ctx"},
     "build context 'ctx' points outside the checkout (through a symlink, to /etc)"),
    (lambda ws: None, {"dockerfile": "../Dockerfile"}, "Dockerfile path '../Dockerfile' points outside the checkout"),
    (lambda ws: None, {"context": "../"}, "build context '../' points outside the checkout"),
], ids=["dockerfile-symlink", "context-symlink", "dockerfile-dot-dot", "context-dot-dot"])
def test_build_image_refuses_a_dockerfile_or_context_outside_the_checkout(tmp_path, make, kw, reason):
    from daemon.tasks.lib.container_build import BuildError
    ws = tmp_path / "ws"
    ws.mkdir()
    make(ws)
    with pytest.raises(BuildError) as err:
        _plan_build(ws, **kw)
    assert str(err.value) == reason


def test_kaniko_refuses_a_dockerfile_symlink_in_the_pod(tmp_path):
    from daemon.executors.kubernetes import spec as kube_spec
    from daemon.tasks.lib import kaniko
    task, out, ws = tmp_path / "task", tmp_path / "out", tmp_path / "ws"
    for d in (task, out, ws):
        d.mkdir()
    (task / "run.sh").write_text(kube_spec.WRAPPER)
    (task / "script").write_text(kaniko.SCRIPT)
    os.symlink(OUTSIDE, ws / "Dockerfile")
    env = {"PATH": "/usr/bin:/bin", "MILLRACE_POD_UID": "u1", "MILLRACE_REGISTRY": "r.example",
           "MILLRACE_REGISTRY_USERNAME": "", "MILLRACE_IMAGE": "r.example/devops/app:1",
           "MILLRACE_DOCKERFILE_PATH": "Dockerfile", "MILLRACE_CONTEXT_PATH": "."}
    proc = subprocess.run(["/bin/sh", str(task / "run.sh"), str(task), str(out), "/bin/echo", "kaniko ran"],
                          cwd=ws, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3 and "kaniko ran" not in proc.stdout
    assert kaniko.explain(proc.stdout + proc.stderr) == \
        f"Dockerfile path 'Dockerfile' points outside the checkout (through a symlink, to {OUTSIDE})"

