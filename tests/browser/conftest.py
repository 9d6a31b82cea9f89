"""Fixtures for driving the real product in a real browser.

`millrace` is a fresh data directory served by `run.py dashboard` on a free port in a
subprocess; `daemon` starts `run.py daemon` on it (only the tests that need runs ask
for it, so the first page can show the "no daemon" warning); `chrome` is headless
Chromium via Selenium. Everything started here is stopped by its PID at teardown, and then
every task process the daemon left running under the data directory (a daemon stopped with
SIGTERM leaves its tasks running, by design). Setup goes through the CLI (`apply -f -`), as a
user would, never through shared state. Waits use the suite's one `wait_for` (generous
deadlines: a loaded machine is slow, never wrong).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import stop_processes_under, wait_for

ROOT = Path(__file__).resolve().parents[2]
RUN_PY = ROOT / "run.py"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SCREENSHOTS = ROOT / "docs" / "screenshots"
TESTER, TESTER_PASSWORD = "tester", "browser tests' password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Millrace:
    """A data directory plus the processes serving it."""

    def __init__(self, home: Path, port: int):
        self.home, self.port = home, port
        self.url = f"http://127.0.0.1:{port}"
        self.procs: list[subprocess.Popen] = []
        # what this product's processes get on top of the test process's environment; kept
        # here, not in os.environ, so nothing leaks into the later tests of the same session
        self.env: dict[str, str] = {}

    def environment(self) -> dict:
        return {**os.environ, **self.env}

    token = ""          # an admin-scoped personal access token of TESTER, for plain HTTP requests

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def cli(self, *args, stdin: str | None = None) -> str:
        done = subprocess.run([sys.executable, str(RUN_PY), "--home", str(self.home), "--as", "tester", *args],
                              input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=600,
                              env=self.environment())
        if done.returncode != 0:
            raise AssertionError(f"run.py {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def apply(self, yaml_text: str) -> None:
        self.cli("apply", "-f", "-", stdin=yaml_text)

    def start(self, *args, log_name: str) -> subprocess.Popen:
        log = open(self.home / log_name, "wb")
        proc = subprocess.Popen([sys.executable, str(RUN_PY), "--home", str(self.home), *args], cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env=self.environment())
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        # The daemon's warm shutdown leaves its tasks running (a restarted daemon would adopt
        # them); nothing will restart it, so they are stopped here, with their children.
        stop_processes_under(self.home)


@pytest.fixture(scope="session")
def fake_forge():
    """The fake GitHub and GitLab (tests/fakeforge) for the whole session, started before the
    dashboard so its public GitHub and GitLab addresses point at them (models/forge_kinds.py;
    the `millrace` fixture hands the addresses to its processes only)."""
    from tests.fakeforge.server import FakeForge
    forge = FakeForge().start()
    forge.github, forge.gitlab = forge.add("github", "/github"), forge.add("gitlab", "/gitlab")
    forge.private_gitlab = forge.add("gitlab", "/private/gitlab")
    yield forge
    forge.stop()


@pytest.fixture(scope="session")
def millrace(tmp_path_factory, fake_forge):
    home = tmp_path_factory.mktemp("millrace-home")
    app = Millrace(home, free_port())
    app.env.update(MILLRACE_GITHUB_URL=fake_forge.github.url, MILLRACE_GITLAB_URL=fake_forge.gitlab.url,
                   # the managed webhooks' check on the forge every 2 s, not every minute
                   # (test_webhook_on_forge.py)
                   MILLRACE_FORGE_HOOK_CHECK_SECONDS="2")
    app.cli("migrate")
    # the browser signs in as this administrator (the `chrome` fixture); CLI-made pipelines
    # (`--as tester`) are its own, so it may edit them
    app.cli("user", "add", TESTER, "--admin", "--password-stdin", "--no-forced-change", stdin=TESTER_PASSWORD)
    app.token = app.cli("token", "add", TESTER, "tests", "--scope", "admin").strip().rsplit(" ", 1)[-1]
    app.start("dashboard", "--port", str(app.port), log_name="dashboard.log")

    def answers():
        with urllib.request.urlopen(app.url + "/api/health", timeout=2) as response:
            return response.status == 200
    try:
        wait_for(answers, interval=0.2, message="the dashboard to answer")
        yield app
    finally:
        app.stop_all()


@pytest.fixture(scope="session")
def daemon(millrace):
    proc = millrace.start("daemon", log_name="daemon.log")

    def alive():
        with urllib.request.urlopen(millrace.url + "/api/health", timeout=2) as response:
            return b'"running"' in response.read()
    wait_for(alive, interval=0.2, message="the daemon's first heartbeat")
    yield proc


@pytest.fixture(scope="session")
def chrome(millrace):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("chromium and chromium-driver are not installed (apt-get install -y chromium chromium-driver)")
    os.environ.setdefault("SE_OFFLINE", "true")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000",
                "--lang=en-US"):
        options.add_argument(arg)
    # English pages unless a test chooses Chinese (/lang/zh_CN), whatever the machine's locale
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.implicitly_wait(0)
    sign_in(driver, millrace.url)
    yield driver
    driver.quit()


def sign_in(driver, url: str, username: str = "", password: str = "") -> None:
    """Sign the browser in through the real login page (the session cookie is then the browser's)."""
    from selenium.webdriver.common.by import By
    driver.get(url + "/login")
    driver.find_element(By.ID, "username").send_keys(username or TESTER)
    driver.find_element(By.ID, "password").send_keys(password or TESTER_PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    wait_for(lambda: "/login" not in driver.current_url, message="the sign-in to go through")


def screenshot(driver, name: str, height: int | None = None) -> Path:
    """Save docs/screenshots/<name>.png, tall enough to show the whole page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for _ in range(2):      # plots re-lay themselves out after a resize: measure again
        full = height or driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1400, max(800, min(int(full) + 120, 2400)))
        time.sleep(0.6)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed browser test, keep what the browser showed (in the session's temp dir)."""
    outcome = yield
    report = outcome.get_result()
    driver = item.funcargs.get("chrome") or getattr(item.funcargs.get("page"), "driver", None)
    if report.when == "call" and report.failed and driver is not None:
        target = item.config._tmp_path_factory.getbasetemp() / f"{item.name}.png"
        try:
            driver.save_screenshot(str(target))
            report.sections.append(("browser", f"screenshot: {target}\nurl: {driver.current_url}"))
        except Exception:  # noqa: BLE001 — a dead browser must not hide the real failure
            pass


def via_models(millrace, expression: str):
    """Evaluate `expression` with models/ opened on the dashboard's home, in a child process."""
    code = ("import json, sys\nfrom models import daemon_state, home, pipelines, registries\n"
            "home.open_home(sys.argv[1])\nprint(json.dumps(" + expression + "))")
    done = subprocess.run([sys.executable, "-c", code, str(millrace.home)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, check=True, env=millrace.environment())
    return json.loads(done.stdout)
