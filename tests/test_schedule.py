"""Fire times a user sees for the five timed rules: the manual's examples, month ends,
leap days, daylight-saving jumps, uneven intervals and the parser's error messages."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from models.schedule import Rule, fires_between, next_fire, parse_local, parse_rule, preview, zone

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def walls(fires):
    """Fire times as the local wall clock strings a user reads in the preview."""
    return [f.strftime("%Y-%m-%d %H:%M:%S %Z") for f in fires]


def at(tz, *parts, fold=0):
    return datetime(*parts, tzinfo=tz, fold=fold)


# ---- the manual ------------------------------------------------------------------------

def test_manual_every_two_minutes_is_aligned_to_even_minutes():
    start = at(BERLIN, 2021, 3, 25, 14, 53, 21)
    assert walls(preview("every 2 minutes", start, BERLIN, 3)) == [
        "2021-03-25 14:54:00 CET", "2021-03-25 14:56:00 CET", "2021-03-25 14:58:00 CET"]


def test_manual_every_two_hours_at_28_is_aligned_to_even_hours():
    start = at(BERLIN, 2021, 3, 25, 14, 53, 21)
    assert walls(preview("every 2 hours at 28", start, BERLIN, 3)) == [
        "2021-03-25 16:28:00 CET", "2021-03-25 18:28:00 CET", "2021-03-25 20:28:00 CET"]


def test_next_fire_is_strictly_after_even_on_a_fire_time():
    assert next_fire("every 2 minutes", at(UTC, 2021, 3, 25, 14, 54), UTC) == at(UTC, 2021, 3, 25, 14, 56)


def test_fires_between_is_half_open_and_counts_every_fire():
    fires = fires_between("every 15 minutes", at(UTC, 2024, 1, 1, 10, 0), at(UTC, 2024, 1, 1, 11, 0), UTC)
    assert walls(fires) == ["2024-01-01 10:15:00 UTC", "2024-01-01 10:30:00 UTC",
                            "2024-01-01 10:45:00 UTC", "2024-01-01 11:00:00 UTC"]


def test_after_in_another_zone_gives_fires_in_the_rules_zone():
    # 12:00 UTC is 13:00 in Berlin in winter: the next 14:00 Berlin is one hour later.
    fire = next_fire("daily at 14:00", at(UTC, 2024, 1, 10, 12, 0), "Europe/Berlin")
    assert fire.astimezone(UTC) == at(UTC, 2024, 1, 10, 13, 0)


# ---- calendars -------------------------------------------------------------------------

def test_monthly_31_fires_on_the_last_day_of_short_months():
    fires = preview("monthly on 31 at 23:00", at(UTC, 2023, 1, 1), UTC, 5)
    assert walls(fires) == ["2023-01-31 23:00:00 UTC", "2023-02-28 23:00:00 UTC", "2023-03-31 23:00:00 UTC",
                            "2023-04-30 23:00:00 UTC", "2023-05-31 23:00:00 UTC"]


def test_monthly_29_fires_on_leap_day_in_2024_and_on_28th_in_2023():
    assert walls(preview("monthly on 29 at 06:00", at(UTC, 2024, 2, 1), UTC, 2)) == [
        "2024-02-29 06:00:00 UTC", "2024-03-29 06:00:00 UTC"]
    assert walls(preview("monthly on 29 at 06:00", at(UTC, 2023, 2, 1), UTC, 2)) == [
        "2023-02-28 06:00:00 UTC", "2023-03-29 06:00:00 UTC"]


def test_weekly_fires_only_on_chosen_weekdays():
    # 2024-01-01 was a Monday.
    fires = preview("weekly on mon,fri at 08:00", at(UTC, 2024, 1, 1, 9, 0), UTC, 3)
    assert walls(fires) == ["2024-01-05 08:00:00 UTC", "2024-01-08 08:00:00 UTC", "2024-01-12 08:00:00 UTC"]


def test_every_7_minutes_restarts_at_the_top_of_each_hour():
    fires = preview("every 7 minutes", at(UTC, 2024, 1, 1, 10, 50), UTC, 4)
    assert walls(fires) == ["2024-01-01 10:56:00 UTC", "2024-01-01 11:00:00 UTC",
                            "2024-01-01 11:07:00 UTC", "2024-01-01 11:14:00 UTC"]


def test_every_5_hours_restarts_at_midnight():
    fires = preview("every 5 hours at 0", at(UTC, 2024, 1, 1, 16, 0), UTC, 4)
    assert walls(fires) == ["2024-01-01 20:00:00 UTC", "2024-01-02 00:00:00 UTC",
                            "2024-01-02 05:00:00 UTC", "2024-01-02 10:00:00 UTC"]


# ---- daylight saving -------------------------------------------------------------------

def test_berlin_spring_forward_fires_missing_time_once_at_the_next_valid_minute():
    # 2024-03-31 02:00 CET jumps to 03:00 CEST: 02:30 does not exist that night.
    fires = preview("daily at 02:30", at(BERLIN, 2024, 3, 30, 12, 0), BERLIN, 3)
    assert walls(fires) == ["2024-03-31 03:00:00 CEST",
                            "2024-04-01 02:30:00 CEST", "2024-04-02 02:30:00 CEST"]


def test_berlin_spring_forward_collapses_the_skipped_hour_into_one_fire():
    fires = fires_between("every 15 minutes", at(BERLIN, 2024, 3, 31, 1, 30), at(BERLIN, 2024, 3, 31, 3, 30), BERLIN)
    assert walls(fires) == ["2024-03-31 01:45:00 CET", "2024-03-31 03:00:00 CEST",
                            "2024-03-31 03:15:00 CEST", "2024-03-31 03:30:00 CEST"]


def test_new_york_fall_back_fires_repeated_time_once_at_first_occurrence():
    # 2024-11-03 02:00 EDT falls back to 01:00 EST: 01:30 happens twice.
    fires = preview("daily at 01:30", at(NEW_YORK, 2024, 11, 2, 12, 0), NEW_YORK, 2)
    assert walls(fires) == ["2024-11-03 01:30:00 EDT", "2024-11-04 01:30:00 EST"]
    assert fires[0].astimezone(UTC) == at(UTC, 2024, 11, 3, 5, 30)


def test_new_york_fall_back_hourly_rule_does_not_fire_twice_in_the_repeated_hour():
    start = at(NEW_YORK, 2024, 11, 3, 0, 0)
    end = at(UTC, 2024, 11, 3, 8, 0)        # 03:00 EST
    fires = fires_between("every 1 hours at 30", start, end, NEW_YORK)
    assert walls(fires) == ["2024-11-03 00:30:00 EDT", "2024-11-03 01:30:00 EDT", "2024-11-03 02:30:00 EST"]


def test_asking_during_the_second_pass_of_a_repeated_hour_gives_a_later_instant():
    after = at(NEW_YORK, 2024, 11, 3, 1, 20, fold=1)    # 01:20 EST, the second 01:20
    fire = next_fire("every 15 minutes", after, NEW_YORK)
    assert fire.astimezone(UTC) > after.astimezone(UTC)
    assert walls([fire]) == ["2024-11-03 02:00:00 EST"]


# ---- words -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["every 2 minutes", "every 2 hours at 28", "daily at 09:30",
                                  "weekly on mon,fri at 08:00", "monthly on 31 at 23:00",
                                  "every 1 minute", "every 1 hour at 0"])
def test_rule_words_round_trip(text):
    assert str(parse_rule(text)) == text


def test_parser_accepts_loose_spelling_and_canonicalises_it():
    assert str(parse_rule("  Weekly on Friday, Monday at 8:05 ")) == "weekly on mon,fri at 08:05"
    assert parse_rule("every 3 hours") == Rule("hours", every=3, minute=0)


@pytest.mark.parametrize("text, words", [
    ("every 0 minutes", "minutes in 'every N minutes' must be from 1 to 59, got 0"),
    ("every 90 minutes", "must be from 1 to 59, got 90"),
    ("every two minutes", "must be a whole number, got 'two'"),
    ("every 2 hours at 75", "minute in 'every N hours at M' must be from 0 to 59, got 75"),
    ("daily at 25:00", "hour must be from 0 to 23, got 25"),
    ("daily at 9h30", "time must be HH:MM"),
    ("weekly on mon,funday at 08:00", "unknown weekday 'funday'"),
    ("monthly on 32 at 23:00", "day of month must be from 1 to 31, got 32"),
    ("hourly", "cannot read rule 'hourly': expected one of"),
])
def test_parser_errors_name_what_is_wrong(text, words):
    with pytest.raises(ValueError) as err:
        parse_rule(text)
    assert words in str(err.value)


def test_cli_preview_of_the_manual_example_from_a_typed_start_time():
    start = parse_local("2021-03-25 14:53:21", "UTC")
    assert [f.strftime("%Y-%m-%d %H:%M:%S") for f in preview(parse_rule("every 2 minutes"), start, "UTC", 3)] == [
        "2021-03-25 14:54:00", "2021-03-25 14:56:00", "2021-03-25 14:58:00"]
    with pytest.raises(ValueError, match="time must be 'YYYY-MM-DD HH:MM:SS', got '25.03.2021'"):
        parse_local("25.03.2021", "UTC")


def test_unknown_timezone_is_named():
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        zone("Mars/Olympus")
