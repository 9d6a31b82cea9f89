"""Pure: log lines → safe Dash components (or the same as data for assets/logwindow.js), with
ANSI colours as styled spans.

Text is only ever passed to React as text, so `<script>` in a log is shown, never run.
ANSI SGR sequences (colours, bold, italic, underline, 256-colour and true colour) become
classes or an inline colour; every other escape sequence and control character is
dropped; a carriage return keeps what was written after it, as a terminal would
(models.logs.last_state: a progress bar shows its final state). A line is what the shipper
counted (ended by "\n"): \v, \f, \x85 or \u2028 inside one never make it two.
"""
from __future__ import annotations

import re

from dash import html

from models.logs import last_state, stream_of

ESCAPE = re.compile(r"\x1b(?:\[([0-9;?]*)([A-Za-z])|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")   # \v, \f, C1 controls (\x85): in the line, never line ends
BASIC = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


def _xterm(n: int) -> str | None:
    """A 256-colour palette index as #rrggbb."""
    if n < 16:
        base = [(0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188),
                (17, 168, 205), (229, 229, 229), (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67),
                (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255)]
        r, g, b = base[n]
    elif n < 232:
        n -= 16
        r, g, b = (0 if v == 0 else 55 + v * 40 for v in (n // 36, (n // 6) % 6, n % 6))
    elif n < 256:
        r = g = b = 8 + (n - 232) * 10
    else:
        return None
    return f"#{r:02x}{g:02x}{b:02x}"


class _State:
    def __init__(self):
        self.fg = self.bg = None          # class suffix ("red", "bright-red") or "#rrggbb"
        self.bold = self.italic = self.underline = False

    def apply(self, params: str) -> None:
        codes = [int(c) if c.isdigit() else 0 for c in (params or "0").split(";")]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.__init__()
            elif c == 1:
                self.bold = True
            elif c == 3:
                self.italic = True
            elif c == 4:
                self.underline = True
            elif c == 22:
                self.bold = False
            elif c == 23:
                self.italic = False
            elif c == 24:
                self.underline = False
            elif 30 <= c <= 37 or 90 <= c <= 97:
                self.fg = ("bright-" if c >= 90 else "") + BASIC[c % 10]
            elif 40 <= c <= 47 or 100 <= c <= 107:
                self.bg = ("bright-" if c >= 100 else "") + BASIC[c % 10]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                colour, used = None, 1
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    colour, used = _xterm(codes[i + 2]), 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    colour, used = "#{:02x}{:02x}{:02x}".format(*(min(255, v) for v in codes[i + 2:i + 5])), 4
                setattr(self, "fg" if c == 38 else "bg", colour)
                i += used
            i += 1

    def look(self) -> tuple[str, dict]:
        classes, style = [], {}
        for attr, prop in (("fg", "color"), ("bg", "backgroundColor")):
            value = getattr(self, attr)
            if value and value.startswith("#"):
                style[prop] = value
            elif value:
                classes.append(f"ansi-{attr}-{value}")
        classes += [name for name, on in (("ansi-bold", self.bold), ("ansi-italic", self.italic),
                                          ("ansi-underline", self.underline)) if on]
        return " ".join(classes), style


def segments(text: str) -> list[tuple[str, str, dict]]:
    """`text` → [(plain text, css classes, inline style)], escape sequences consumed."""
    text = last_state(text)
    state, out, pos = _State(), [], 0
    for m in ESCAPE.finditer(text):
        if m.start() > pos:
            out.append((CONTROL.sub("", text[pos:m.start()]), *state.look()))
        if m.group(2) == "m":
            state.apply(m.group(1))
        pos = m.end()
    if pos < len(text):
        out.append((CONTROL.sub("", text[pos:]), *state.look()))
    return [s for s in out if s[0]]


def line(number: int, at, text: str, mark: bool = False) -> html.Span:
    """One log line: its number (a link to the line: `#L<n>`), time, then the coloured text."""
    parts = [html.A(str(number), href=f"#L{number}", className="log-no"),
             html.Span(f"{at:%H:%M:%S}" if at else "", className="log-ts")]
    for chunk, classes, style in segments(text):
        parts.append(html.Span(chunk, className=classes or None, style=style or None) if classes or style else chunk)
    return html.Span(parts, className="log-line log-mark" if mark else "log-line", **{"data-line": number})


def row(number: int, at, text: str) -> list:
    """One log line as data for the browser's renderer (assets/logwindow.js): [number, time,
    [[text, classes, style], …]], and a fourth item 1 for a stderr line (read with `streams`).
    The renderer sets text with textContent, never as markup."""
    is_err, text = stream_of(text)
    out = [number, f"{at:%H:%M:%S}" if at else "", [[t, c, s] if (c or s) else [t] for t, c, s in segments(text)]]
    return out + [1] if is_err else out


def rows(found) -> list[list]:
    """Rows of (line number, logged_at, text), as models.logs yields them, as renderer data."""
    return [row(n, at, text) for n, at, text in found]


def lines(rows, mark: int | None = None) -> list[html.Span]:
    """Rows of (line number, logged_at, text), as models.logs yields them; line `mark` highlighted."""
    return [line(n, at, text, n == mark) for n, at, text in rows]
