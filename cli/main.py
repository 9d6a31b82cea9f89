"""Argument parsing for `python run.py …`; each verb is a function in a sibling module.

Every verb opens the data directory first; all but `migrate` (and `up`, which migrates)
refuse a database that needs migrating and name the command that fixes it, and all of
them refuse a database migrated by a newer Millrace (exit 2, one line).

Global options: `--lang en|zh_CN` (else LANGUAGE, LC_ALL, LC_MESSAGES, LANG, as models.i18n
reads them) and `--utc` (times in UTC rather than the local zone: cli/output.py).

Remote: when a server is configured (`login`, MILLRACE_URL/MILLRACE_TOKEN, `--url/--token`:
cli/client_config.py), the verbs in REMOTE go through its REST API (cli/remote_cmd.py,
cli/remote_runs.py) and no data directory is opened; every other verb stays local.
"""
from __future__ import annotations

import argparse
import getpass
import logging
import sys

from cli import accounts_cmd, cluster_cmd, pipelines_cmd, registry_cmd, release_cmd, runs_cmd, sample, serve_cmd, triggers_cmd
from cli import client_config, output, remote_cmd, remote_runs
from cli.api_client import ApiError
from models import home, i18n
from models.i18n import _
from models.schema import SchemaMismatch
from models.spec import SpecError


NO_DATABASE = {"schedule", "login", "logout"}      # pure previews and the client's own file need none
# verb → its implementation through the API, used when a server is configured
REMOTE = {"pipelines": remote_cmd.pipelines, "list": remote_cmd.pipelines, "apply": remote_cmd.apply,
          "export": remote_cmd.export, "runs": remote_cmd.runs, "show": remote_cmd.show,
          "triggers": remote_cmd.triggers, "run": remote_runs.run, "rerun": remote_runs.rerun,
          "logs": remote_runs.logs, "stop": remote_runs.stop, "releases": remote_cmd.releases,
          "release": remote_cmd.release}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run.py", description=_("Millrace: pipelines on a canvas, run by a daemon."))
    p.add_argument("--home", help=_("data directory (default: $MILLRACE_HOME or ~/.millrace)"))
    p.add_argument("--as", dest="actor", default=None, help=_("name recorded in the audit trail (default: your login)"))
    _global_options(p)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def verb(name, func, help_text, aliases=()):
        sp = sub.add_parser(name, help=help_text, description=help_text, aliases=aliases)
        sp.set_defaults(func=func)
        return sp

    for add in (_client_verbs, _serve_verbs, _pipeline_verbs, _run_verbs, _trigger_verbs):
        add(verb)
    registry_cmd.add_arguments(sub)
    cluster_cmd.add_arguments(sub)
    release_cmd.add_arguments(sub)
    accounts_cmd.add_arguments(sub)
    return p


def _client_verbs(verb) -> None:
    s = verb("login", remote_cmd.login, _("use a remote Millrace: check a token against it and store both (0600)"))
    s.add_argument("server_url", metavar="URL", help=_("the dashboard's address, e.g. https://ci.example.com"))
    s.add_argument("--token-stdin", action="store_true", help=_("read the token from standard input"))
    verb("logout", remote_cmd.logout, _("forget the stored server and token (back to the local data directory)"))


def _serve_verbs(verb) -> None:
    for name, func, text in (
        ("up", serve_cmd.up, _("migrate, add the sample pipeline if there is none, start daemon + dashboard")),
        ("dashboard", serve_cmd.dashboard, _("run the dashboard web server")),
    ):
        s = verb(name, func, text)
        s.add_argument("--host", default="127.0.0.1")
        s.add_argument("--port", type=int, default=8050)
    verb("daemon", serve_cmd.daemon, _("run the daemon (executes runs and triggers)"))
    verb("migrate", serve_cmd.migrate, _("create or upgrade the database schema"))
    s = verb("settings", serve_cmd.settings, _("show settings, or set one: settings task_slots 4"))
    s.add_argument("key", nargs="?")
    s.add_argument("value", nargs="?")


