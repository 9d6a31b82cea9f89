"""The trigger rules form without a browser: the preview text while a rule is typed, the
field errors, the webhook URLs, what saving stores (and that invalid input stores
nothing), the secret given out only by the call that made it, and the detail page's
trigger facts (recent fires in the rule's zone, deliveries with their outcome)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from dashboard import actions
from dashboard.triggers import form, records as trigger_records
from models import audit, pipelines, triggers
from models.tables import Pipeline
from models.triggers import TimerFire, WebhookRule
from models.webhook_parse import repo_key
from models.secrets import unseal
from tests.conftest import pipeline_spec, script_task

BERLIN = ZoneInfo("Europe/Berlin")
SPEC = pipeline_spec("hooked", [{"name": "Build", "tasks": [script_task("b", "echo hi")]}],
                     source={"repository": "https://github.com/Octocat/Hello-World.git", "branch": "main"})


def filled(**changes) -> dict:
    values = dict(events=[], rule="", timezone="", misfire="skip", deadline=60, concurrency="allow")
    return {**values, **changes}


# ---- pure helpers ----------------------------------------------------------------------

def test_preview_shows_the_next_five_fire_times_in_the_rules_zone():
    now = datetime(2021, 3, 25, 14, 53, 21, tzinfo=BERLIN)
    lines, rule_error, tz_error = form.preview_lines("every 2 minutes", "Europe/Berlin", now)
    assert (rule_error, tz_error) == (None, None)
    assert lines == [f"Thu 2021-03-25 14:{m} CET" for m in ("54", "56", "58")] + \
        ["Thu 2021-03-25 15:00 CET", "Thu 2021-03-25 15:02 CET"]
    lines, *_ = form.preview_lines("monthly on 31 at 23:00", "UTC", datetime(2021, 1, 31, 23, 30, tzinfo=timezone.utc))
    assert lines[:3] == ["Sun 2021-02-28 23:00 UTC", "Wed 2021-03-31 23:00 UTC", "Fri 2021-04-30 23:00 UTC"]


def test_preview_of_a_bad_rule_or_zone_is_the_parsers_error_and_no_times():
    lines, rule_error, tz_error = form.preview_lines("every 70 minutes", "")
    assert lines == [] and tz_error is None
    assert rule_error == "minutes in 'every N minutes' must be from 1 to 59, got 70"
    lines, rule_error, tz_error = form.preview_lines("daily at 9.30", "Mars/Olympus")
    assert lines == [] and "HH:MM" in rule_error and "unknown timezone 'Mars/Olympus'" in tz_error
    assert form.preview_lines("", "") == ([], None, None)      # no rule is not an error


def test_problems_name_each_field():
    assert form.problems(filled(rule="weekly on mon,fri at 08:00", timezone="Europe/Berlin")) == {}
    found = form.problems(filled(rule="fortnightly", timezone="Nowhere/Land", misfire="run_once", deadline=None,
                                 concurrency="queue", events=["push", "release"]))
    assert set(found) == {"timed rule", "timezone", "deadline", "concurrency policy", "events"}
    assert "cannot read rule 'fortnightly'" in found["timed rule"]
    assert form.problems(filled(misfire="run_once", deadline=2.5))["deadline"].startswith("give the run_once deadline")


def test_hook_urls_come_from_the_servers_base_url():
    assert form.hook_urls("http://ci.example:8050/") == {"github": "http://ci.example:8050/hooks/github",
                                                          "gitlab": "http://ci.example:8050/hooks/gitlab"}


def test_fire_times_are_shown_in_the_rules_zone():
    assert trigger_records.fire_time(datetime(2021, 7, 1, 7, 30), "Europe/Berlin") == "2021-07-01 09:30 CEST"
    assert trigger_records.fire_time(datetime(2021, 7, 1, 7, 30), "Gone/Zone") == "2021-07-01 07:30 UTC"


# ---- saving through the models -----------------------------------------------------------

@pytest.fixture
def hooked(home):
    return pipelines.create(SPEC, "tester")


def test_save_stores_timer_webhook_and_concurrency_and_gives_the_secret_once(hooked):
    message, secret = form.save(hooked, filled(events=["push", "tag"], rule="Daily at 9:30", timezone="Europe/Berlin",
                                               misfire="run_once", deadline=15, concurrency="forbid"))
    assert "daily at 09:30 (Europe/Berlin)" in message and "webhook on push, tag" in message
    hook = WebhookRule.get(WebhookRule.pipeline == hooked)
    assert secret and unseal(hook.secret_sealed) == secret and (hook.on_push, hook.on_merge, hook.on_tag) == (1, 0, 1)
    timer, = triggers.timers(hooked)
    assert (timer.rule_text, timer.misfire_policy, timer.misfire_deadline_seconds) == ("daily at 09:30", "run_once", 900)
    assert Pipeline.get_by_id(hooked.id).concurrency_policy == "forbid"
    assert {e.actor for e in audit.recent(10) if e.action == "edit_trigger"} == {"system"}   # no request: the operator
    # What the dialog loads again: everything but the secret.
    loaded = form.load(Pipeline.get_by_id(hooked.id))
    assert loaded["events"] == ["push", "tag"] and loaded["rule"] == "daily at 09:30" and loaded["deadline"] == 15
    assert secret not in repr(loaded)
    # Saving again with other events keeps the secret and hands out none; an unchanged timer keeps its place.
    mark = timer.checked_through
    _, again = form.save(Pipeline.get_by_id(hooked.id), dict(loaded, events=["merge"]))
    assert again is None and unseal(WebhookRule.get(WebhookRule.pipeline == hooked).secret_sealed) == secret
    assert triggers.timers(hooked)[0].checked_through == mark


def test_invalid_input_saves_nothing(hooked):
    with pytest.raises(form.FormError) as err:
        form.save(hooked, filled(events=["push"], rule="every 2 hours at 75", concurrency="replace"))
    assert err.value.problems == {"timed rule": "minute in 'every N hours at M' must be from 0 to 59, got 75"}
    assert triggers.timers(hooked) == [] and WebhookRule.get_or_none(WebhookRule.pipeline == hooked) is None
    assert Pipeline.get_by_id(hooked.id).concurrency_policy == "allow"


def test_new_secret_replaces_it_and_an_empty_rule_or_remove_drops_the_timer(hooked):
    _, first = form.save(hooked, filled(events=["push"], rule="every 5 minutes"))
    second = form.new_secret(hooked, ["merge"])
    assert second and second != first
    assert unseal(WebhookRule.get(WebhookRule.pipeline == hooked).secret_sealed) == second
    assert form.load(hooked)["events"] == ["push"]           # the stored events, not the unsaved ticks
    form.save(hooked, filled(events=["push"], rule=""))
    assert triggers.timers(hooked) == []
    form.save(hooked, filled(events=["push"], rule="every 5 minutes"))
    assert form.remove_timer(hooked) == "Removed the timed rule of 'hooked'."
    assert form.remove_timer(hooked) == "'hooked' had no timed rule."


def test_saving_on_a_deactivated_pipeline_says_it_starts_nothing(hooked):
    pipelines.set_active(hooked, False, "tester")
    message, _ = form.save(Pipeline.get_by_id(hooked.id), filled(rule="every 5 minutes"))
    assert message.endswith("It is deactivated: these start nothing until it is activated.")
    said = actions.describe("run", hooked.id, None)["refuse"]     # no dialog whose Run would fail (the dashboard issue)
    assert "is deactivated, so it cannot run" in said and "triggers start nothing" in said


def test_detail_facts_list_fires_in_the_rules_zone_and_deliveries_with_their_outcome(hooked):
    form.save(hooked, filled(events=["push"], rule="daily at 09:30", timezone="Europe/Berlin"))
    timer = triggers.timers(hooked)[0]
    TimerFire.create(timer_rule=timer, scheduled_for=datetime(2021, 7, 1, 7, 30), outcome="inactive",
                     reason="pipeline 'hooked' is deactivated: no runs until it is activated again")
    triggers.record_unstored("github", "push", repo_key(SPEC["source"]["repository"]), "rejected: bad signature")
    facts = trigger_records.facts(hooked, datetime(2021, 7, 1, 8, 0))
    assert facts["timer"]["next"] == "2021-07-02 09:30 CEST" and facts["webhook"] == ["push"]
    assert facts["fires"] == [{"scheduled": "2021-07-01 09:30 CEST", "outcome": "inactive",
                               "reason": "pipeline 'hooked' is deactivated: no runs until it is activated again"}]
    assert [(d["provider"], d["event"], d["outcome"]) for d in facts["deliveries"]] == [
        ("github", "push", "rejected: bad signature")]
