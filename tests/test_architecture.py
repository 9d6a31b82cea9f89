"""The layout's rules: who may import whom (from the real import graph), no import cycle in
daemon/ and models/, a task type is one definition, and models that match the migrated schema."""
import ast
import pathlib

import importlib

from models.db import BaseModel, database
from tests.conftest import pipeline_spec, run_until_done

ROOT = pathlib.Path(__file__).resolve().parent.parent
GRAPHED = ("daemon", "models")         # no module-level import cycle among these


def imports_of(package):
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_dashboard_never_imports_daemon_and_models_import_neither():
    assert "daemon" not in imports_of("dashboard"), imports_of("dashboard").get("daemon")
    assert "dashboard" not in imports_of("daemon")
    models = imports_of("models")
    assert "daemon" not in models and "dashboard" not in models


def modules(packages=GRAPHED) -> dict[str, pathlib.Path]:
    """Every module of the packages by dotted name ("daemon.tasks" is daemon/tasks/__init__.py)."""
    found = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_nodes(tree, top_level: bool):
    """Import statements of a module; with `top_level`, only those that run when it is imported
    (module body, class bodies, if/try blocks), not those inside functions."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if top_level and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        else:
            pending.extend(ast.iter_child_nodes(node))


def imported_names(node, module: str, is_package: bool) -> list[str]:
    """The dotted names an import statement imports: `from a.b import c` gives a.b.c (which is
    a module, or a name in module a.b); relative imports are resolved against `module`."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    return [f"{base}.{alias.name}" for alias in node.names]


def resolve(name: str, known) -> str | None:
    """The module `name` imports: itself if it is a module, else the longest module prefix."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(top_level: bool = True, packages=GRAPHED) -> dict[str, set[str]]:
    """module → the modules of `packages` it imports."""
    known = modules(packages)
    graph = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text())
        targets = {resolve(name, known) for node in import_nodes(tree, top_level)
                   for name in imported_names(node, module, path.name == "__init__.py")}
        graph[module] = {t for t in targets if t and t != module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph as a path (its first node repeated at the end), found by a DFS; None if none."""
    state = {}                                 # node → "open" while on the path, "done" after
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = "open"
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = "done"
                stack.pop()
            elif state.get(child) == "open":
                return path[path.index(child):] + [child]
            elif child not in state:
                state[child] = "open"
                path.append(child)
                stack.append(iter(sorted(graph.get(child, ()))))
    return None


def all_imports(package: str) -> dict[str, set[str]]:
    """module of `package` → every dotted name it imports anywhere, inside functions too."""
    found = {}
    for module, path in modules((package,)).items():
        tree = ast.parse(path.read_text())
        found[module] = {name for node in import_nodes(tree, top_level=False)
                         for name in imported_names(node, module, path.name == "__init__.py")}
    return found


def importers(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    """The modules of `package` that import a name under one of the `forbidden` ones."""
    hits = {m: sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))
            for m, names in all_imports(package).items()}
    return {m: names for m, names in hits.items() if names}


def test_the_cycle_finder_finds_cycles_and_the_graph_is_the_real_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    graph = import_graph()
    assert {"daemon.tasks", "daemon.executors.base"} <= graph["daemon.task_start"]
    assert "daemon.tasks.lib.kaniko" in graph["daemon.tasks.build_image"]
    assert "daemon.tasks.lib.yaml_apply" not in graph["daemon.tasks.deploy_yaml"]       # imported inside a function
    assert "daemon.tasks.lib.yaml_apply" in import_graph(top_level=False)["daemon.tasks.deploy_yaml"]


def test_no_module_level_import_cycle_in_daemon_and_models():
    assert find_cycle(import_graph()) is None, " -> ".join(find_cycle(import_graph()))


