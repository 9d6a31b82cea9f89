"""The layout's rules: who may import whom, and models that match the migrated schema."""
import ast
import pathlib

import importlib

from models.db import BaseModel, database

ROOT = pathlib.Path(__file__).resolve().parent.parent


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
