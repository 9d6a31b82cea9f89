"""A task's log on the run page: log lines → safe, coloured components (view, pure) and the
live panel that follows a log as it grows, with its callbacks (panel).
"""