def _pipeline_verbs(verb) -> None:
    s = verb("apply", pipelines_cmd.apply, _("create or update a pipeline from a YAML file"))
    s.add_argument("-f", "--file", required=True, help=_("pipeline YAML ('-' for standard input)"))
    s.add_argument("--based-on", type=int, metavar="VERSION",
                   help=_("the version the file was exported from: refused if a newer version was saved since"))
    s.add_argument("--project", help=_("the project a new pipeline goes to (default: default)"))
    s.add_argument("--json", action="store_true")
    s = verb("export", pipelines_cmd.export, _("print a pipeline as YAML (secret values stay encrypted)"))
    s.add_argument("name")
    s = verb("pipelines", pipelines_cmd.list_, _("list pipelines"), aliases=("list",))
    s.add_argument("--json", action="store_true")
    for name, func, text in (("activate", pipelines_cmd.activate, _("activate a pipeline's triggers and runs")),
                             ("deactivate", pipelines_cmd.deactivate, _("deactivate a pipeline's triggers and runs"))):
        s = verb(name, func, text)
        s.add_argument("name")
    s = verb("delete", pipelines_cmd.delete, _("delete a pipeline (its runs stay in the record)"))
    s.add_argument("name")
    s.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))


def _run_verbs(verb) -> None:
    s = verb("run", runs_cmd.run, _("queue a run of a pipeline"))
    s.add_argument("name")
    s.add_argument("--param", action="append", default=[], metavar="K=V")
    s.add_argument("--wait", action="store_true", help=_("wait for the end; exit 0 only if it succeeded"))
    s.add_argument("--follow", action="store_true", help=_("print the log as it arrives (implies --wait)"))
    s.add_argument("--json", action="store_true", help=_("the run as JSON (with --follow: one JSON object a line)"))
    s = verb("runs", runs_cmd.list_, _("list a pipeline's runs (newest first)"))
    s.add_argument("name")
    s.add_argument("--json", action="store_true")
    s.add_argument("-n", type=int, default=50)
    s = verb("show", runs_cmd.show, _("show a run: status, stages, tasks"))
    s.add_argument("run")
    s.add_argument("--json", action="store_true")
    s = verb("logs", runs_cmd.logs, _("print a run's log"))
    s.add_argument("run")
    s.add_argument("--task", help=_("only this task"))
    s.add_argument("--follow", action="store_true", help=_("print the log as it arrives, until the run ends"))
    s.add_argument("--failed", action="store_true", help=_("only the tasks that failed"))
    s.add_argument("--json", action="store_true", help=_("one JSON object a line"))
    s = verb("stop", runs_cmd.stop, _("stop a run"))
    s.add_argument("run")
    s.add_argument("--json", action="store_true")
    s = verb("rerun", runs_cmd.rerun, _("run again with that run's stored definition"))
    s.add_argument("run")
    s.add_argument("--wait", action="store_true")
    s.add_argument("--follow", action="store_true")
    s.add_argument("--json", action="store_true")


def _trigger_verbs(verb) -> None:
    s = verb("schedule", triggers_cmd.schedule, _("print the next fire times of a timed rule, e.g. \"every 2 minutes\""))
    s.add_argument("rule")
    s.add_argument("--from", dest="from_", metavar="'YYYY-MM-DD HH:MM:SS'")
    s.add_argument("--tz", default=None, help=_("time zone (default: the server's)"))
    s.add_argument("-n", type=int, default=5)
    s = verb("timer", triggers_cmd.timer, _("show, set or clear a pipeline's timed rule"))
    s.add_argument("name")
    s.add_argument("rule", nargs="?", help=_('e.g. "daily at 09:30", "weekly on mon,fri at 08:00"'))
    s.add_argument("--tz", default=None)
    s.add_argument("--misfire", choices=("skip", "run_once"), default="skip")
    s.add_argument("--deadline", type=int, default=3600, help=_("run_once: latest missed fire still run (seconds)"))
    s.add_argument("--clear", action="store_true")
    s = verb("webhook", triggers_cmd.webhook, _("set the forge events that start a pipeline; prints URL and secret"))
    s.add_argument("name")
    s.add_argument("--events", default="push", help=_("comma list of push, merge, tag"))
    s.add_argument("--new-secret", action="store_true")
    s.add_argument("--base-url", default=None,
                   help=_("default: the address the dashboard last served (else http://127.0.0.1:8050)"))
    s = verb("concurrency", triggers_cmd.concurrency, _("what a trigger does while a run is active"))
    s.add_argument("name")
    s.add_argument("policy", choices=("allow", "forbid", "replace"))
    s = verb("triggers", triggers_cmd.show, _("show a pipeline's triggers, recent fires and deliveries"))
    s.add_argument("name")
    s.add_argument("--json", action="store_true")


