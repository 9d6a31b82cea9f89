"""/api/v1/pipelines: list, get (with ETag), create, update (If-Match), export, copy,
activate, deactivate, delete.

A definition comes as JSON or as YAML text (`Content-Type: application/yaml`, read by
models.spec.parse_yaml with the same limits as `run.py apply -f`); models.pipelines
validates and stores it (SpecError names each field's path), after the editor's own checks
of the clusters it deploys to and the forge account it checks out with. The changes that
the pages offer as intents (copy, activate, deactivate, delete) go through
dashboard.intents.perform, so the matrix row and the audit row are the dashboard's.
"""
from __future__ import annotations

import re

from apiflask import EmptySchema
from apiflask.schemas import FileSchema
from apiflask.fields import String
from flask import Response, request, url_for

from dashboard import intents
from dashboard.api_v1 import paging, permissions as perm, schemas, shapes
from dashboard.api_v1.blueprint import bp
from dashboard.api_v1.errors import Refused
from dashboard.api_v1.spec import YAML_BODIES
from models import permissions, pipelines, projects, safe_yaml, spec as specs
from models.i18n import _
from models.spec import SpecError
from models.tables import Pipeline

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
TAGS = ["pipelines"]
ETAG = re.compile(r'^\s*(?:W/)?"?v?(\d{1,9})"?\s*$')
YAML_BODIES.update({"create_pipeline", "update_pipeline"})


class ETagHeader(schemas.Schema):
    etag = String(data_key="ETag", metadata={"description": '"v<version>"'})


def definition_body(json_data) -> dict:
    """The request's definition: YAML text or a JSON object (apiflask read the JSON)."""
    if request.mimetype in YAML_TYPES:
        raw = specs.parse_yaml(request.get_data(cache=False)[:safe_yaml.PIPELINE_MAX_BYTES + 1])
    else:
        raw = json_data
    if not isinstance(raw, dict) or not raw:
        raise SpecError([("", _("the body must be a pipeline definition: a JSON object or YAML text "
                                "(Content-Type: application/yaml)"))])
    return raw


def editor_checks(spec: dict, pipeline_id) -> None:
    """The editor's checks beyond the definition's shape: deploy clusters, the forge account."""
    from dashboard.editor import pickers, source_picker
    canonical = specs.validate(spec)
    problems = pickers.deploy_problems(canonical) + source_picker.account_problems(canonical, pipeline_id)
    if problems:
        raise SpecError(problems)


def with_etag(row: Pipeline, status: int = 200, detail: bool = False, **headers):
    body = shapes.pipeline_detail(row) if detail else shapes.pipeline(row)
    return body, status, {"ETag": f'"v{body["version"]}"', **headers}


@bp.get("/pipelines")
@bp.input(type("PipelineListQuery", (schemas.PipelineFilters, paging.PageQuery), {}), location="query",
          arg_name="args")
@bp.output(schemas.Pipeline(many=True), headers=paging.PageHeaders)
@bp.doc(tags=TAGS, summary="Pipelines you may see")
def list_pipelines(args):
    query = perm.visible(pipelines.live(), Pipeline).order_by(Pipeline.name)
    if "project" in args:
        query = query.where(Pipeline.project == args["project"])
    if "active" in args:
        query = query.where(Pipeline.is_active == args["active"])
    if args.get("q"):
        query = query.where(Pipeline.name.contains(args["q"]))
    rows, headers = paging.page(query, args)
    return shapes.pipelines_of(rows), 200, headers


@bp.post("/pipelines")
@bp.input(schemas.ProjectQuery, location="query", arg_name="args")
@bp.input(schemas.Definition, location="json", validation=False, arg_name="body")
@bp.output(schemas.Pipeline, status_code=201, headers=ETagHeader)
@bp.doc(tags=TAGS, summary="Create a pipeline from a definition (JSON or YAML)", responses=[403, 404, 409, 422])
def create_pipeline(args, body):
    raw = definition_body(body)
    project = projects.get(args.get("project") or permissions.new_pipeline_project(perm.principal())).name
    perm.require("create", project)
    editor_checks(raw, None)
    row = pipelines.create(raw, perm.actor(), project=project)
    return with_etag(row, 201, Location=url_for("api_v1.get_pipeline", name=row.name, _external=True))


@bp.get("/pipelines/<name>")
@bp.output(schemas.PipelineDetail, headers=ETagHeader)
@bp.doc(tags=TAGS, summary="A pipeline and its current definition", responses=[404])
def get_pipeline(name):
    return with_etag(perm.pipeline(name), detail=True)


def if_match() -> int | None:
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    found = ETAG.match(header)
    if not found:
        raise Refused(400, _('If-Match must be a version tag as the ETag header gives it, e.g. "v3"'))
    return int(found.group(1))


@bp.put("/pipelines/<name>")
@bp.input(schemas.Definition, location="json", validation=False, arg_name="body")
@bp.output(schemas.Pipeline, headers=ETagHeader)
@bp.doc(tags=TAGS, summary="Store a new version (If-Match: the version it was based on)",
        responses=[400, 403, 404, 409, 412, 422])
def update_pipeline(name, body):
    row = perm.pipeline(name)
    raw = definition_body(body)
    based_on = if_match()
    perm.require("edit", row)
    editor_checks(raw, row.id)
    pipelines.save(row, raw, perm.actor(), based_on=based_on)
    return with_etag(Pipeline.get_by_id(row.id))


@bp.get("/pipelines/<name>/export")
@bp.output(FileSchema(type="string", format="text"), content_type="application/yaml", description="the definition as YAML (`run.py export`)")
@bp.doc(tags=TAGS, summary="The definition as YAML", responses=[404])
def export_pipeline(name):
    row = perm.pipeline(name)
    return Response(specs.dump_yaml(pipelines.current_spec(row)), mimetype="application/yaml",
                    headers={"ETag": f'"v{pipelines.current_version(row).version_number}"'})


def _intent(action: str, row: Pipeline, **kwargs):
    result = {}
    intents.perform({"action": action, "pipeline": row.id}, result=result, **kwargs)
    return result


@bp.post("/pipelines/<name>/copy")
@bp.input(schemas.CopyBody, arg_name="body")
@bp.output(schemas.Pipeline, status_code=201)
@bp.doc(tags=TAGS, summary="Copy a pipeline under a new name", responses=[403, 404, 409, 422])
def copy_pipeline(name, body):
    made = _intent("copy", perm.pipeline(name), name=body["name"])["pipeline"]
    return shapes.pipeline(made), 201, {"Location": url_for("api_v1.get_pipeline", name=made.name, _external=True)}


@bp.post("/pipelines/<name>/activate")
@bp.output(schemas.Pipeline)
@bp.doc(tags=TAGS, summary="Activate: runs and triggers start it again", responses=[403, 404])
def activate_pipeline(name):
    row = perm.pipeline(name)
    _intent("activate", row)
    return shapes.pipeline(Pipeline.get_by_id(row.id))


@bp.post("/pipelines/<name>/deactivate")
@bp.output(schemas.Pipeline)
@bp.doc(tags=TAGS, summary="Deactivate: nothing starts it", responses=[403, 404])
def deactivate_pipeline(name):
    row = perm.pipeline(name)
    _intent("deactivate", row)
    return shapes.pipeline(Pipeline.get_by_id(row.id))


@bp.delete("/pipelines/<name>")
@bp.output(EmptySchema, status_code=204)
@bp.doc(tags=TAGS, summary="Delete (its runs stay in the record)", responses=[403, 404, 409])
def delete_pipeline(name):
    _intent("delete", perm.pipeline(name))
    return ""
