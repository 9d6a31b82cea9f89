"""The settings page's "add a registry" form (issue 12, defect 7): an empty or invalid URL is
an error on the URL field (it was reported on Name); an `http://` registry is listed as
plain HTTP, never as TLS "verified"; a registry that does not answer is refused on add,
naming the address, unless "add it anyway" is ticked. A real HTTP server in the test
plays the registry (its `/v2/` answers 401, as a registry wanting credentials does)."""
from __future__ import annotations

import http.server
import threading

import pytest

from dashboard import ids
from tests.browser.conftest import free_port, via_models
from tests.browser.pages import Page
from tests.conftest import wait_for

pytestmark = pytest.mark.slow


class _Registry(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 — the http.server API
        self.send_response(401 if self.path.startswith("/v2") else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_):
        pass


@pytest.fixture
def registry_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(autouse=True)
def registries_removed_after(millrace):
    """The dashboard is shared by the session's browser tests: the registries added here
    (the first of them became the default) must not be there for the settings page's test."""
    before = set(via_models(millrace, "[r.name for r in registries.all_registries()]"))
    yield
    added = set(via_models(millrace, "[r.name for r in registries.all_registries()]")) - before
    for name in sorted(added):
        via_models(millrace, f"registries.remove({name!r}, 'tester')")


def field_error(page, control: str) -> str:
    return page.text_of(f"#{ids.REGISTRY_ERRORS[control]}")


def is_invalid(page, control: str) -> bool:
    return "is-invalid" in (page.by_id(control).get_attribute("class") or "")


def add(page, url: str, name: str = "", insecure: bool = False, anyway: bool = False) -> None:
    page.open("/settings", ready=f"#{ids.REGISTRY_ADD}")
    page.fill(ids.REGISTRY_URL, url)
    page.fill(ids.REGISTRY_NAME, name)
    if insecure:
        page.click(f"#{ids.REGISTRY_INSECURE}")
    if anyway:
        page.click(f"#{ids.REGISTRY_ANYWAY}")
    page.click(f"#{ids.REGISTRY_ADD}")


def row(name: str) -> str:
    return f'tr[data-registry="{name}"]'


def test_a_bad_url_is_an_error_on_the_url_field(millrace, chrome):
    page = Page(chrome, millrace.url)
    for url, said in (("", "enter the registry's address"), ("not a url!", "is not valid")):
        add(page, url)
        wait_for(lambda: said in field_error(page, ids.REGISTRY_URL),
                 message=lambda: f"{said!r} under URL (has {field_error(page, ids.REGISTRY_URL)!r})")
        assert is_invalid(page, ids.REGISTRY_URL)
        assert not is_invalid(page, ids.REGISTRY_NAME) and field_error(page, ids.REGISTRY_NAME) == ""


def test_an_unreachable_registry_is_refused_unless_added_anyway(millrace, chrome):
    page = Page(chrome, millrace.url)
    address = f"http://127.0.0.1:{free_port()}"          # nothing listens there
    add(page, address, name="nowhere")
    wait_for(lambda: "no answer from" in field_error(page, ids.REGISTRY_URL),
             message=lambda: f"the connection error (has {field_error(page, ids.REGISTRY_URL)!r})")
    assert address in field_error(page, ids.REGISTRY_URL) and is_invalid(page, ids.REGISTRY_URL)
    assert not page.all(row("nowhere"))
    assert page.by_id(ids.REGISTRY_URL).get_attribute("value") == address     # what was typed stays
    add(page, address, name="nowhere", anyway=True)
    page.wait_text(f"#{ids.SETTINGS_FEEDBACK}", "Registry 'nowhere' added")
    page.wait_text(row("nowhere"), "none: plain HTTP")


def test_a_plain_http_registry_that_answers_is_added_and_never_listed_as_verified(millrace, chrome, registry_server):
    page = Page(chrome, millrace.url)
    add(page, f"http://{registry_server}", name="plain")
    page.wait_text(f"#{ids.SETTINGS_FEEDBACK}", "Registry 'plain' added")
    tls = page.wait_text(f"{row('plain')} .registry-tls", "plain HTTP")
    assert "verified" not in tls


def test_a_too_short_password_is_an_error_on_the_password_field(millrace, chrome, registry_server):
    # the password had no place for its error: the message was dropped and the page said nothing
    page = Page(chrome, millrace.url)
    page.open("/settings", ready=f"#{ids.REGISTRY_ADD}")
    page.fill(ids.REGISTRY_URL, f"http://{registry_server}")
    page.fill(ids.REGISTRY_NAME, "short")
    page.fill(ids.REGISTRY_USERNAME, "bot")
    page.fill(ids.REGISTRY_PASSWORD, "abc")
    page.click(f"#{ids.REGISTRY_ADD}")
    wait_for(lambda: "too short to be masked" in field_error(page, ids.REGISTRY_PASSWORD),
             message=lambda: f"the password's error (has {field_error(page, ids.REGISTRY_PASSWORD)!r})")
    assert is_invalid(page, ids.REGISTRY_PASSWORD) and not page.all(row("short"))
