"""`${NAME}` substitution and the built-in variables every run defines.

Substitution applies to task fields (image tag, file contents, chart values, …) and
to environment values — not to scripts, which get the same values as environment
variables and let the shell expand them. `$${X}` stays a literal `${X}`.
An undefined name is an error that names it.

Dynamic parameters (KEY=VALUE lines a task appends to $MILLRACE_ENV) are stored in
`run.dynamic_json` and `task_run.outputs_json` through `store_dynamic`: a value holding a
secret (any form the run's Masker hides) is stored sealed, as {"encrypted": <Fernet token>},
like a definition's secret. `dynamic_values(run)` opens them for the next tasks;
`shown_dynamic` is what any display shows (`***` for a sealed one).
"""
from __future__ import annotations

import json
import re

from models.i18n import N_, Msg
from models.secrets import MASK, seal, unseal

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

    @property
    def message(self) -> Msg:
        """Language-neutral: a reason stored on a task renders in whoever reads it's language."""
        if self.where:
            return N_("undefined variable ${{{name}}} in {where}", name=self.name, where=self.where)
        return N_("undefined variable ${{{name}}}", name=self.name)

    def __str__(self):
        return str(self.message)


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
    for line in text.split("\n"):         # one definition of a line: \x1c, \u2028 … stay inside a value
        m = _DYNAMIC_LINE.match(line.strip())
        if m:
            out[m.group(1)] = m.group(2)
    return out


def is_sealed(value) -> bool:
    return isinstance(value, dict) and "encrypted" in value


def store_dynamic(dynamic: dict, masker) -> dict:
    """The dynamic parameters as stored: each value that holds a secret `masker` masks
    (the secret itself or any of its masked forms) sealed as {"encrypted": token}."""
    return {key: {"encrypted": seal(value)} if masker(value) != value else value for key, value in dynamic.items()}


def open_dynamic(stored: dict) -> dict:
    """Stored dynamic parameters with their sealed values opened (models.secrets.SecretError
    when the data directory's key cannot open one)."""
    return {key: unseal(value["encrypted"]) if is_sealed(value) else value for key, value in stored.items()}


def dynamic_values(run) -> dict:
    """The dynamic parameters the run's tasks have set so far, sealed ones opened: what later
    tasks receive (daemon.run_layout.variables)."""
    return open_dynamic(json.loads(run.dynamic_json or "{}"))


def dynamic_secrets(run) -> list[str]:
    """The opened values of the run's sealed dynamic parameters (to treat as secrets where a
    task's environment goes: a pod's Secret rather than its spec)."""
    stored = json.loads(run.dynamic_json or "{}")
    return [unseal(value["encrypted"]) for value in stored.values() if is_sealed(value)]


def shown_dynamic(stored: dict) -> dict:
    """Stored dynamic parameters as a page or the CLI shows them: sealed values as `***`."""
    return {key: MASK if is_sealed(value) else value for key, value in stored.items()}
