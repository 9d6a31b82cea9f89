"""Registry and chart repository settings: the model functions and the CLI verbs as a user types them."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from models import registries
from models.db import database
from models.tables import AuditEvent

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PASSWORD = "hunter2-registry-pass"


def cli(home, *args, check=True, input=None):
    result = subprocess.run([sys.executable, os.path.join(ROOT, "run.py"), "--home", str(home), *args], input=input,
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}: {result.stderr}")
    return result


def test_models_match_the_migrated_schema(home):
    for model in registries.TABLES:
        columns = {c.name for c in database.get_columns(model._meta.table_name)}
        assert {f.column_name for f in model._meta.sorted_fields} <= columns


def test_add_seals_the_password_and_the_first_registry_is_the_default(home):
    first = registries.add("local", "http://127.0.0.1:5000/", "alice", username="bob", password=PASSWORD, insecure=True)
    second = registries.add("hub", "registry.example.com", "alice")
    assert (first.url, first.is_default, second.is_default) == ("http://127.0.0.1:5000", True, False)
    assert first.password_sealed and PASSWORD not in first.password_sealed
    assert registries.get("local").password == PASSWORD and registries.get("hub").password == ""
    stored = b"".join(f.read_bytes() for f in home.glob("millrace.db*"))      # the WAL too
    assert b"registry.example.com" in stored and PASSWORD.encode() not in stored
    registries.set_default("hub", "alice")
    assert registries.default().name == "hub"
    assert registries.add("third", "r3.example.com", "alice", make_default=True).is_default
    assert [r.name for r in registries.all_registries() if r.is_default] == ["third"]
    created = AuditEvent.select().where(AuditEvent.object_type == "registry", AuditEvent.action == "create")
    assert [e.object_name for e in created] == ["local", "hub", "third"]
    assert all(PASSWORD not in e.detail_json for e in AuditEvent.select())


@pytest.mark.parametrize("name,url,kw,message", [
    ("bad name", "r.example.com", {}, "registry name: use letters"),
    ("r", "r.example.com/Upper", {}, "registry URL 'r.example.com/Upper' is not valid"),
    ("r", "ftp://r.example.com", {}, "is not valid: expected host"),
    ("r", "r.example.com", {"password": "x"}, "a registry password needs a username"),
    ("r", "r.example.com", {"username": "u", "password": "12345"}, "registry password too short to be masked in logs"),
    ("r", "r.example.com", {"ca_cert": "not pem"}, "the CA certificate must be PEM text"),
])
def test_bad_settings_are_refused_with_the_field(home, name, url, kw, message):
    with pytest.raises(ValueError, match=message):
        registries.add(name, url, "alice", **kw)


def test_duplicates_unknown_names_and_a_registry_in_use(home):
    registries.add("local", "127.0.0.1:5000", "alice")
    with pytest.raises(ValueError, match="a registry named 'local' already exists"):
        registries.add("local", "127.0.0.1:5001", "alice")
    with pytest.raises(registries.NotFound, match=r"no registry named 'nope' \(configured: local\)"):
        registries.remove("nope", "alice")
    repo = registries.set_chart_repository("oci://127.0.0.1:5000/charts/", "alice", "local")
    assert repo.url == "oci://127.0.0.1:5000/charts" and registries.chart_registry(repo).name == "local"
    with pytest.raises(ValueError, match="holds the credentials of chart repository oci://127.0.0.1:5000/charts"):
        registries.remove("local", "alice")
    with pytest.raises(ValueError, match="chart repository 'ftp://x/charts' is not valid: expected oci://"):
        registries.set_chart_repository("ftp://x/charts", "alice")


def test_an_http_chart_repository_with_its_own_credentials(home):
    registries.add("local", "127.0.0.1:5000", "alice")
    repo = registries.set_chart_repository("https://charts.example.com:8443/stable/", "alice", username="bob",
                                           password=PASSWORD)
    assert repo.url == "https://charts.example.com:8443/stable"
    used = registries.chart_registry(repo)
    assert (used.name, used.url, used.username, used.password) == (
        "chart-repo", "https://charts.example.com:8443", "bob", PASSWORD)
    assert PASSWORD not in used.password_sealed and not used.is_default and registries.default().name == "local"
    repo = registries.set_chart_repository("http://charts.example.com/x", "alice", username="carol", password="p2-carol")
    assert registries.chart_registry(repo).username == "carol" and len(registries.all_registries()) == 2
    repo = registries.set_chart_repository("http://127.0.0.1:5000", "alice")     # no path; the same host's registry
    assert registries.chart_registry(repo).name == "local"
    with pytest.raises(ValueError, match="not both"):
        registries.set_chart_repository("http://x/charts", "alice", "local", username="bob")
    with pytest.raises(ValueError, match="needs a username"):
        registries.set_chart_repository("http://x/charts", "alice", password="p")


def test_chart_repository_without_a_named_registry_uses_the_one_with_its_host(home):
    registries.add("local", "http://127.0.0.1:5000", "alice", username="bob", password=PASSWORD)
    repo = registries.set_chart_repository("oci://127.0.0.1:5000/charts", "alice")
    assert registries.chart_registry(repo).name == "local"
    repo = registries.set_chart_repository("oci://charts.example.com/x", "alice")
    assert registries.chart_registry(repo) is None
    assert AuditEvent.select().where(AuditEvent.object_type == "chartrepository").count() == 2


def test_cli_add_list_remove_never_shows_the_password(tmp_path):
    cli_home = tmp_path / "home"
    cli(cli_home, "migrate")
    added = cli(cli_home, "registry", "add", "local", "--url", "http://127.0.0.1:5000", "--username", "bob",
                "--password-stdin", "--insecure", input=PASSWORD + "\n")
    assert "registry 'local' added (http://127.0.0.1:5000), the default registry" in added.stdout
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    cli(cli_home, "registry", "add", "corp", "--url", "registry.corp.test", "--ca-file", str(ca), "--default")
    listed = cli(cli_home, "registry", "list").stdout
    assert PASSWORD not in listed
    assert listed.splitlines()[0].split() == ["NAME", "URL", "USERNAME", "PASSWORD", "INSECURE", "CA_CERT", "DEFAULT"]
    rows = {r["name"]: r for r in json.loads(cli(cli_home, "registry", "list", "--json").stdout)}
    assert rows["local"] == {"name": "local", "url": "http://127.0.0.1:5000", "username": "bob", "password": "stored",
                             "insecure": True, "ca_cert": False, "default": False}
    assert rows["corp"]["default"] and rows["corp"]["ca_cert"]
    shown = cli(cli_home, "chart-repo", "set", "oci://127.0.0.1:5000/charts", "--registry", "local").stdout
    assert shown.strip() == "chart repository oci://127.0.0.1:5000/charts (credentials and TLS settings of registry 'local')"
    refused = cli(cli_home, "registry", "remove", "local", check=False)
    assert refused.returncode == 1 and "holds the credentials of chart repository" in refused.stderr
    assert "registry 'corp' removed" in cli(cli_home, "registry", "remove", "corp").stdout
    shown = cli(cli_home, "chart-repo", "set", "http://127.0.0.1:8080/charts", "--username", "bob", "--password-stdin",
                input=PASSWORD + "\n").stdout
    assert shown.strip() == ("chart repository http://127.0.0.1:8080/charts "
                             "(credentials and TLS settings of registry 'chart-repo')")
    assert PASSWORD not in cli(cli_home, "registry", "list").stdout
    assert "chart repository http://127.0.0.1:8080/charts" in cli(cli_home, "chart-repo", "show").stdout
    missing = cli(cli_home, "registry", "add", "x", "--url", "x.test", "--ca-file", str(tmp_path / "nope.pem"), check=False)
    assert missing.returncode == 1 and "cannot read the CA file" in missing.stderr
    empty = cli(cli_home, "registry", "add", "y", "--url", "y.test", "--username", "u", "--password-stdin", input="",
                check=False)
    assert "--password-stdin given but standard input was empty" in empty.stderr
