"""Task types as a definition writes them: each type's name, label and fields, declared once.

`models.spec` validates a task against its type's fields (required ones, optional ones
with their defaults, which are ${X}-substituted) and stores them in the declared order,
required first; the editor can build its form from the same declaration (labels,
placeholders, multi-line fields, the values a new task starts with, and the declared
order, which is the form's). The daemon's task modules (daemon/tasks/<name>.py) run the
type declared here under the same name: a built-in type is this declaration plus that
module. The declarations live in models/, not beside the daemon's code, because the
dashboard and the spec read them and neither may import daemon/ (tests/test_architecture.py).
A type made elsewhere (a test's) is declared with `declare()`; daemon.tasks.register does that.

The checkout is a type too, with no fields: never written in a definition (`implicit`),
it is the one task of a run's code-source stage, which is stage position 0 of the stored
rows (SOURCE_STAGE); the pipeline's stages follow at 1..n.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    name: str
    label: str                      # the editor's label
    required: bool = False
    default: str | dict = ""        # an optional field's value when left out; a dict: a key → value map
    placeholder: str = ""           # the editor's hint for an empty field (an optional one shows its default)
    multiline: bool = False
    substituted: bool = True        # ${X} replaced at run time (a script's ${X} is the shell's)
    picker: str = ""                # what the editor offers to choose from: "cluster", "registry", "chart", "chart_version"

    @property
    def hint(self) -> str:
        """The editor's placeholder: the declared hint, else an optional field's text default."""
        return self.placeholder or (self.default if isinstance(self.default, str) and not self.required else "")


@dataclass(frozen=True)
class TaskFields:
    name: str                       # the type as definitions and task rows name it
    label: str                      # as users read it ("build & publish image")
    fields: tuple[Field, ...] = ()  # in the editor's order; stored required first, each group in this order
    new_task: dict = field(default_factory=dict)    # values a task added in the editor starts with
    implicit: bool = False          # never written in a definition (the checkout)
    deploys: bool = False           # changes something outside (a cluster): a manual run asks first

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @property
    def optional(self) -> dict:
        return {f.name: f.default for f in self.fields if not f.required}

    def field_named(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


CLUSTER = Field("cluster", "Cluster (blank: the default)", picker="cluster")
NAMESPACE = Field("namespace", "Namespace", required=True, picker="namespace")
CHART_VERSION = Field("chart_version", "Chart version", required=True, placeholder="1.0.${BUILD_ID}")
CHART_VERSION_PICKED = Field("chart_version", "Chart version", required=True, placeholder="1.0.${BUILD_ID}",
                             picker="chart_version")

SCRIPT = TaskFields("script", "run script", (
    Field("image", "Image", required=True, placeholder="debian"),
    Field("tag", "Image tag", default="latest"),
    Field("script", "Script", required=True, placeholder="echo hello", multiline=True, substituted=False),
), new_task={"image": "debian", "tag": "bookworm-slim"})
BUILD_IMAGE = TaskFields("build_image", "build & publish image", (
    Field("dockerfile", "Dockerfile path", default="Dockerfile"),
    Field("image", "Image", required=True, placeholder="debian"),
    Field("tag", "Image tag", required=True, placeholder="latest"),
    Field("workspace", "Registry workspace (namespace)", required=True, picker="workspace"),
    Field("context", "Build context", default="."),
    Field("registry", "Registry (blank: the configured one)", picker="registry"),
))
DEPLOY_YAML = TaskFields("deploy_yaml", "deploy YAML", (
    Field("file", "YAML file path (in the repository)", required=True), CLUSTER, NAMESPACE), deploys=True)
BUILD_CHART = TaskFields("build_chart", "build & publish chart", (
    Field("chart_dir", "Chart directory", required=True), Field("chart_name", "Chart name", required=True),
    CHART_VERSION))
DEPLOY_CHART = TaskFields("deploy_chart", "deploy chart", (
    Field("release", "Release name", required=True), Field("chart", "Chart name", required=True, picker="chart"),
    CHART_VERSION_PICKED,
    CLUSTER, NAMESPACE, Field("parameters", "Parameters (key=value, one a line)", default={}, multiline=True)),
    deploys=True)
CHECKOUT = TaskFields("checkout", "checkout", implicit=True)

BUILT_IN = (SCRIPT, BUILD_IMAGE, DEPLOY_YAML, BUILD_CHART, DEPLOY_CHART, CHECKOUT)     # PRODUCT.md §3 order
SOURCE_STAGE = 0                    # the stage position of a run's code source (its checkout task)
_declared: dict[str, TaskFields] = {t.name: t for t in BUILT_IN}


def declare(fields: TaskFields) -> TaskFields:
    """Make a type known to definitions (and the editor); refuses a second type of one name."""
    known = _declared.get(fields.name)
    if known is not None and known != fields:
        raise ValueError(f"task type '{fields.name}' is declared already")
    _declared[fields.name] = fields
    return fields


def undeclare(name: str) -> None:
    if any(t.name == name for t in BUILT_IN):
        raise ValueError(f"task type '{name}' is built in")
    _declared.pop(name, None)


def get(name) -> TaskFields | None:
    return _declared.get(name) if isinstance(name, str) else None


def field_label(name: str) -> str | None:
    """The label a field has in the declared types (the first type declaring it), for words
    such as "task 'compile' › Image"; None when no type declares it."""
    for declared in list(_declared.values()):
        found = declared.field_named(name)
        if found is not None:
            return found.label
    return None


def is_built_in(name: str) -> bool:
    return any(t.name == name for t in BUILT_IN)


class _Written(Mapping):
    """A live view of the types a definition may name (declared, not implicit): name → view(type)."""

    def __init__(self, view):
        self._view = view

    def __getitem__(self, name):
        found = get(name)
        if found is None or found.implicit:
            raise KeyError(name)
        return self._view(found)

    def __iter__(self):
        return iter([name for name, t in _declared.items() if not t.implicit])

    def __len__(self) -> int:
        return sum(1 for _ in self)


FIELDS = _Written(lambda t: (t.required, t.optional))      # name → (required fields, optional ones with defaults)
LABELS = _Written(lambda t: t.label)                         # name → label
