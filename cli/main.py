"""Argument parsing for `python run.py …`; each verb is a function in a sibling module.

Every verb opens the data directory first; all but `migrate` (and `up`, which migrates)
refuse a database that needs migrating and name the command that fixes it, and all of
them refuse a database migrated by a newer Millrace (exit 2, one line).
"""
from __future__ import annotations

import argparse
import getpass
import logging
import sys

from cli import cluster_cmd, pipelines_cmd, registry_cmd, release_cmd, runs_cmd, sample, serve_cmd, triggers_cmd
from models import home
from models.schema import SchemaMismatch
from models.spec import SpecError


NO_DATABASE = {"schedule"}      # pure previews need no data directory


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run.py", description="Millrace: pipelines on a canvas, run by a daemon.")
    p.add_argument("--home", help="data directory (default: $MILLRACE_HOME or ~/.millrace)")
    p.add_argument("--as", dest="actor", default=None, help="name recorded in the audit trail (default: your login)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def verb(name, func, help_text):
        sp = sub.add_parser(name, help=help_text, description=help_text)
        sp.set_defaults(func=func)
        return sp

    for add in (_serve_verbs, _pipeline_verbs, _run_verbs, _trigger_verbs):
        add(verb)
    registry_cmd.add_arguments(sub)
    cluster_cmd.add_arguments(sub)
    release_cmd.add_arguments(sub)
    return p


def _serve_verbs(verb) -> None:
    for name, func, text in (
        ("up", serve_cmd.up, "migrate, add the sample pipeline if there is none, start daemon + dashboard"),
        ("dashboard", serve_cmd.dashboard, "run the dashboard web server"),
    ):
        s = verb(name, func, text)
        s.add_argument("--host", default="127.0.0.1")
        s.add_argument("--port", type=int, default=8050)
    verb("daemon", serve_cmd.daemon, "run the daemon (executes runs and triggers)")
    verb("migrate", serve_cmd.migrate, "create or upgrade the database schema")
    s = verb("settings", serve_cmd.settings, "show settings, or set one: settings task_slots 4")
    s.add_argument("key", nargs="?")
    s.add_argument("value", nargs="?")


def _pipeline_verbs(verb) -> None:
    s = verb("apply", pipelines_cmd.apply, "create or update a pipeline from a YAML file")
    s.add_argument("-f", "--file", required=True, help="pipeline YAML ('-' for standard input)")
    s.add_argument("--based-on", type=int, metavar="VERSION",
                   help="the version the file was exported from: refused if a newer version was saved since")
    s = verb("export", pipelines_cmd.export, "print a pipeline as YAML (secret values stay encrypted)")
    s.add_argument("name")
    s = verb("pipelines", pipelines_cmd.list_, "list pipelines")
    s.add_argument("--json", action="store_true")
    for name, func in (("activate", pipelines_cmd.activate), ("deactivate", pipelines_cmd.deactivate)):
        s = verb(name, func, f"{name} a pipeline's triggers and runs")
        s.add_argument("name")
    s = verb("delete", pipelines_cmd.delete, "delete a pipeline (its runs stay in the record)")
    s.add_argument("name")
    s.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def _run_verbs(verb) -> None:
    s = verb("run", runs_cmd.run, "queue a run of a pipeline")
    s.add_argument("name")
    s.add_argument("--param", action="append", default=[], metavar="K=V")
    s.add_argument("--wait", action="store_true", help="wait for the end; exit 0 only if it succeeded")
    s.add_argument("--follow", action="store_true", help="print the log as it arrives (implies --wait)")
    s = verb("runs", runs_cmd.list_, "list a pipeline's runs (newest first)")
    s.add_argument("name")
    s.add_argument("--json", action="store_true")
    s.add_argument("-n", type=int, default=50)
    s = verb("show", runs_cmd.show, "show a run: status, stages, tasks")
    s.add_argument("run")
    s.add_argument("--json", action="store_true")
    s = verb("logs", runs_cmd.logs, "print a run's log")
    s.add_argument("run")
    s.add_argument("--task", help="only this task")
    s.add_argument("--follow", action="store_true")
    s = verb("stop", runs_cmd.stop, "stop a run")
    s.add_argument("run")
    s = verb("rerun", runs_cmd.rerun, "run again with that run's stored definition")
    s.add_argument("run")
    s.add_argument("--wait", action="store_true")
    s.add_argument("--follow", action="store_true")


def _trigger_verbs(verb) -> None:
    s = verb("schedule", triggers_cmd.schedule, "print the next fire times of a timed rule, e.g. \"every 2 minutes\"")
    s.add_argument("rule")
    s.add_argument("--from", dest="from_", metavar="'YYYY-MM-DD HH:MM:SS'")
    s.add_argument("--tz", default=None, help="time zone (default: the server's)")
    s.add_argument("-n", type=int, default=5)
    s = verb("timer", triggers_cmd.timer, "show, set or clear a pipeline's timed rule")
    s.add_argument("name")
    s.add_argument("rule", nargs="?", help='e.g. "daily at 09:30", "weekly on mon,fri at 08:00"')
    s.add_argument("--tz", default=None)
    s.add_argument("--misfire", choices=("skip", "run_once"), default="skip")
    s.add_argument("--deadline", type=int, default=3600, help="run_once: latest missed fire still run (seconds)")
    s.add_argument("--clear", action="store_true")
    s = verb("webhook", triggers_cmd.webhook, "set the forge events that start a pipeline; prints URL and secret")
    s.add_argument("name")
    s.add_argument("--events", default="push", help="comma list of push, merge, tag")
    s.add_argument("--new-secret", action="store_true")
    s.add_argument("--base-url", default=None,
                   help="default: the address the dashboard last served (else http://127.0.0.1:8050)")
    s = verb("concurrency", triggers_cmd.concurrency, "what a trigger does while a run is active")
    s.add_argument("name")
    s.add_argument("policy", choices=("allow", "forbid", "replace"))
    s = verb("triggers", triggers_cmd.show, "show a pipeline's triggers, recent fires and deliveries")
    s.add_argument("name")


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    args.actor = args.actor or getpass.getuser()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("peewee.migrations").setLevel(logging.WARNING)   # `migrate` prints its own summary
    try:
        if args.command not in NO_DATABASE:
            path = home.open_home(args.home, migrate=args.command == "up", require_current=args.command != "migrate")
            sample.ensure_repo(path)
        return args.func(args) or 0
    except SchemaMismatch as exc:      # older (migrate) or newer (upgrade Millrace) than this code: one line
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SpecError as exc:
        print("error: the pipeline definition is not valid:", file=sys.stderr)
        for path, message in exc.errors:
            print(f"  {path}: {message}" if path else f"  {message}", file=sys.stderr)
        return 1
    except OSError as exc:              # a file named on the command line that cannot be read
        print(f"error: {exc.strerror or exc}: {exc.filename}" if exc.filename else f"error: {exc}", file=sys.stderr)
        return 1
    except (LookupError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
