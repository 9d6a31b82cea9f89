"""`${NAME}` substitution and the built-in variables every run defines.

Substitution applies to task fields (image tag, file contents, chart values, …) and
to environment values — not to scripts, which get the same values as environment
variables and let the shell expand them. `$${X}` stays a literal `${X}`.
An undefined name is an error that names it.
"""
from __future__ import annotations

import re

BUILTIN_VARIABLES = {
    "BUILD_ID": "the run number",
    "MILLRACE_PIPELINE": "the pipeline's name",
    "MILLRACE_RUN": "the run's name, pipeline#number",
    "MILLRACE_COMMIT_SHA": "the commit the run checked out (empty without a code source)",
    "MILLRACE_BRANCH": "the code source branch",
    "MILLRACE_REPOSITORY": "the code source repository",
    "MILLRACE_WORKSPACE": "the run's working directory",
    "MILLRACE_ENV": "file to append KEY=VALUE lines to, read by later tasks",
    "MILLRACE_HOME": "Millrace's data directory",
    "CI": "always 'true'",
}

_PATTERN = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DYNAMIC_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


class UndefinedVariable(KeyError):
    def __init__(self, name, where=""):
        self.name, self.where = name, where
        super().__init__(name)

    def __str__(self):
        return f"undefined variable ${{{self.name}}}" + (f" in {self.where}" if self.where else "")


def references(text: str) -> list[str]:
    """Names referenced as ${NAME} (escaped $${NAME} excluded), in order of appearance."""
    return [m.group(2) for m in _PATTERN.finditer(text or "") if not m.group(1)]


def substitute(text: str, values: dict, where: str = "") -> str:
    def repl(m):
        if m.group(1):
            return "${" + m.group(2) + "}"
        try:
            return str(values[m.group(2)])
        except KeyError:
            raise UndefinedVariable(m.group(2), where) from None
    return _PATTERN.sub(repl, text or "")


def parse_dynamic(text: str) -> dict:
    """KEY=VALUE lines a task appended to $MILLRACE_ENV; other lines are ignored."""
    out = {}
    for line in text.splitlines():
        m = _DYNAMIC_LINE.match(line.strip())
        if m:
            out[m.group(1)] = m.group(2)
    return out
