"""Hostile YAML (issue 9, fault 8): an alias bomb of under 1 KB, oversized and over-deep
documents, everywhere Millrace reads YAML from a user, a checkout or a server.

Pipeline definitions refuse anchors and aliases; Kubernetes manifests, charts, chart
indexes and kubeconfigs allow them with their expansion bounded (models.safe_yaml).
No test measures time: the specific error is the proof that nothing was expanded (the
expansion is what takes the minutes and gigabytes), and the CLI runs under an address-space
limit far below what the expansion needs.
"""
from __future__ import annotations

import http.server
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from models import safe_yaml
from models.spec import SpecError, load_yaml

ROOT = Path(__file__).resolve().parent.parent


def laughs(indent: str = "", levels: int = 9) -> str:
    """The billion-laughs anchors (nine levels of nine aliases, ~400 million strings), as
    YAML lines at `indent`, the last anchor named `top`."""
    lines = [f'{indent}l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels):
        lines.append(f"{indent}l{n}: &{'top' if n == levels - 1 else f'l{n}'} [" + ",".join([f"*l{n - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def pipeline_with_bomb(where: str) -> str:
    """A pipeline whose task carries the bomb in an env value or in `resources`. The anchors
    sit in a throwaway key of the same mapping, as an attacker would place them."""
    bomb_at = {"env": "        value: *top\n", "resources": "      resources: {limits: {cpu: *top}}\n"}[where]
    env = "      env:\n      - name: X\n" + (bomb_at if where == "env" else "        value: '1'\n")
    return ("name: bomb\nstages:\n- name: Build\n  tasks:\n    - name: t\n      type: script\n      image: alpine\n"
            "      script: 'true'\n      x-anchors:\n" + laughs("        ") + env
            + (bomb_at if where == "resources" else ""))


BOMB_LINE = 10      # the first anchor (&l0) of pipeline_with_bomb's text


def _limited():
    # Far below the 2.2 GB the expansion reached; the CLI itself needs ~50 MB.
    resource.setrlimit(resource.RLIMIT_AS, (768 << 20, 768 << 20))
    resource.setrlimit(resource.RLIMIT_CPU, (120, 120))


def run_py(home, *args, stdin=None):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), "--home", str(home), *args], input=stdin,
                          capture_output=True, text=True, timeout=300, cwd=ROOT, preexec_fn=_limited)


@pytest.fixture
def cli_home(tmp_path):
    home = tmp_path / "home"
    assert run_py(home, "migrate").returncode == 0
    return home


@pytest.mark.parametrize("where", ["env", "resources"])
def test_apply_refuses_the_alias_bomb_naming_the_line(cli_home, tmp_path, where):
    text = pipeline_with_bomb(where)
    assert len(text.encode()) < 1024
    file = tmp_path / "bomb.yaml"
    file.write_text(text)
    result = run_py(cli_home, "apply", "-f", str(file))
    assert result.returncode == 1, result.stderr
    assert (f"line {BOMB_LINE}: YAML anchors and aliases are not accepted in a pipeline definition (anchor &l0); "
            "write the value out in full") in result.stderr
    assert "Traceback" not in result.stderr
    listed = run_py(cli_home, "pipelines", "--json")
    assert listed.returncode == 0 and '"bomb"' not in listed.stdout      # nothing stored


def test_apply_from_stdin_refuses_the_bomb_too(cli_home):
    result = run_py(cli_home, "apply", "-f", "-", stdin=pipeline_with_bomb("env"))
    assert result.returncode == 1 and "YAML anchors and aliases are not accepted" in result.stderr


def test_apply_refuses_a_definition_over_1_mib_without_reading_it_all(cli_home, tmp_path):
    file = tmp_path / "big.yaml"
    with file.open("w") as fh:       # valid YAML, 4 MiB of it
        fh.write("name: big\ndescription: >\n")
        for _ in range(4 * 1024):
            fh.write("  " + "x" * 1021 + "\n")
    result = run_py(cli_home, "apply", "-f", str(file))
    assert result.returncode == 1
    assert "a pipeline definition is 1.0 MiB of YAML; the limit is 1 MiB" in result.stderr   # read: 1 MiB + 1 byte


@pytest.mark.parametrize("where", ["env", "resources"])
def test_spec_load_refuses_the_bomb(where):
    with pytest.raises(SpecError) as err:
        load_yaml(pipeline_with_bomb(where))
    assert err.value.errors == [("", f"line {BOMB_LINE}: YAML anchors and aliases are not accepted in a pipeline "
                                     "definition (anchor &l0); write the value out in full")]


def test_an_alias_alone_is_refused_at_its_own_line():
    text = "name: p\nstages:\n- name: Build\n  tasks:\n  - {name: t, type: script, image: a, script: *nowhere}\n"
    with pytest.raises(SpecError) as err:
        load_yaml(text)
    assert "line 5: YAML anchors and aliases are not accepted in a pipeline definition (alias *nowhere)" in str(err.value)


def test_the_editor_yaml_tab_refuses_the_bomb_with_its_reason():
    from dashboard.editor.yaml_text import from_yaml
    spec, error = from_yaml(pipeline_with_bomb("env"))
    assert spec is None
    assert error.startswith(f"line {BOMB_LINE}: YAML anchors and aliases are not accepted")
    # a definition that is YAML but not yet valid still reaches the canvas, parsed once
    spec, error = from_yaml("name: p\nstages:\n- name: Build\n  tasks: []\n")
    assert error is None and spec["stages"][0]["tasks"] == []


def test_nesting_too_deep_is_refused_not_a_recursion_error():
    with pytest.raises(SpecError) as err:
        load_yaml("name: p\nstages: " + "[" * 500 + "]" * 500 + "\n")   # (libyaml itself stops at 1000)
    assert "nested deeper than 100 levels" in str(err.value)


def test_a_manifest_bomb_is_refused_naming_the_document():
    from daemon.tasks.lib.yaml_apply import DeployError, documents
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n" + laughs() + \
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata: {v: *top}\n"
    with pytest.raises(DeployError) as err:
        documents(text, "app.yaml")
    assert str(err.value).startswith("app.yaml document 2: line ")
    assert "this file expands through its YAML aliases to more than 2,000,000 values (the limit)" in str(err.value)


def test_manifests_keep_their_legitimate_anchors():
    from daemon.tasks.lib.yaml_apply import documents
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
            "apiVersion: v1\nkind: List\nmetadata: {name: l}\nitems:\n"
            "- {apiVersion: v1, kind: ConfigMap, metadata: {name: b, labels: &labels {app: web}}, data: &data {k: v}}\n"
            "- {apiVersion: v1, kind: ConfigMap, metadata: {name: c, labels: *labels}, data: {<<: *data, extra: x}}\n")
    (_, first), (_, second) = documents(text, "app.yaml")
    assert second["items"][1]["metadata"]["labels"] == {"app": "web"}
    assert second["items"][1]["data"] == {"k": "v", "extra": "x"}


