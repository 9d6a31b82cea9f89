"""One module per page, run by Dash Pages (`dash.register_page`)."""
