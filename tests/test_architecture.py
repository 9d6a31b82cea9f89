"""The layout's rules: who may import whom, and models that match the migrated schema."""
import ast
import pathlib

from models.db import database
from models.tables import ALL_TABLES

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


def test_every_model_column_exists_in_the_migrated_schema(home):
    for model in ALL_TABLES:
        table = model._meta.table_name
        columns = {c.name for c in database.get_columns(table)}
        expected = {f.column_name for f in model._meta.sorted_fields}
        assert expected <= columns, f"{table}: model has {expected - columns} that no migration creates"