def test_executors_import_no_task_module_and_tasks_not_the_cluster_upkeep():
    assert importers("daemon/executors", ("daemon.tasks",)) == {}
    assert importers("daemon/tasks", ("daemon.clusters", "daemon.upkeep", "daemon.sweeper")) == {}
    assert importers("daemon/kube", ("daemon.tasks", "daemon.executors", "daemon.upkeep")) == {}
    # a task type's module shares code through daemon/tasks/lib/ and process.py, never another type's module
    from models.task_types import BUILT_IN
    types = tuple(f"daemon.tasks.{t.name}" for t in BUILT_IN)
    assert importers("daemon/tasks", types) == {}


def test_a_new_task_type_is_one_definition_and_runs_through_the_daemon(home, daemon):
    """A type defined only here (its fields, its plan) is valid in definitions and runs to success."""
    from daemon import tasks
    from daemon.executors.base import LOCAL
    from models import logs, pipelines, runs, task_types
    from models.spec import TASK_TYPE_LABELS, TASK_TYPES, SpecError, validate
    from models.tables import TaskRun
    from models.variables import substitute

    def greet(ctx: tasks.Context) -> tasks.TaskPlan:
        words = substitute(ctx.task["greeting"], ctx.values, f"{ctx.where}.greeting")
        return tasks.TaskPlan(script='printf "%s\\n" "$GREETING"\necho "GREETED=$GREETING" >>"$MILLRACE_ENV"\n',
                              env={"GREETING": words}, notes=[f"greeting as {ctx.executor}"])
    fields = task_types.TaskFields("greet", "greet someone", (task_types.Field("greeting", "Greeting", required=True),
                                                             task_types.Field("loud", "Loud", default="no")))
    tasks.register(tasks.TaskType(fields, plans={LOCAL: greet}))
    try:
        assert TASK_TYPES["greet"] == (("greeting",), {"loud": "no"}) and TASK_TYPE_LABELS["greet"] == "greet someone"
        spec = pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
            {"name": "hello", "type": "greet", "greeting": "hello from run ${BUILD_ID}"}]}])
        assert validate(spec)["stages"][0]["tasks"][0] == {"name": "hello", "type": "greet",
                                                           "greeting": "hello from run ${BUILD_ID}", "loud": "no",
                                                           "env": []}
        run = runs.enqueue_run(pipelines.create(spec, "tester"), "manual", "tester")
        done = run_until_done(daemon, run.id)
        task = TaskRun.get(TaskRun.run == run.id)
        assert (done.status, task.status, task.executor) == ("succeeded", "succeeded", "local"), done.reason
        assert "greeting as local\n" in logs.text(task.id, timestamps=False)
        assert "hello from run 1\n" in logs.text(task.id, timestamps=False)
        assert task.outputs_json == '{"GREETED": "hello from run 1"}'
    finally:
        tasks.unregister("greet")
    assert "greet" not in TASK_TYPES and tasks.get("greet") is None
    try:
        validate(pipeline_spec(stages=[{"name": "S", "tasks": [{"name": "t", "type": "greet"}]}]))
    except SpecError as exc:
        assert "unknown task type 'greet'" in str(exc)
    else:
        raise AssertionError("an unregistered type must be refused")


def all_models():
    """Every table model of every module in models/ (the set grows with each feature)."""
    for path in sorted((ROOT / "models").glob("*.py")):
        importlib.import_module(f"models.{path.stem}")
    seen, todo = [], list(BaseModel.__subclasses__())
    while todo:
        model = todo.pop()
        seen.append(model)
        todo.extend(model.__subclasses__())
    return [m for m in seen if m.__module__.startswith("models.")]


def test_every_model_column_exists_in_the_migrated_schema(home):
    models = all_models()
    assert len(models) >= 9
    for model in models:
        table = model._meta.table_name
        columns = {c.name for c in database.get_columns(table)}
        expected = {f.column_name for f in model._meta.sorted_fields}
        assert expected <= columns, f"{table}: model has {expected - columns} that no migration creates"
