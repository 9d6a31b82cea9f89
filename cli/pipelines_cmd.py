"""CLI verbs on pipelines: apply, export, pipelines, activate, deactivate, delete."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from cli.output import table, when, word, yes_no
from models import pipelines, safe_yaml, spec as specs
from models.i18n import _
from models.tables import Run


def apply(args) -> int:
    raw = specs.parse_yaml(_read(args.file))      # SpecError names the line, or the limit
    if args.file != "-" and isinstance(raw, dict):
        _resolve_local_repository(raw, Path(args.file).resolve().parent)
    pipeline, outcome = pipelines.apply(raw, args.actor, based_on=getattr(args, "based_on", None),
                                          project=getattr(args, "project", None))
    print(_outcome(pipeline.name, outcome))
    return 0


def _outcome(name: str, outcome: str) -> str:
    """'pipeline 'x' created' in the reader's language (the outcome is a code of models.pipelines)."""
    said = {"created": _("pipeline '{name}' created", name=name),
            "updated": _("pipeline '{name}' updated", name=name),
            "unchanged": _("pipeline '{name}' unchanged", name=name)}
    return said.get(outcome) or _("pipeline '{name}' {outcome}", name=name, outcome=outcome)


def _read(file: str) -> bytes:
    """The file's bytes, but never more than one past the size limit: enough for the
    loader to refuse an oversized definition without reading all of it into memory."""
    limit = safe_yaml.PIPELINE_MAX_BYTES + 1
    if file == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        return stdin.read(limit) if stdin is not None else sys.stdin.read(limit).encode()
    with open(file, "rb") as fh:
        return fh.read(limit)


def _resolve_local_repository(raw, base: Path) -> None:
    """A relative local path as repository means: relative to the YAML file."""
    source = raw.get("source")
    if isinstance(source, dict) and isinstance(source.get("repository"), str):
        repo = source["repository"]
        if repo.startswith(("./", "../")) and "${" not in repo:
            source["repository"] = str((base / repo).resolve())


def export(args) -> int:
    sys.stdout.write(specs.dump_yaml(pipelines.current_spec(pipelines.get(args.name))))
    return 0


def _latest_run(pipeline):
    return Run.select().where(Run.pipeline == pipeline).order_by(Run.number.desc()).first()


def list_(args) -> int:
    rows, started = [], []
    for p in pipelines.live().order_by(pipelines.Pipeline.name):
        last = _latest_run(p)
        rows.append({"name": p.name, "active": p.is_active, "latest_run": last.number if last else None,
                     "latest_status": last.status if last else None,
                     "latest_started_at": str(last.started_at) if last and last.started_at else None})
        started.append(last.started_at if last else None)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        shown = [{**row, "active": yes_no(row["active"]), "latest_started_at": when(at),
                  "latest_status": word(row["latest_status"])}
                 for row, at in zip(rows, started)]
        table(shown, ("name", "active", "latest_run", "latest_status", "latest_started_at"))
    return 0


def activate(args) -> int:
    pipelines.set_active(pipelines.get(args.name), True, args.actor)
    print(_("pipeline '{name}' activated", name=args.name))
    return 0


def deactivate(args) -> int:
    pipelines.set_active(pipelines.get(args.name), False, args.actor)
    print(_("pipeline '{name}' deactivated: no trigger or manual run starts it until it is activated", name=args.name))
    return 0


def delete(args) -> int:
    pipeline = pipelines.get(args.name)
    if not args.yes:
        answer = input(_("Delete pipeline '{name}'? Its runs stay in the record. [y/N] ", name=pipeline.name))
        if answer.strip().lower() not in ("y", "yes", _("y"), _("yes")):
            print(_("not deleted"))
            return 1
    pipelines.delete(pipeline, args.actor)
    print(_("pipeline '{name}' deleted", name=pipeline.name))
    return 0
