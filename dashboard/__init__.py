"""The dashboard: a Dash Pages app with Flask blueprints beside it (dashboard.app.create_app).

Top level: the app and its shell, component ids, shared components, read queries, the
intents pages offer (actions), where a pipeline may run (placement), pure converters
(graph, timeline), the webhook receiver (hooks) and HTTP downloads (api). One module per
page in pages/; the canvas editor in editor/; the trigger rules pieces in triggers/; the
run page's live log in runlog/. docs/architecture.md has the map.
"""
