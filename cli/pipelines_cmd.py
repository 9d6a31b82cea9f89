"""CLI verbs on pipelines: apply, export, pipelines, activate, deactivate, delete."""
from __future__ import annotations

import sys
from pathlib import Path

from cli import local_views, views
from models import pipelines, safe_yaml, spec as specs
from models.i18n import _


def apply(args) -> int:
    raw = specs.parse_yaml(_read(args.file))      # SpecError names the line, or the limit
    if args.file != "-" and isinstance(raw, dict):
        _resolve_local_repository(raw, Path(args.file).resolve().parent)
    pipeline, outcome = pipelines.apply(raw, args.actor, based_on=getattr(args, "based_on", None),
                                          project=getattr(args, "project", None))
    views.applied(pipeline.name, outcome, getattr(args, "json", False))
    return 0


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


def list_(args) -> int:
    views.pipelines([local_views.pipeline(p) for p in pipelines.live().order_by(pipelines.Pipeline.name)], args.json)
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