def _global_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", metavar="LANG",
                   help=_("language of the output: {choices} (default: from LANGUAGE, LC_ALL, LC_MESSAGES, LANG)",
                          choices=", ".join(i18n.LANGUAGES)))
    p.add_argument("--utc", action="store_true", help=_("show times in UTC (default: the local time zone)"))
    p.add_argument("--url", dest="api_url", help=_("a remote Millrace's address (over MILLRACE_URL and `login`)"))
    p.add_argument("--token", dest="api_token", help=_("its access token (over MILLRACE_TOKEN and `login`; visible to other "
                                     "users of this machine in the process list: prefer those two)"))


def _choose_language(argv) -> None:
    """`--lang` must be known before the parser is built: its help texts are in that language.
    Read it (and nothing else) first; an unknown value is refused with the choices."""
    early = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    early.add_argument("--lang")
    known, _rest = early.parse_known_args(argv)
    if known.lang is None:
        i18n.use(None)
        return
    code = i18n.normalise(known.lang)
    if code not in i18n.LANGUAGES:
        i18n.use(None)
        print(_("run.py: error: unknown language '{lang}' for --lang; choose one of: {choices}",
                lang=known.lang, choices=", ".join(i18n.LANGUAGES)), file=sys.stderr)
        raise SystemExit(2)
    i18n.use(code)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    _choose_language(argv)
    args = _parser().parse_args(argv)
    output.show_utc(args.utc)
    args.actor = args.actor or getpass.getuser()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("peewee.migrations").setLevel(logging.WARNING)   # `migrate` prints its own summary
    try:
        args.server = None if args.command in NO_DATABASE else client_config.resolve(args.api_url, args.api_token)
        if args.server is not None and args.command in REMOTE:
            return REMOTE[args.command](args) or 0
        if args.command not in NO_DATABASE:
            path = home.open_home(args.home, migrate=args.command == "up", require_current=args.command != "migrate")
            sample.ensure_repo(path)
        return args.func(args) or 0
    except ApiError as exc:             # the server's problem+json: its detail, then each field path
        if exc.errors:
            print(_("error: the server refused it: {message}", message=exc), file=sys.stderr)
            for error in exc.errors:
                path, message = error.get("path"), error.get("message", "")
                print(f"  {path}: {message}" if path else f"  {message}", file=sys.stderr)
        else:
            print(_("error: {message}", message=exc), file=sys.stderr)
        return 1
    except SchemaMismatch as exc:      # older (migrate) or newer (upgrade Millrace) than this code: one line
        print(_("error: {message}", message=exc), file=sys.stderr)
        return 2
    except SpecError as exc:
        print(_("error: the pipeline definition is not valid:"), file=sys.stderr)
        for path, message in exc.errors:
            print(f"  {path}: {message}" if path else f"  {message}", file=sys.stderr)
        return 1
    except OSError as exc:              # a file named on the command line that cannot be read
        if exc.filename:
            print(_("error: {message}: {file}", message=exc.strerror or exc, file=exc.filename), file=sys.stderr)
        else:
            print(_("error: {message}", message=exc), file=sys.stderr)
        return 1
    except (LookupError, ValueError, RuntimeError) as exc:
        print(_("error: {message}", message=exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
