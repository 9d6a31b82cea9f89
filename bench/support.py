"""What several benchmarks share: waiting for a run to end (and insisting it succeeded), and
getting past the dashboard's door (dashboard/auth/gate.py) as the benchmarks' administrator —
a bearer token for plain HTTP, a signed-in Flask test client, a signed-in browser."""
from __future__ import annotations

import secrets
import time

from models.status import is_terminal
from models.tables import Run

ADMIN = "bench"
# Random per process: the administrator lives only in the benchmark's temporary data directory.
PASSWORD = "bench-" + secrets.token_urlsafe(16)


def wait_run(run_id, timeout=300) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = Run.get_by_id(run_id)
        if is_terminal(run.status):
            assert run.status == "succeeded", (run.status, run.reason)
            return run
        time.sleep(0.01)
    raise TimeoutError(run_id)


def admin():
    """The benchmarks' administrator in the open data directory (made at the first call)."""
    from models import accounts
    from models.account_tables import User
    user = User.get_or_none(User.username == ADMIN)
    return user or accounts.create(ADMIN, PASSWORD, "bench", is_admin=True, must_change=False)


def bearer() -> dict:
    """Request headers carrying a new admin-scope token of that administrator."""
    from models import api_tokens
    value = api_tokens.create(admin(), f"bench-{secrets.token_hex(4)}", ["admin"])[1]
    return {"Authorization": f"Bearer {value}"}


def signed_in(client):
    """Sign a Flask test client in through /login; its later requests carry the site's Origin,
    as the dashboard's own pages send it (a state-changing cookie request needs it)."""
    admin()
    answer = client.post("/login", data={"username": ADMIN, "password": PASSWORD},
                         headers={"Origin": "http://localhost"})
    if answer.status_code != 303:
        raise RuntimeError(f"signing in failed: HTTP {answer.status_code}: {answer.get_data(as_text=True)[:300]}")
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"
    return client


def sign_in_browser(driver, url: str, timeout: float = 60) -> None:
    """Sign a Selenium browser in through the real login page at `url` (admin() made beforehand)."""
    driver.get(url + "/login")
    driver.find_element("id", "username").send_keys(ADMIN)
    driver.find_element("id", "password").send_keys(PASSWORD)
    driver.find_element("id", "login-submit").click()
    deadline = time.monotonic() + timeout
    while "/login" in driver.current_url:
        if time.monotonic() > deadline:
            raise RuntimeError("signing the browser in did not leave /login")
        time.sleep(0.1)
