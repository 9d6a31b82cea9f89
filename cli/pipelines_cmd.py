"""CLI verbs on pipelines: apply, export, pipelines, activate, deactivate, delete."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from cli.output import table
from models import pipelines, spec as specs
from models.tables import Run


def apply(args) -> int:
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
    raw = _load(text)
    if args.file != "-" and isinstance(raw, dict):
        _resolve_local_repository(raw, Path(args.file).resolve().parent)
    pipeline, outcome = pipelines.apply(raw, args.actor)
    print(f"pipeline '{pipeline.name}' {outcome}")
    return 0


def _load(text):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return specs.load_yaml(text)      # raises SpecError with line and column


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
    rows = []
    for p in pipelines.live().order_by(pipelines.Pipeline.name):
        last = _latest_run(p)
        rows.append({"name": p.name, "active": p.is_active, "latest_run": last.number if last else None,
                     "latest_status": last.status if last else None,
                     "latest_started_at": str(last.started_at) if last and last.started_at else None})
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        table(rows, ("name", "active", "latest_run", "latest_status", "latest_started_at"))
    return 0


def activate(args) -> int:
    pipelines.set_active(pipelines.get(args.name), True, args.actor)
    print(f"pipeline '{args.name}' activated")
    return 0


def deactivate(args) -> int:
    pipelines.set_active(pipelines.get(args.name), False, args.actor)
    print(f"pipeline '{args.name}' deactivated: no trigger or manual run starts it until it is activated")
    return 0


def delete(args) -> int:
    pipeline = pipelines.get(args.name)
    if not args.yes:
        answer = input(f"Delete pipeline '{pipeline.name}'? Its runs stay in the record. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not deleted")
            return 1
    pipelines.delete(pipeline, args.actor)
    print(f"pipeline '{pipeline.name}' deleted")
    return 0
