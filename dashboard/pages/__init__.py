"""One module per page, run by Dash Pages (`dash.register_page`), each registering its own
callbacks and those of the pieces it shows (dashboard.wiring).

A new page is a module here that calls `dash.register_page` and defines `layout`; its ids
go in dashboard/ids.py and a navbar entry, if it needs one, in dashboard/layout.py.
"""
