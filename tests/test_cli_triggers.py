"""Trigger verbs as a user types them."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(home, *args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "run.py"), "--home", str(home), *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_schedule_preview_prints_the_manuals_example_without_a_database(tmp_path):
    out = cli(tmp_path / "none", "schedule", "every 2 minutes", "--from", "2021-03-25 14:53:21", "-n", "3", "--tz", "UTC")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["2021-03-25 14:54:00 UTC", "2021-03-25 14:56:00 UTC", "2021-03-25 14:58:00 UTC"]
    assert not (tmp_path / "none").exists()


def test_schedule_rejects_words_it_cannot_read(tmp_path):
    out = cli(tmp_path, "schedule", "every 2 parsecs")
    assert out.returncode == 1 and "cannot read rule 'every 2 parsecs'" in out.stderr


def test_timer_and_webhook_verbs_set_rules_and_show_the_secret_once(tmp_path):
    home = tmp_path / "home"
    cli(home, "migrate")
    cli(home, "apply", "-f", "examples/sample.yaml")
    out = cli(home, "timer", "sample", "weekly on mon,fri at 08:00", "--tz", "Europe/Berlin")
    assert "pipeline 'sample' runs weekly on mon,fri at 08:00 (Europe/Berlin)" in out.stdout
    assert "timer: weekly on mon,fri at 08:00" in out.stdout and "next:" in out.stdout
    first = cli(home, "webhook", "sample", "--events", "push,tag")
    assert "starts on: push, tag" in first.stdout and "shown once" in first.stdout
    secret = first.stdout.rsplit(": ", 1)[1].strip()
    again = cli(home, "webhook", "sample", "--events", "push")
    assert secret not in again.stdout and "unchanged" in again.stdout
    assert secret.encode() not in (home / "millrace.db").read_bytes()
    bad = cli(home, "webhook", "sample", "--events", "push,deploy")
    assert bad.returncode == 1 and "unknown event(s) deploy" in bad.stderr
