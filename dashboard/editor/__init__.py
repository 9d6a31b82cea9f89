"""The canvas editor behind pages/editor.py (`/pipelines/new`, `/pipelines/<id>/edit`).

Pure work on the definition: field paths, source and stage operations (ops), task and
variable operations (tasks), button → operation dispatch (commands), undo/redo/reset
(history), secrets stripped and YAML text read back (yaml_text). The side panel: node
forms (forms), pipeline settings (pipeline_form), fields and button bars (controls),
control values ⇄ definition (values), errors shown and worded (problems). The page's
callbacks: canvas and forms (callbacks), the YAML tab and saving (save). Component ids: ids.
"""
