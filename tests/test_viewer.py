"""The reader: language from the switcher's cookie or Accept-Language, times in the browser's
zone with the zone shown, and a switcher link that only ever returns to this site."""
import datetime as dt

import pytest

from models import i18n


@pytest.fixture
def app(home):
    from dashboard.app import create_app
    return create_app()


def test_accept_language_chooses_until_the_switcher_sets_a_cookie(app):
    from dashboard import viewer
    server = app.server
    with server.test_request_context("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}):
        assert viewer.language() == "zh_CN" and i18n.language() == "zh_CN"
        assert i18n.gettext("exit code {code}", code=3) == "退出码 3"
    with server.test_request_context("/", headers={"Accept-Language": "fr-FR, en;q=0.3"}):
        assert i18n.language() == "en"
    with server.test_request_context("/", headers={"Accept-Language": "zh-CN", "Cookie": "millrace_lang=en"}):
        assert i18n.language() == "en"


def test_the_switcher_remembers_the_language_and_returns_to_the_page(app):
    client = app.server.test_client()
    answer = client.get("/lang/zh_CN?next=/pipelines/3?tab=runs")
    assert answer.status_code == 303 and answer.headers["Location"] == "/pipelines/3?tab=runs"
    cookie = answer.headers["Set-Cookie"]
    assert "millrace_lang=zh_CN" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        assert client.get(f"/lang/en?next={target}").headers["Location"] == "/"
    assert client.get("/lang/fr").status_code == 404


def test_times_show_in_the_browsers_zone_with_the_zone_named(app):
    from dashboard.components import time_text
    at = dt.datetime(2026, 1, 15, 12, 30, 0)            # stored: naive UTC
    with app.server.test_request_context("/", headers={"Cookie": "millrace_tz=Asia/Shanghai"}):
        assert time_text(at) == "2026-01-15 20:30:00 CST"
    with app.server.test_request_context("/", headers={"Cookie": "millrace_tz=Europe/Berlin"}):
        assert time_text(at) == "2026-01-15 13:30:00 CET"
    with app.server.test_request_context("/", headers={"Cookie": "millrace_tz=Not/AZone"}):
        assert time_text(at) == "2026-01-15 12:30:00 UTC"
    with app.server.test_request_context("/"):
        assert time_text(at) == "2026-01-15 12:30:00 UTC"