def test_a_recursive_alias_in_a_manifest_is_refused():
    from daemon.tasks.lib.yaml_apply import DeployError, documents
    with pytest.raises(DeployError, match="a YAML alias inside its own anchor"):
        documents("apiVersion: v1\nkind: List\nmetadata: {name: l}\nitems: &x [*x]\n", "app.yaml")


def test_a_chart_rendering_a_bomb_is_refused(tmp_path):
    from daemon.tasks.lib.charts import ChartError, render_chart
    chart = tmp_path / "boom"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: boom\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: boom\n  annotations:\n" + laughs("    ")
        + "data:\n  v: *top\n")
    with pytest.raises(ChartError) as err:
        render_chart(chart, "boom", "default")
    assert str(err.value).startswith("chart boom rendered YAML Millrace will not read: line ")
    assert "expands through its YAML aliases" in str(err.value)


def test_a_kubeconfig_bomb_is_refused_and_anchors_are_otherwise_fine():
    from models.clusters import parse_kubeconfig
    good = ("clusters:\n- name: c\n  cluster: &c {server: 'https://127.0.0.1:6443'}\n"
            "contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n"
            "users:\n- name: u\n  user: {token: t}\nextra: *c\n")
    assert parse_kubeconfig(good)[2] == "https://127.0.0.1:6443"
    with pytest.raises(ValueError, match="the kubeconfig expands through its YAML aliases to more than"):
        parse_kubeconfig(good + "bomb:\n" + laughs("  ") + "boom: *top\n")


class _IndexHandler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 — the http.server name
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_):
        pass


def test_a_chart_repository_serving_a_bomb_index_is_refused(tmp_path):
    from daemon.tasks.lib.chart_http import HttpChartRepository, read_index
    from daemon.tasks.lib.charts import ChartError
    from daemon.tasks.lib.registry import Registry
    handler = type("Handler", (_IndexHandler,), {"body": ("apiVersion: v1\n" + laughs() + "entries: {x: *top}\n").encode()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/charts"
        with pytest.raises(ChartError, match=r"/charts/index.yaml expands through its YAML aliases"):
            read_index(HttpChartRepository(url, Registry(url, insecure=True)), tmp_path)
    finally:
        server.shutdown()
        server.server_close()


def test_bounded_loading_counts_the_budget_across_documents():
    doc = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: [*a, *a, *a]\n"        # 1 + 2 + 10 + (1 + 3 * 10) = 44 values
    assert len(list(safe_yaml.load_all_bounded("---\n".join([doc] * 4), what="f", max_nodes=200))) == 4
    with pytest.raises(safe_yaml.YamlRefused, match="more than 100 values"):
        list(safe_yaml.load_all_bounded("---\n".join([doc] * 4), what="f", max_nodes=100))


def test_refusals_are_yaml_errors_so_any_yaml_handler_catches_them():
    assert issubclass(safe_yaml.YamlRefused, yaml.YAMLError)
    with pytest.raises(yaml.YAMLError):
        safe_yaml.load("a: &x 1\n")
