"""Log lines → safe, coloured spans (dashboard.runlog.view): what a reader of the run page sees."""
import datetime as dt

from dashboard.runlog.view import line, segments


def test_plain_text_is_one_unstyled_segment():
    assert segments("hello world") == [("hello world", "", {})]


def test_basic_colours_bold_and_reset_become_classes():
    assert segments("\x1b[31mred\x1b[0m and \x1b[1;32mbold green\x1b[0m.") == [
        ("red", "ansi-fg-red", {}), (" and ", "", {}), ("bold green", "ansi-fg-green ansi-bold", {}), (".", "", {})]


def test_bright_background_and_default_colour_codes():
    assert segments("\x1b[93;44mx\x1b[39my\x1b[49mz") == [
        ("x", "ansi-fg-bright-yellow ansi-bg-blue", {}), ("y", "ansi-bg-blue", {}), ("z", "", {})]


def test_256_and_true_colour_become_inline_colours():
    assert segments("\x1b[38;5;196mA\x1b[38;2;1;2;3mB") == [("A", "", {"color": "#ff0000"}),
                                                              ("B", "", {"color": "#010203"})]


def test_html_stays_text_and_is_never_markup():
    parts = line(7, dt.datetime(2026, 1, 2, 3, 4, 5), "<script>alert(1)</script> <b>x</b>").children
    # Dash hands strings to React as text nodes: the markup arrives as the literal characters.
    assert parts[-1] == "<script>alert(1)</script> <b>x</b>"
    assert parts[0].children == "7" and parts[1].children == "03:04:05"


def test_other_escape_sequences_and_control_characters_are_dropped():
    assert segments("a\x1b[2Kb\x1b]0;title\x07c\x07d\x00e") == [("a", "", {}), ("b", "", {}), ("cde", "", {})]


def test_carriage_return_keeps_what_was_written_last():
    assert segments("progress 10%\rprogress 100%") == [("progress 100%", "", {})]
    assert segments("windows line\r") == [("windows line", "", {})]


def test_characters_other_than_newline_never_end_a_line_and_are_not_drawn():
    # \v, \f, \x1c and \x85 are line ends to str.splitlines(), not to a log: one line, shown without them.
    assert segments("tab\vstop") == [("tabstop", "", {})]
    assert segments("form\ffeed\x1csep") == [("formfeedsep", "", {})]
    assert segments("next\x85line") == [("nextline", "", {})]


def test_a_progress_bar_shows_its_last_state_even_with_colours():
    assert segments("\x1b[32m 10%\x1b[0m\r\x1b[32m100%\x1b[0m\r") == [("100%", "ansi-fg-green", {})]
